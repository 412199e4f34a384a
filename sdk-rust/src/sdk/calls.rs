//! The calls running now, by the host's call id, so `ControllerService.Cancel`
//! can reach them (protocol §5.3).

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use crate::core::cancellation::{CancelReason, Cancellation};

/// Running calls by call id.
#[derive(Default)]
pub(crate) struct CallRegistry {
    next: AtomicU64,
    running: Mutex<HashMap<String, (u64, Cancellation)>>,
}

/// Keeps a call registered; on drop it unregisters it and, if the call's
/// handler was dropped before finishing (the host cancelled the gRPC call or
/// went away), cancels it so the step can stop.
pub(crate) struct CallGuard {
    registry: Arc<CallRegistry>,
    call_id: String,
    token: u64,
    cancellation: Cancellation,
    finished: bool,
}

impl CallGuard {
    /// Marks the call answered: dropping the guard no longer cancels it.
    pub(crate) fn finish(mut self) {
        self.finished = true;
    }
}

impl Drop for CallGuard {
    fn drop(&mut self) {
        if !self.finished {
            self.cancellation
                .cancel(CancelReason::Cancelled("the caller went away".into()));
        }
        let mut running = self.registry.lock();
        if running
            .get(&self.call_id)
            .is_some_and(|(token, _)| *token == self.token)
        {
            running.remove(&self.call_id);
        }
    }
}

impl CallRegistry {
    /// Registers `cancellation` under `call_id` (an empty id is not
    /// reachable by `Cancel` but is still cancelled when its guard drops).
    pub(crate) fn register(
        self: &Arc<Self>,
        call_id: &str,
        cancellation: Cancellation,
    ) -> CallGuard {
        let token = self.next.fetch_add(1, Ordering::Relaxed);
        if !call_id.is_empty() {
            self.lock()
                .insert(call_id.to_string(), (token, cancellation.clone()));
        }
        CallGuard {
            registry: self.clone(),
            call_id: call_id.to_string(),
            token,
            cancellation,
            finished: false,
        }
    }

    /// Cancels the call of that id; false when none is running.
    pub(crate) fn cancel(&self, call_id: &str, reason: &str) -> bool {
        let found = self.lock().get(call_id).map(|(_, c)| c.clone());
        match found {
            Some(cancellation) => {
                let why = if reason.is_empty() {
                    "cancelled by the host"
                } else {
                    reason
                };
                cancellation.cancel(CancelReason::Cancelled(why.to_string()));
                true
            }
            None => false,
        }
    }

    /// Cancels every running call (the grace period of a shutdown is over).
    pub(crate) fn cancel_all(&self, reason: &str) {
        let all: Vec<Cancellation> = self.lock().values().map(|(_, c)| c.clone()).collect();
        for cancellation in all {
            cancellation.cancel(CancelReason::Cancelled(reason.to_string()));
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, (u64, Cancellation)>> {
        self.running.lock().unwrap_or_else(|p| p.into_inner())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cancels_by_id_and_on_drop() {
        let registry = Arc::new(CallRegistry::default());
        let a = Cancellation::new();
        let guard = registry.register("a", a.clone());
        assert!(!registry.cancel("b", ""));
        assert!(registry.cancel("a", ""));
        assert_eq!(
            a.reason(),
            Some(CancelReason::Cancelled("cancelled by the host".into()))
        );
        guard.finish();
        assert!(!registry.cancel("a", ""));

        let b = Cancellation::new();
        drop(registry.register("b", b.clone()));
        assert!(b.is_cancelled());
    }
}
