//! The Heimdall command `ping`.

use heddle::{CommandContext, CommandOptions, HeddleError, Plugin, Table};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::tables::utf8;

fn pong() -> String {
    "pong".into()
}

/// `ping` context: `{message?: string = "pong"}`.
#[derive(Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
struct PingContext {
    #[serde(default = "pong")]
    message: String,
}

fn ping(context: PingContext, cmd: &CommandContext) -> Result<Table, HeddleError> {
    cmd.stdout("ping");
    cmd.stderr("ping-err");
    Table::from_columns(vec![("message", utf8([context.message]))])
}

/// Registers `ping`.
pub fn register(plugin: &mut Plugin) {
    plugin.command(
        CommandOptions::new("ping").description("writes ping / ping-err and returns the message"),
        ping,
    );
}
