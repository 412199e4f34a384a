//! Building blocks that plugin code touches: tables, step/command contexts,
//! errors, the logger, config schemas and Arrow IPC helpers.

pub mod cancellation;
pub mod command;
pub mod context;
pub mod errors;
pub mod handler;
pub mod ipc;
pub mod logger;
pub mod options;
pub(crate) mod pace;
pub mod panics;
pub mod resource;
pub mod schema;
pub mod shm;
pub mod step;
pub mod table;
pub mod validation;
