//! The plugin object and the process side of the protocol: registration
//! ([`plugin`]), serving ([`serve`]), the gRPC services ([`servicer`]) and
//! the frame lane's wire format ([`frames`]).

pub mod client;
pub mod frames;
pub mod handshake;
pub mod options;
pub mod plugin;
pub mod serve;
pub mod servicer;

mod calls;
mod commands;
mod controller;
mod deadline;
mod frame_call;
mod frame_server;
mod frame_socket;
pub(crate) mod invoke;
mod lifecycle;
mod manifest;
mod output;
mod passthrough;
mod pipeline;
mod state;
mod stream;
