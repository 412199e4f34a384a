//! The host's cancel flag of `heddle_invoke_cancellable`: an `int32_t` the
//! host sets, from another thread, to 1 (cancelled) or 2 (deadline passed).
//! A watcher task polls it every millisecond and cancels the step's
//! [`Cancellation`] with the matching reason, so step code sees it through
//! `ctx.cancelled()`, `ctx.sleep()` or `ctx.on_cancel()` as under `serve()`.

use std::sync::atomic::{AtomicI32, Ordering};
use std::time::Duration;

use crate::core::cancellation::{CancelReason, Cancellation};

/// `*cancel` value: the caller cancelled the call.
const CANCELLED: i32 = 1;
/// `*cancel` value: the call's deadline passed.
const DEADLINE: i32 = 2;
/// How often the watcher looks at the flag.
const POLL: Duration = Duration::from_millis(1);

/// The host's flag. Valid only while the call that received it runs: the
/// watcher holding it is stopped (and awaited) before the call returns.
#[derive(Clone, Copy)]
pub(crate) struct CancelFlag(*const AtomicI32);

// The host keeps the flag's memory alive and writes it atomically until the
// call returns; reading it from the runtime's threads is sound for that long.
unsafe impl Send for CancelFlag {}

impl CancelFlag {
    /// Wraps the ABI's pointer; `None` when it is null.
    ///
    /// # Safety
    /// `ptr` is null or a 4-byte aligned `int32_t` that stays readable until
    /// the call returns.
    pub(crate) unsafe fn from_raw(ptr: *const i32) -> Option<Self> {
        (!ptr.is_null()).then(|| CancelFlag(AtomicI32::from_ptr(ptr as *mut i32)))
    }

    /// Why the host ended the call, if it did (an unknown non-zero value counts as a cancel).
    pub(crate) fn reason(self) -> Option<CancelReason> {
        // SAFETY: see the type's invariant.
        match unsafe { (*self.0).load(Ordering::Acquire) } {
            0 => None,
            DEADLINE => Some(CancelReason::DeadlineExceeded),
            CANCELLED => Some(CancelReason::Cancelled("cancelled by the host".into())),
            other => Some(CancelReason::Cancelled(format!(
                "cancelled by the host (flag {other})"
            ))),
        }
    }
}

/// Polls `flag` until it is set, then cancels `cancellation` with its reason.
/// Runs until then or until aborted (the call ended).
pub(crate) async fn watch(flag: CancelFlag, cancellation: Cancellation) {
    let mut tick = tokio::time::interval(POLL);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tick.tick().await;
        if let Some(reason) = flag.reason() {
            cancellation.cancel(reason);
            return;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_hosts_codes() {
        let raw = AtomicI32::new(0);
        let flag = unsafe { CancelFlag::from_raw(raw.as_ptr()) }.unwrap();
        assert_eq!(flag.reason(), None);
        raw.store(DEADLINE, Ordering::Release);
        assert_eq!(flag.reason(), Some(CancelReason::DeadlineExceeded));
        raw.store(CANCELLED, Ordering::Release);
        assert!(matches!(flag.reason(), Some(CancelReason::Cancelled(_))));
        assert!(unsafe { CancelFlag::from_raw(std::ptr::null()) }.is_none());
    }

    #[tokio::test]
    async fn the_watcher_cancels_once_the_flag_is_set() {
        let raw: &'static AtomicI32 = Box::leak(Box::new(AtomicI32::new(0)));
        let cancellation = Cancellation::new();
        let task = tokio::spawn(watch(
            unsafe { CancelFlag::from_raw(raw.as_ptr()) }.unwrap(),
            cancellation.clone(),
        ));
        raw.store(DEADLINE, Ordering::Release);
        task.await.unwrap();
        assert_eq!(cancellation.reason(), Some(CancelReason::DeadlineExceeded));
    }
}
