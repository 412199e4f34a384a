//! [`StepContext`]: what a running step (or handler) knows about its call:
//! its id, deadline, cancellation, bound resources and a logger.

use std::cell::RefCell;
use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::core::cancellation::{CancelReason, Cancellation};
use crate::core::errors::{ErrorCode, HeddleError};
use crate::core::logger::Logger;
use crate::core::resource::{OpenResource, Resource};

/// Everything the SDK knows about one call, shared by step and command contexts.
pub(crate) struct CallInfo {
    pub(crate) call_id: String,
    /// `namespace.name` of the step, handler or command.
    pub(crate) component: String,
    pub(crate) deadline: Option<Instant>,
    pub(crate) cancellation: Cancellation,
    pub(crate) resources: HashMap<String, OpenResource>,
    pub(crate) logger: Logger,
}

impl CallInfo {
    pub(crate) fn resource<T: Resource>(&self, binding: &str) -> Result<Arc<T>, HeddleError> {
        let open = self.resources.get(binding).ok_or_else(|| {
            HeddleError::new(
                ErrorCode::MissingResource,
                format!("{} has no resource bound as {binding:?}; bind an open instance to it in the call", self.component),
            )
        })?;
        open.downcast::<T>().ok_or_else(|| {
            HeddleError::msg(format!(
                "the resource bound as {binding:?} is a {:?} instance, not a {} (a bug in the plugin)",
                open.kind,
                std::any::type_name::<T>()
            ))
        })
    }
}

/// The context of one step or handler call. Cheap to clone; a clone sees the
/// same cancellation.
#[derive(Clone)]
pub struct StepContext {
    pub(crate) info: Arc<CallInfo>,
}

impl StepContext {
    pub(crate) fn new(info: Arc<CallInfo>) -> Self {
        StepContext { info }
    }

    /// The host's id of this call.
    pub fn call_id(&self) -> &str {
        &self.info.call_id
    }

    /// `namespace.step` of the running step.
    pub fn component(&self) -> &str {
        &self.info.component
    }

    /// Whether the host cancelled the call or its deadline passed. Long steps
    /// should check it often and stop early: the host gets `CANCELLED` or
    /// `DEADLINE_EXCEEDED` whatever the step returns after that.
    pub fn cancelled(&self) -> bool {
        self.expire();
        self.info.cancellation.is_cancelled()
    }

    /// Marks the call past its deadline when it is: the runtime's timer may
    /// not get to run while a quick step runs in place and turns slow.
    fn expire(&self) {
        if self.info.deadline.is_some_and(|at| Instant::now() >= at) {
            self.info
                .cancellation
                .cancel(CancelReason::DeadlineExceeded);
        }
    }

    /// `Err` (`CANCELLED` or `DEADLINE_EXCEEDED`) once the call is cancelled,
    /// so a step can write `ctx.check_cancelled()?;` in its loops.
    pub fn check_cancelled(&self) -> Result<(), HeddleError> {
        self.expire();
        match self.info.cancellation.reason() {
            Some(reason) => Err(reason.to_error(&self.info.component)),
            None => Ok(()),
        }
    }

    /// Why the call was cancelled, if it was.
    pub fn cancel_reason(&self) -> Option<CancelReason> {
        self.expire();
        self.info.cancellation.reason()
    }

    /// Sleeps up to `duration` in blocking code, waking as soon as the call
    /// is cancelled. Returns true when it was cancelled. Do not call it from
    /// async code (use [`on_cancel`](Self::on_cancel) there).
    pub fn sleep(&self, duration: Duration) -> bool {
        let capped = self.time_left().map_or(duration, |left| duration.min(left));
        self.info.cancellation.wait_timeout(capped) || self.cancelled()
    }

    /// Resolves when the call is cancelled (for async steps and `select!`).
    pub async fn on_cancel(&self) {
        self.info.cancellation.cancelled().await
    }

    /// When the call must be done by, if the host gave a deadline.
    pub fn deadline(&self) -> Option<Instant> {
        self.info.deadline
    }

    /// Time left before the deadline (zero once past), if there is one.
    pub fn time_left(&self) -> Option<Duration> {
        self.info
            .deadline
            .map(|d| d.saturating_duration_since(Instant::now()))
    }

    /// A logger whose lines carry `call_id` and `component` fields.
    pub fn logger(&self) -> &Logger {
        &self.info.logger
    }

    /// The resource instance bound as `binding`, as its concrete type.
    /// Fails with `MISSING_RESOURCE` when the call bound none (an optional
    /// binding), or with a plain error when it is not a `T` (a plugin bug).
    pub fn resource<T: Resource>(&self, binding: &str) -> Result<Arc<T>, HeddleError> {
        self.info.resource(binding)
    }
}

thread_local! {
    static CURRENT: RefCell<Option<StepContext>> = const { RefCell::new(None) };
}

/// The context of the step running on this thread, for code that was not
/// handed one (helpers deep in a call). `None` outside a (blocking) step.
pub fn current() -> Option<StepContext> {
    CURRENT.with(|c| c.borrow().clone())
}

/// Makes `ctx` the thread's current context until the guard drops.
pub(crate) fn enter(ctx: &StepContext) -> CurrentGuard {
    let previous = CURRENT.with(|c| c.replace(Some(ctx.clone())));
    CurrentGuard { previous }
}

pub(crate) struct CurrentGuard {
    previous: Option<StepContext>,
}

impl Drop for CurrentGuard {
    fn drop(&mut self) {
        let previous = self.previous.take();
        CURRENT.with(|c| *c.borrow_mut() = previous);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ctx() -> StepContext {
        StepContext::new(Arc::new(CallInfo {
            call_id: "c1".into(),
            component: "demo.step".into(),
            deadline: None,
            cancellation: Cancellation::new(),
            resources: HashMap::new(),
            logger: Logger::new(),
        }))
    }

    #[test]
    fn cancellation_shows_through_the_context() {
        let ctx = ctx();
        assert!(ctx.check_cancelled().is_ok());
        ctx.info
            .cancellation
            .cancel(CancelReason::Cancelled("test".into()));
        assert!(ctx.cancelled());
        assert!(ctx.sleep(Duration::from_secs(60)));
        assert_eq!(
            ctx.check_cancelled().unwrap_err().code(),
            Some(ErrorCode::Cancelled)
        );
    }

    #[test]
    fn current_is_scoped() {
        assert!(current().is_none());
        let ctx = ctx();
        {
            let _guard = enter(&ctx);
            assert_eq!(current().unwrap().call_id(), "c1");
        }
        assert!(current().is_none());
    }

    #[test]
    fn missing_bindings_are_missing_resource() {
        struct R;
        impl Resource for R {}
        let err = ctx().resource::<R>("vault").err().unwrap();
        assert_eq!(err.code(), Some(ErrorCode::MissingResource));
        assert!(err.message().contains("vault"));
    }
}
