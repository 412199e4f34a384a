//! Panics in plugin code become plain errors (`STEP_FAILED`,
//! `COMMAND_FAILED`, `RESOURCE_INIT_FAILED`) with the panic message and the
//! stack trace of the panicking thread, instead of killing the process.

use std::any::Any;
use std::backtrace::Backtrace;
use std::cell::{Cell, RefCell};
use std::future::Future;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::pin::Pin;
use std::sync::Once;
use std::task::{Context, Poll};

use crate::core::errors::HeddleError;
use crate::core::logger::Logger;

thread_local! {
    /// Where the last panic on this thread happened and its stack trace,
    /// recorded by the hook for the code that catches it.
    static LAST_PANIC: RefCell<Option<(String, Backtrace)>> = const { RefCell::new(None) };
    /// How many `catch` scopes this thread is in.
    static CATCHING: Cell<usize> = const { Cell::new(0) };
}

/// Installs (once per process) a panic hook: a panic inside plugin code run
/// by the SDK is recorded (location and stack trace) for the error sent to
/// the host and logged as a protocol `error` line; any other panic goes to
/// the previous hook (Rust's usual message).
pub fn install_hook() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            if CATCHING.with(Cell::get) == 0 {
                return previous(info);
            }
            let location = info
                .location()
                .map(|l| format!("{}:{}", l.file(), l.line()))
                .unwrap_or_default();
            let message = payload_text(info.payload());
            Logger::new()
                .with("location", location.clone())
                .error(&format!("panic in plugin code: {message}"));
            LAST_PANIC.with(|p| *p.borrow_mut() = Some((location, Backtrace::force_capture())));
        }));
    });
}

/// Marks this thread as inside a `catch` scope while alive.
struct Catching;

impl Catching {
    fn enter() -> Self {
        CATCHING.with(|c| c.set(c.get() + 1));
        Catching
    }
}

impl Drop for Catching {
    fn drop(&mut self) {
        CATCHING.with(|c| c.set(c.get() - 1));
    }
}

fn payload_text(payload: &(dyn Any + Send)) -> String {
    if let Some(text) = payload.downcast_ref::<&str>() {
        (*text).to_string()
    } else if let Some(text) = payload.downcast_ref::<String>() {
        text.clone()
    } else {
        "a panic without a message".to_string()
    }
}

/// The plain error for a caught panic payload, on the thread that panicked.
fn panic_error(payload: Box<dyn Any + Send>) -> HeddleError {
    let message = payload_text(payload.as_ref());
    match LAST_PANIC.with(|p| p.borrow_mut().take()) {
        Some((location, stack)) => {
            HeddleError::panicked(format!("panicked at {location}: {message}"), stack)
        }
        None => HeddleError::msg(format!("panicked: {message}")),
    }
}

/// Runs `f`, turning a panic into a plain `HeddleError`.
pub fn catch<T>(f: impl FnOnce() -> Result<T, HeddleError>) -> Result<T, HeddleError> {
    install_hook();
    let caught = {
        let _catching = Catching::enter();
        catch_unwind(AssertUnwindSafe(f))
    };
    caught.unwrap_or_else(|payload| Err(panic_error(payload)))
}

/// A future that turns a panic while polling into a plain `HeddleError`.
pub struct CatchPanic<F> {
    inner: Pin<Box<F>>,
}

impl<F> CatchPanic<F> {
    /// Wraps `future`.
    pub fn new(future: F) -> Self {
        install_hook();
        CatchPanic {
            inner: Box::pin(future),
        }
    }
}

impl<F, T> Future for CatchPanic<F>
where
    F: Future<Output = Result<T, HeddleError>>,
{
    type Output = Result<T, HeddleError>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let inner = self.inner.as_mut();
        let caught = {
            let _catching = Catching::enter();
            catch_unwind(AssertUnwindSafe(move || inner.poll(cx)))
        };
        match caught {
            Ok(poll) => poll,
            Err(payload) => Poll::Ready(Err(panic_error(payload))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::errors::ErrorCode;

    #[test]
    fn panics_become_plain_errors_with_a_stack() {
        let err = catch::<()>(|| panic!("boom {}", 7)).unwrap_err();
        assert!(err.is_plain());
        assert!(err.message().contains("boom 7"), "{}", err.message());
        assert!(err.message().contains("panics.rs"), "{}", err.message());
        assert!(!err.to_proto(ErrorCode::StepFailed, "x").stack.is_empty());
    }

    #[tokio::test]
    async fn async_panics_are_caught_too() {
        let err = CatchPanic::new(async {
            if true {
                panic!("async boom")
            } else {
                Ok(())
            }
        })
        .await
        .unwrap_err();
        assert!(err.message().contains("async boom"));
    }
}
