//! The serving lifecycle: counting calls in flight, refusing new ones once a
//! shutdown began, and waiting for the in-flight ones within the grace
//! period (protocol §11).

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::{watch, Notify};
use tokio::time::Instant;
use tonic::Status;

/// Shared by the services and `serve`.
pub(crate) struct Lifecycle {
    stopping: AtomicBool,
    inflight: AtomicUsize,
    idle: Notify,
    stop: watch::Sender<Option<Duration>>,
}

/// Held for as long as a call runs.
pub(crate) struct InflightGuard {
    lifecycle: Arc<Lifecycle>,
}

impl Drop for InflightGuard {
    fn drop(&mut self) {
        if self.lifecycle.inflight.fetch_sub(1, Ordering::AcqRel) == 1 {
            self.lifecycle.idle.notify_waiters();
        }
    }
}

impl Lifecycle {
    pub(crate) fn new() -> Arc<Self> {
        Arc::new(Lifecycle {
            stopping: AtomicBool::new(false),
            inflight: AtomicUsize::new(0),
            idle: Notify::new(),
            stop: watch::channel(None).0,
        })
    }

    /// Counts a new call, or refuses it with `UNAVAILABLE` once stopping.
    pub(crate) fn begin_call(self: &Arc<Self>) -> Result<InflightGuard, Status> {
        self.inflight.fetch_add(1, Ordering::AcqRel);
        let guard = InflightGuard {
            lifecycle: self.clone(),
        };
        if self.stopping.load(Ordering::Acquire) {
            return Err(Status::unavailable(
                "the plugin is shutting down and accepts no new calls; the host will restart it if needed",
            ));
        }
        Ok(guard)
    }

    /// Starts a shutdown with `grace` for the calls in flight. Only the first
    /// request counts; returns whether this one did.
    pub(crate) fn request_stop(&self, grace: Duration) -> bool {
        if self.stopping.swap(true, Ordering::AcqRel) {
            return false;
        }
        self.stop.send_replace(Some(grace));
        true
    }

    /// Resolves with the grace period once a shutdown is requested.
    pub(crate) async fn stop_requested(&self) -> Duration {
        let mut receiver = self.stop.subscribe();
        loop {
            if let Some(grace) = *receiver.borrow_and_update() {
                return grace;
            }
            if receiver.changed().await.is_err() {
                return Duration::ZERO;
            }
        }
    }

    /// Waits until no call is in flight or `until` passes; true when idle.
    pub(crate) async fn wait_idle(&self, until: Instant) -> bool {
        loop {
            let notified = self.idle.notified();
            tokio::pin!(notified);
            notified.as_mut().enable();
            if self.inflight.load(Ordering::Acquire) == 0 {
                return true;
            }
            tokio::select! {
                _ = &mut notified => {}
                _ = tokio::time::sleep_until(until) => return self.inflight.load(Ordering::Acquire) == 0,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn refuses_calls_once_stopping_and_waits_for_the_rest() {
        let lifecycle = Lifecycle::new();
        let call = lifecycle.begin_call().unwrap();
        assert!(lifecycle.request_stop(Duration::from_millis(5)));
        assert!(!lifecycle.request_stop(Duration::from_secs(9)));
        assert_eq!(lifecycle.stop_requested().await, Duration::from_millis(5));
        assert!(lifecycle.begin_call().is_err());
        assert!(!lifecycle.wait_idle(Instant::now()).await);
        let waiter = {
            let lifecycle = lifecycle.clone();
            tokio::spawn(async move {
                lifecycle
                    .wait_idle(Instant::now() + Duration::from_secs(60))
                    .await
            })
        };
        drop(call);
        assert!(waiter.await.unwrap());
    }
}
