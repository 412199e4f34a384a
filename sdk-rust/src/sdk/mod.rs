//! The plugin object and the process side of the protocol: registration
//! ([`plugin`]), serving ([`serve`]) and the gRPC services ([`servicer`]).

pub mod client;
pub mod handshake;
pub mod options;
pub mod plugin;
pub mod serve;
pub mod servicer;

mod calls;
mod commands;
mod controller;
mod deadline;
pub(crate) mod invoke;
mod lifecycle;
mod manifest;
mod output;
mod state;
mod stream;
