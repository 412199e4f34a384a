//! The plugin logger: one JSON object per line on stderr, the format of
//! protocol §9, filtered by `HEDDLE_LOG_LEVEL`. The host re-emits each line
//! with the plugin's name.

use std::io::Write;
use std::str::FromStr;
use std::sync::{Arc, OnceLock};
use std::time::{SystemTime, UNIX_EPOCH};

use serde_json::{Map, Value};

/// A log level, lowest first.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Level {
    /// Very detailed tracing.
    Trace,
    /// Debugging detail.
    Debug,
    /// Normal operation.
    Info,
    /// Something odd that did not stop the work.
    Warn,
    /// A failure.
    Error,
}

impl Level {
    /// The protocol name (`trace` … `error`).
    pub fn as_str(self) -> &'static str {
        match self {
            Level::Trace => "trace",
            Level::Debug => "debug",
            Level::Info => "info",
            Level::Warn => "warn",
            Level::Error => "error",
        }
    }
}

impl FromStr for Level {
    type Err = String;

    /// Parses `trace`, `debug`, `info`, `warn` (or `warning`), `error`, any
    /// case. Fails with a message listing the accepted names.
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        match text.trim().to_ascii_lowercase().as_str() {
            "trace" => Ok(Level::Trace),
            "debug" => Ok(Level::Debug),
            "info" => Ok(Level::Info),
            "warn" | "warning" => Ok(Level::Warn),
            "error" => Ok(Level::Error),
            other => Err(format!(
                "unknown log level {other:?}: use trace, debug, info, warn or error"
            )),
        }
    }
}

/// The lowest level written, from `HEDDLE_LOG_LEVEL` (default `info`; an
/// unknown value also means `info`), read once per process.
pub fn min_level() -> Level {
    static LEVEL: OnceLock<Level> = OnceLock::new();
    *LEVEL.get_or_init(|| {
        std::env::var("HEDDLE_LOG_LEVEL")
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(Level::Info)
    })
}

/// A logger carrying a set of fields added to every line it writes. Cheap to
/// clone. Writing never fails: a line that cannot be written is dropped.
#[derive(Clone, Default)]
pub struct Logger {
    fields: Arc<Map<String, Value>>,
}

impl Logger {
    /// A logger with no fields.
    pub fn new() -> Self {
        Self::default()
    }

    /// A logger that adds `key = value` to every line (and keeps this one's fields).
    pub fn with(&self, key: impl Into<String>, value: impl Into<Value>) -> Logger {
        let mut fields = (*self.fields).clone();
        fields.insert(key.into(), value.into());
        Logger {
            fields: Arc::new(fields),
        }
    }

    /// Whether a line at `level` would be written.
    pub fn enabled(&self, level: Level) -> bool {
        level >= min_level()
    }

    /// Writes `message` at `level` (if enabled), with this logger's fields.
    pub fn log(&self, level: Level, message: &str) {
        if !self.enabled(level) {
            return;
        }
        let line = format_line(level, message, &self.fields, SystemTime::now());
        let mut stderr = std::io::stderr().lock();
        let _ = stderr.write_all(line.as_bytes());
        let _ = stderr.flush();
    }

    /// Writes at `trace`.
    pub fn trace(&self, message: &str) {
        self.log(Level::Trace, message)
    }
    /// Writes at `debug`.
    pub fn debug(&self, message: &str) {
        self.log(Level::Debug, message)
    }
    /// Writes at `info`.
    pub fn info(&self, message: &str) {
        self.log(Level::Info, message)
    }
    /// Writes at `warn`.
    pub fn warn(&self, message: &str) {
        self.log(Level::Warn, message)
    }
    /// Writes at `error`.
    pub fn error(&self, message: &str) {
        self.log(Level::Error, message)
    }
}

/// One protocol log line, newline included.
pub(crate) fn format_line(
    level: Level,
    message: &str,
    fields: &Map<String, Value>,
    at: SystemTime,
) -> String {
    let mut record = Map::new();
    record.insert("level".into(), level.as_str().into());
    record.insert("message".into(), message.into());
    record.insert("time".into(), rfc3339_millis(at).into());
    if !fields.is_empty() {
        record.insert("fields".into(), Value::Object(fields.clone()));
    }
    let mut line = Value::Object(record).to_string();
    line.push('\n');
    line
}

/// `2026-11-22T10:00:00.000Z` for a system time (UTC).
pub(crate) fn rfc3339_millis(at: SystemTime) -> String {
    let since = at.duration_since(UNIX_EPOCH).unwrap_or_default();
    let secs = since.as_secs() as i64;
    let (days, rem) = (secs.div_euclid(86_400), secs.rem_euclid(86_400));
    let (year, month, day) = civil_from_days(days);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}.{:03}Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60,
        since.subsec_millis()
    )
}

/// Days since 1970-01-01 → (year, month, day), proleptic Gregorian
/// (H. Hinnant's algorithm), to avoid a date crate for one format.
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn formats_protocol_lines() {
        let at = UNIX_EPOCH + Duration::from_millis(1_795_860_000_123);
        let mut fields = Map::new();
        fields.insert("step".into(), "log".into());
        let line = format_line(Level::Info, "hello", &fields, at);
        assert!(line.ends_with('\n'));
        let v: Value = serde_json::from_str(&line).unwrap();
        assert_eq!(v["level"], "info");
        assert_eq!(v["message"], "hello");
        assert_eq!(v["time"], "2026-11-28T10:00:00.123Z");
        assert_eq!(v["fields"]["step"], "log");
        let bare: Value =
            serde_json::from_str(&format_line(Level::Warn, "x", &Map::new(), at)).unwrap();
        assert!(bare.get("fields").is_none());
    }

    #[test]
    fn dates_are_gregorian() {
        assert_eq!(rfc3339_millis(UNIX_EPOCH), "1970-01-01T00:00:00.000Z");
        assert_eq!(
            rfc3339_millis(UNIX_EPOCH + Duration::from_secs(951_782_400)),
            "2000-02-29T00:00:00.000Z"
        );
    }

    #[test]
    fn levels_parse_and_order() {
        assert_eq!("WARN".parse::<Level>().unwrap(), Level::Warn);
        assert!("loud"
            .parse::<Level>()
            .unwrap_err()
            .contains("trace, debug"));
        assert!(Level::Error > Level::Info);
        let logger = Logger::new().with("a", 1).with("b", "x");
        assert_eq!(logger.fields.len(), 2);
    }
}
