//! A call's deadline: the earlier of the gRPC deadline (`grpc-timeout`
//! header) and the header's `timeout_ms` (protocol §5.3).

use std::time::Duration;

use tokio::time::Instant;
use tonic::metadata::MetadataMap;

/// When the call must be done by, measured from `start`; `None` if neither
/// the gRPC deadline nor `timeout_ms` (0 = none) is set.
pub(crate) fn call_deadline(
    metadata: &MetadataMap,
    timeout_ms: u64,
    start: Instant,
) -> Option<Instant> {
    let grpc = metadata
        .get("grpc-timeout")
        .and_then(|v| v.to_str().ok())
        .and_then(parse_grpc_timeout);
    let header = (timeout_ms > 0).then(|| Duration::from_millis(timeout_ms));
    match (grpc, header) {
        (Some(a), Some(b)) => Some(start + a.min(b)),
        (Some(d), None) | (None, Some(d)) => Some(start + d),
        (None, None) => None,
    }
}

/// Parses a `grpc-timeout` value: up to 8 digits and a unit
/// (`H`, `M`, `S`, `m`, `u`, `n`).
pub(crate) fn parse_grpc_timeout(text: &str) -> Option<Duration> {
    if text.len() < 2 || text.len() > 9 {
        return None;
    }
    let (digits, unit) = text.split_at(text.len() - 1);
    let value: u64 = digits.parse().ok()?;
    Some(match unit {
        "H" => Duration::from_secs(value * 3600),
        "M" => Duration::from_secs(value * 60),
        "S" => Duration::from_secs(value),
        "m" => Duration::from_millis(value),
        "u" => Duration::from_micros(value),
        "n" => Duration::from_nanos(value),
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_grpc_timeouts() {
        assert_eq!(parse_grpc_timeout("300m"), Some(Duration::from_millis(300)));
        assert_eq!(parse_grpc_timeout("2S"), Some(Duration::from_secs(2)));
        assert_eq!(parse_grpc_timeout("5x"), None);
        assert_eq!(parse_grpc_timeout("m"), None);
    }

    #[test]
    fn takes_the_earlier_deadline() {
        let start = Instant::now();
        let mut metadata = MetadataMap::new();
        assert_eq!(call_deadline(&metadata, 0, start), None);
        assert_eq!(
            call_deadline(&metadata, 500, start),
            Some(start + Duration::from_millis(500))
        );
        metadata.insert("grpc-timeout", "100m".parse().unwrap());
        assert_eq!(
            call_deadline(&metadata, 500, start),
            Some(start + Duration::from_millis(100))
        );
    }
}
