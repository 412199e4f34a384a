//! [`Cancellation`]: the flag a call carries from the host's `Cancel` or its
//! deadline down to step code, usable from both blocking and async code.

use std::sync::{Arc, Condvar, Mutex, OnceLock};
use std::time::{Duration, Instant};

use tokio_util::sync::CancellationToken;

use crate::core::errors::{ErrorCode, HeddleError};

/// Why a call stopped early.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CancelReason {
    /// The host (or user) cancelled it; the text says why.
    Cancelled(String),
    /// Its deadline passed.
    DeadlineExceeded,
}

impl CancelReason {
    /// The protocol error a cancelled call answers with (`CANCELLED` or
    /// `DEADLINE_EXCEEDED`), for `component`.
    pub fn to_error(&self, component: &str) -> HeddleError {
        let err = match self {
            CancelReason::Cancelled(why) => HeddleError::sdk(
                ErrorCode::Cancelled,
                format!("{component} was cancelled ({why})"),
            ),
            CancelReason::DeadlineExceeded => HeddleError::sdk(
                ErrorCode::DeadlineExceeded,
                format!("{component} ran past its deadline; give it a longer timeout or less work"),
            ),
        };
        err.with_component(component)
    }
}

struct State {
    reason: OnceLock<CancelReason>,
    // Blocking waiters sleep on the condvar; async waiters on the token.
    wake: Mutex<()>,
    condvar: Condvar,
    token: CancellationToken,
}

/// A cancellation flag shared by the SDK and one call's code. Cheap to
/// clone; the first [`cancel`](Cancellation::cancel) wins and later ones are
/// ignored.
#[derive(Clone)]
pub struct Cancellation {
    state: Arc<State>,
}

impl Default for Cancellation {
    fn default() -> Self {
        Self::new()
    }
}

impl Cancellation {
    /// A flag that is not cancelled.
    pub fn new() -> Self {
        Cancellation {
            state: Arc::new(State {
                reason: OnceLock::new(),
                wake: Mutex::new(()),
                condvar: Condvar::new(),
                token: CancellationToken::new(),
            }),
        }
    }

    /// Marks the call cancelled and wakes every waiter. Returns false when it
    /// was already cancelled (the first reason is kept).
    pub fn cancel(&self, reason: CancelReason) -> bool {
        if self.state.reason.set(reason).is_err() {
            return false;
        }
        // Taking the lock orders this notify after any waiter's check.
        let _guard = self.state.wake.lock().unwrap_or_else(|p| p.into_inner());
        self.state.condvar.notify_all();
        self.state.token.cancel();
        true
    }

    /// Whether the call was cancelled.
    pub fn is_cancelled(&self) -> bool {
        self.state.reason.get().is_some()
    }

    /// Why it was cancelled, if it was.
    pub fn reason(&self) -> Option<CancelReason> {
        self.state.reason.get().cloned()
    }

    /// Blocks up to `timeout`, returning early (true) as soon as the call is
    /// cancelled. For blocking code only: in async code use
    /// [`cancelled`](Cancellation::cancelled).
    pub fn wait_timeout(&self, timeout: Duration) -> bool {
        let until = Instant::now() + timeout;
        let mut guard = self.state.wake.lock().unwrap_or_else(|p| p.into_inner());
        loop {
            if self.is_cancelled() {
                return true;
            }
            let now = Instant::now();
            if now >= until {
                return false;
            }
            guard = self
                .state
                .condvar
                .wait_timeout(guard, until - now)
                .unwrap_or_else(|p| p.into_inner())
                .0;
        }
    }

    /// Resolves once the call is cancelled.
    pub async fn cancelled(&self) {
        self.state.token.cancelled().await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn first_reason_wins_and_waiters_wake() {
        let flag = Cancellation::new();
        assert!(!flag.wait_timeout(Duration::from_millis(1)));
        let other = flag.clone();
        let waiter = std::thread::spawn(move || other.wait_timeout(Duration::from_secs(60)));
        assert!(flag.cancel(CancelReason::DeadlineExceeded));
        assert!(!flag.cancel(CancelReason::Cancelled("late".into())));
        assert!(waiter.join().unwrap());
        assert_eq!(flag.reason(), Some(CancelReason::DeadlineExceeded));
    }

    #[tokio::test]
    async fn async_waiters_wake() {
        let flag = Cancellation::new();
        let other = flag.clone();
        let task = tokio::spawn(async move { other.cancelled().await });
        flag.cancel(CancelReason::Cancelled("test".into()));
        task.await.unwrap();
        assert!(flag.is_cancelled());
    }
}
