//! The SDK's one error type, [`HeddleError`], and the protocol's stable
//! [`ErrorCode`] table.
//!
//! Like `anyhow::Error`, a `HeddleError` can be built from any
//! `std::error::Error` with `?`. Such a *plain* error carries no code: the SDK
//! picks the code from where it surfaced (`STEP_FAILED` in a step,
//! `COMMAND_FAILED` in a command, `RESOURCE_INIT_FAILED` in a resource
//! constructor). A *typed* error ([`HeddleError::new`]) keeps its code.

use std::backtrace::Backtrace;
use std::fmt;

use crate::proto;

/// The stable table of error codes (`proto/heddle/plugin/v1/errors.proto`).
/// Their names without the `ERROR_CODE_` prefix ([`code_name`]) are what
/// users and scripts see.
pub use crate::proto::ErrorCode;

/// Most stack traces are short; this bounds what one error can send.
const MAX_STACK_BYTES: usize = 16 * 1024;

/// An error raised by plugin code or by the SDK on its behalf.
///
/// Build one with [`HeddleError::new`] (typed: you choose the code),
/// [`HeddleError::msg`] (plain: the SDK chooses) or `?` on any
/// `std::error::Error` (plain). The stack trace is captured where the error
/// is built and sent to the host with it. One pointer wide, so `Result`s
/// stay small.
pub struct HeddleError {
    inner: Box<Inner>,
}

struct Inner {
    code: Option<ErrorCode>,
    message: String,
    field: Option<String>,
    component: Option<String>,
    stack: Option<Backtrace>,
}

/// `Result` with [`HeddleError`] as the default error type.
pub type Result<T, E = HeddleError> = std::result::Result<T, E>;

impl HeddleError {
    /// A typed error: the host sees exactly `code` and `message`.
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        Self::build(Some(code), message.into(), Some(Backtrace::force_capture()))
    }

    /// A plain failure ("an exception in step code"): reported as
    /// `STEP_FAILED`, `COMMAND_FAILED` or `RESOURCE_INIT_FAILED` depending on
    /// where it surfaced, with its message and stack trace.
    pub fn msg(message: impl Into<String>) -> Self {
        Self::build(None, message.into(), Some(Backtrace::force_capture()))
    }

    /// `INVALID_CONFIG` for the config field at JSON pointer `field`
    /// (e.g. `/count`); `message` should name the field and what was expected.
    pub fn invalid_config(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self::sdk(ErrorCode::InvalidConfig, message).with_field(field)
    }

    /// `INVALID_INPUT`: the input table is missing, unreadable or of the wrong shape.
    pub fn invalid_input(message: impl Into<String>) -> Self {
        Self::new(ErrorCode::InvalidInput, message)
    }

    /// `INVALID_OUTPUT`: a step produced something that is not a table.
    pub fn invalid_output(message: impl Into<String>) -> Self {
        Self::new(ErrorCode::InvalidOutput, message)
    }

    /// A plain error for a caught panic, with the panicking thread's stack.
    pub(crate) fn panicked(message: String, stack: Backtrace) -> Self {
        Self::build(None, message, Some(stack))
    }

    /// An error raised by the SDK itself (validation, lookups): no stack
    /// trace, since the plugin's code is not at fault.
    pub(crate) fn sdk(code: ErrorCode, message: impl Into<String>) -> Self {
        Self::build(Some(code), message.into(), None)
    }

    fn build(code: Option<ErrorCode>, message: String, stack: Option<Backtrace>) -> Self {
        HeddleError {
            inner: Box::new(Inner {
                code,
                message,
                field: None,
                component: None,
                stack,
            }),
        }
    }

    /// Sets the JSON pointer of the config field at fault.
    pub fn with_field(mut self, field: impl Into<String>) -> Self {
        self.inner.field = Some(field.into());
        self
    }

    /// Sets the step, resource or command the error belongs to.
    pub fn with_component(mut self, component: impl Into<String>) -> Self {
        self.inner.component = Some(component.into());
        self
    }

    /// The code, or `None` for a plain error (the SDK picks it from context).
    pub fn code(&self) -> Option<ErrorCode> {
        self.inner.code
    }

    /// The human message.
    pub fn message(&self) -> &str {
        &self.inner.message
    }

    /// The JSON pointer of the config field at fault, if any.
    pub fn field(&self) -> Option<&str> {
        self.inner.field.as_deref()
    }

    /// The component the error belongs to, if set.
    pub fn component(&self) -> Option<&str> {
        self.inner.component.as_deref()
    }

    /// Whether this is a plain error (no code chosen by the thrower).
    pub fn is_plain(&self) -> bool {
        self.inner.code.is_none()
    }

    /// The protocol `Error` message: `default_code` applies to plain errors,
    /// `component` when the error names none itself.
    pub fn to_proto(&self, default_code: ErrorCode, component: &str) -> proto::Error {
        let inner = &self.inner;
        proto::Error {
            code: inner.code.unwrap_or(default_code) as i32,
            message: inner.message.clone(),
            component: inner
                .component
                .clone()
                .unwrap_or_else(|| component.to_string()),
            stack: inner.stack.as_ref().map(render_stack).unwrap_or_default(),
            field: inner.field.clone().unwrap_or_default(),
        }
    }
}

fn render_stack(stack: &Backtrace) -> String {
    let mut text = stack.to_string();
    if text.len() > MAX_STACK_BYTES {
        let mut cut = MAX_STACK_BYTES;
        while !text.is_char_boundary(cut) {
            cut -= 1;
        }
        text.truncate(cut);
        text.push_str("\n… (stack trace truncated)");
    }
    text
}

/// The stable name of a code, without the `ERROR_CODE_` prefix
/// (e.g. `INVALID_CONFIG`), as the CLI prints it.
pub fn code_name(code: ErrorCode) -> &'static str {
    let full = code.as_str_name();
    full.strip_prefix("ERROR_CODE_").unwrap_or(full)
}

impl<E> From<E> for HeddleError
where
    E: std::error::Error + Send + Sync + 'static,
{
    /// Any error becomes a plain `HeddleError` whose message includes the
    /// chain of causes.
    fn from(err: E) -> Self {
        let mut message = err.to_string();
        let mut source = err.source();
        while let Some(cause) = source {
            message.push_str(": ");
            message.push_str(&cause.to_string());
            source = cause.source();
        }
        HeddleError::msg(message)
    }
}

impl fmt::Display for HeddleError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.inner.code {
            Some(code) => write!(f, "{}: {}", code_name(code), self.inner.message),
            None => f.write_str(&self.inner.message),
        }
    }
}

impl fmt::Debug for HeddleError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let inner = &self.inner;
        f.debug_struct("HeddleError")
            .field("code", &inner.code.map(code_name))
            .field("message", &inner.message)
            .field("field", &inner.field)
            .field("component", &inner.component)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_errors_take_the_default_code_and_keep_a_stack() {
        let err: HeddleError = std::io::Error::other("disk on fire").into();
        assert!(err.is_plain());
        let wire = err.to_proto(ErrorCode::StepFailed, "demo.step");
        assert_eq!(wire.code, ErrorCode::StepFailed as i32);
        assert_eq!(wire.message, "disk on fire");
        assert_eq!(wire.component, "demo.step");
        assert!(!wire.stack.is_empty());
    }

    #[test]
    fn typed_errors_keep_their_code_and_field() {
        let err = HeddleError::invalid_config("/count", "config field /count must be >= 1");
        let wire = err.to_proto(ErrorCode::StepFailed, "x");
        assert_eq!(wire.code, ErrorCode::InvalidConfig as i32);
        assert_eq!(wire.field, "/count");
        assert_eq!(
            err.to_string(),
            "INVALID_CONFIG: config field /count must be >= 1"
        );
    }

    #[test]
    fn code_names_drop_the_prefix() {
        assert_eq!(code_name(ErrorCode::DeadlineExceeded), "DEADLINE_EXCEEDED");
        assert_eq!(code_name(ErrorCode::Internal), "INTERNAL");
    }
}
