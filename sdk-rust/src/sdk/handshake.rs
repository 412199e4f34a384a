//! The handshake (protocol §2): the magic cookie, picking a protocol version,
//! the stdout handshake line and the capability flags.

/// The cookie every host sets in `HEDDLE_PLUGIN_COOKIE` (a UX guard: it tells
/// a plugin it was started by a host and not by a person).
pub const COOKIE: &str = "5c0f6a8e1d2b4c7f9a3e0b6d8c1f2a47";

/// Protocol versions this SDK speaks, highest first.
pub const SUPPORTED_VERSIONS: &[u32] = &[1];

/// Capability flags this SDK implements (`shm` only when `HEDDLE_SHM_DIR`
/// is a writable directory, `frames` only when the frame lane listens).
pub const CAPABILITIES: &[&str] = &["streaming", "cancel", "commands", "shm", "frames"];

/// Exit status when the cookie is missing or wrong.
pub const EXIT_COOKIE_MISMATCH: i32 = 3;

/// Exit status when host and plugin share no protocol version.
pub const EXIT_PROTOCOL_MISMATCH: i32 = 4;

/// The SDK's name in the `Handshake` answer.
pub const SDK_NAME: &str = "heddle-sdk-rust";

/// The SDK's language in the `Handshake` answer.
pub const SDK_LANGUAGE: &str = "rust";

/// The SDK's version in the `Handshake` answer.
pub const SDK_VERSION: &str = env!("CARGO_PKG_VERSION");

/// Parses `HEDDLE_PLUGIN_PROTOCOL_VERSIONS` (`"1"`, `"2,1"`); entries that
/// are not numbers are skipped.
pub fn parse_versions(text: &str) -> Vec<u32> {
    text.split(',')
        .filter_map(|v| v.trim().parse().ok())
        .collect()
}

/// The highest version in `offered` that this SDK speaks, if any.
pub fn pick_version(offered: &[u32]) -> Option<u32> {
    offered
        .iter()
        .copied()
        .filter(|v| SUPPORTED_VERSIONS.contains(v))
        .max()
}

/// The capability flags both sides support, in this SDK's order; `shm` only
/// when `shm_ready` (a writable `HEDDLE_SHM_DIR`), `frames` only when
/// `frames_ready` (the frame lane listens, protocol §5.5).
pub fn shared_capabilities(offered: &[String], shm_ready: bool, frames_ready: bool) -> Vec<String> {
    CAPABILITIES
        .iter()
        .filter(|c| **c != "shm" || shm_ready)
        .filter(|c| **c != "frames" || frames_ready)
        .filter(|c| offered.iter().any(|o| o == *c))
        .map(|c| c.to_string())
        .collect()
}

/// The one handshake line printed on stdout (without the newline):
/// `HEDDLE|1|<version>|unix|<socket path>|grpc`.
pub fn handshake_line(version: u32, socket: &str) -> String {
    format!("HEDDLE|1|{version}|unix|{socket}|grpc")
}

/// The stderr message for a missing or wrong cookie (contains
/// `HEDDLE_COOKIE_MISMATCH`).
pub fn cookie_message() -> String {
    "HEDDLE_COOKIE_MISMATCH: this program is a Heddle Host plugin and is not meant to be run directly. \
Run it through heddle-host (for example `heddle-host describe <plugin-dir>` or `heddle-host call ...`)."
        .to_string()
}

/// The stderr message when no version is shared (contains
/// `HEDDLE_PROTOCOL_MISMATCH` and both version lists).
pub fn protocol_message(offered: &str) -> String {
    let ours: Vec<String> = SUPPORTED_VERSIONS.iter().map(u32::to_string).collect();
    format!(
        "HEDDLE_PROTOCOL_MISMATCH: the host speaks protocol versions [{offered}] but this plugin ({SDK_NAME} {SDK_VERSION}) speaks [{}]. \
Upgrade the host or rebuild the plugin with a matching heddle-sdk.",
        ours.join(",")
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn picks_the_highest_shared_version() {
        assert_eq!(pick_version(&parse_versions("3, 1,x")), Some(1));
        assert_eq!(pick_version(&parse_versions("2")), None);
        assert_eq!(pick_version(&[]), None);
    }

    #[test]
    fn formats_the_line_and_capabilities() {
        assert_eq!(
            handshake_line(1, "/tmp/h/p.sock"),
            "HEDDLE|1|1|unix|/tmp/h/p.sock|grpc"
        );
        let offered = vec![
            "frames".to_string(),
            "shm".into(),
            "cancel".into(),
            "streaming".into(),
        ];
        assert_eq!(
            shared_capabilities(&offered, false, false),
            vec!["streaming", "cancel"]
        );
        assert_eq!(
            shared_capabilities(&offered, true, true),
            vec!["streaming", "cancel", "shm", "frames"]
        );
        assert_eq!(
            shared_capabilities(&offered[1..], true, true),
            vec!["streaming", "cancel", "shm"]
        );
        assert!(shared_capabilities(&[], true, true).is_empty());
        assert!(protocol_message("2").contains("[2]") && protocol_message("2").contains("[1]"));
    }
}
