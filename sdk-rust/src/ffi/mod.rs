//! In-process plugins (feature `ffi`): exports the Heddle C ABI
//! (`native/include/heddle_plugin.h`, `docs/in-process.md`) for a
//! [`Plugin`](crate::Plugin) so a host can `dlopen` it as a cdylib and pass
//! tables as Arrow C Streams: no process boundary, no IPC, no copy.
//!
//! ```ignore
//! fn build_plugin() -> heddle::Plugin { /* register steps */ }
//! heddle::export_plugin!(build_plugin);
//! ```
//!
//! The same `Plugin` value serves both ways: `serve()` in a binary for the
//! out-of-process runtime, `export_plugin!` in a cdylib for `"native"`.

pub mod abi;
mod base64;
mod cancel_flag;
mod errors;
mod instance;
mod manifest_json;

pub use instance::{CallLimits, InProcessPlugin};

/// The ABI version `heddle_plugin_abi_version()` answers. Bumped on any
/// incompatible change of `heddle_plugin.h`.
pub const ABI_VERSION: u32 = 1;

/// Exports the Heddle C ABI (`heddle_describe`, `heddle_open_resource`,
/// `heddle_close_resource`, `heddle_invoke`, `heddle_invoke_cancellable`,
/// `heddle_free_string`, `heddle_plugin_abi_version`) from a cdylib, for the plugin that
/// `$build` (a `fn() -> heddle::Plugin`) returns. The plugin is built once,
/// on the first call. Use it once per crate, at the top level.
#[macro_export]
macro_rules! export_plugin {
    ($build:path) => {
        fn __heddle_instance() -> &'static $crate::ffi::InProcessPlugin {
            static INSTANCE: ::std::sync::OnceLock<$crate::ffi::InProcessPlugin> =
                ::std::sync::OnceLock::new();
            INSTANCE.get_or_init(|| $crate::ffi::InProcessPlugin::new($build()))
        }

        /// ABI version of this library (see heddle_plugin.h).
        #[no_mangle]
        pub extern "C" fn heddle_plugin_abi_version() -> u32 {
            $crate::ffi::ABI_VERSION
        }

        /// Writes the manifest as JSON into `*manifest_json`; 0 on success.
        #[no_mangle]
        pub unsafe extern "C" fn heddle_describe(
            manifest_json: *mut *mut ::std::os::raw::c_char,
        ) -> i32 {
            $crate::ffi::abi::describe(__heddle_instance, manifest_json)
        }

        /// Opens a resource instance; 0 on success, else `*error_json` is set.
        #[no_mangle]
        pub unsafe extern "C" fn heddle_open_resource(
            kind: *const ::std::os::raw::c_char,
            config_json: *const ::std::os::raw::c_char,
            instance_id: *mut *mut ::std::os::raw::c_char,
            error_json: *mut *mut ::std::os::raw::c_char,
        ) -> i32 {
            $crate::ffi::abi::open_resource(
                __heddle_instance,
                kind,
                config_json,
                instance_id,
                error_json,
            )
        }

        /// Closes a resource instance; 0 on success, else `*error_json` is set.
        #[no_mangle]
        pub unsafe extern "C" fn heddle_close_resource(
            instance_id: *const ::std::os::raw::c_char,
            error_json: *mut *mut ::std::os::raw::c_char,
        ) -> i32 {
            $crate::ffi::abi::close_resource(__heddle_instance, instance_id, error_json)
        }

        /// Runs a step: `input` may be null; `output` is written on success
        /// (its `release` is null for a sink). 0 on success, else `*error_json`.
        #[no_mangle]
        pub unsafe extern "C" fn heddle_invoke(
            step: *const ::std::os::raw::c_char,
            config_json: *const ::std::os::raw::c_char,
            resources_json: *const ::std::os::raw::c_char,
            input: *mut $crate::ffi::abi::FFI_ArrowArrayStream,
            output: *mut $crate::ffi::abi::FFI_ArrowArrayStream,
            error_json: *mut *mut ::std::os::raw::c_char,
        ) -> i32 {
            $crate::ffi::abi::invoke(
                __heddle_instance,
                step,
                config_json,
                resources_json,
                input,
                output,
                error_json,
            )
        }

        /// As `heddle_invoke`, plus the host's cancel flag (1 cancelled, 2
        /// deadline; watched every millisecond) and the time the call has
        /// (`deadline_ms`, 0 = none): both cancel the step's context.
        #[no_mangle]
        pub unsafe extern "C" fn heddle_invoke_cancellable(
            step: *const ::std::os::raw::c_char,
            config_json: *const ::std::os::raw::c_char,
            resources_json: *const ::std::os::raw::c_char,
            input: *mut $crate::ffi::abi::FFI_ArrowArrayStream,
            output: *mut $crate::ffi::abi::FFI_ArrowArrayStream,
            cancel: *const i32,
            deadline_ms: u32,
            error_json: *mut *mut ::std::os::raw::c_char,
        ) -> i32 {
            $crate::ffi::abi::invoke_cancellable(
                __heddle_instance,
                step,
                config_json,
                resources_json,
                input,
                output,
                cancel,
                deadline_ms,
                error_json,
            )
        }

        /// Frees a string this library returned.
        #[no_mangle]
        pub unsafe extern "C" fn heddle_free_string(s: *mut ::std::os::raw::c_char) {
            $crate::ffi::abi::free_string(s)
        }
    };
}
