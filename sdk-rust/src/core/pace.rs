//! How long a blocking step's recent calls took, so a step that keeps
//! answering within microseconds runs in place on the runtime's worker
//! instead of through `block_in_place`. Handing a worker's core to another
//! thread wakes a thread on every call; on a 2-vCPU machine that wake-up
//! was most of a one-row call (~40 µs of ~70–140 µs). Tokio's own advice is
//! that code between awaits may run for 10–100 µs; past that it blocks the
//! worker's other tasks.

use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

/// A run at most this long counts as quick.
const QUICK: Duration = Duration::from_micros(100);
/// Quick runs in a row before the step runs in place.
const TRUSTED_AFTER: u32 = 8;
/// Inputs with more rows always go through `block_in_place`: the step's
/// time may grow with its input.
pub(crate) const SMALL_INPUT_ROWS: usize = 4096;

/// The quick runs in a row of one step (shared by its concurrent calls).
#[derive(Default)]
pub(crate) struct Pace {
    quick_in_a_row: AtomicU32,
}

impl Pace {
    /// Whether the step has earned running in place.
    pub(crate) fn trusted(&self) -> bool {
        self.quick_in_a_row.load(Ordering::Relaxed) >= TRUSTED_AFTER
    }

    /// Records one run: a slow one takes the trust away at once.
    pub(crate) fn record(&self, took: Duration) {
        if took <= QUICK {
            let n = self.quick_in_a_row.load(Ordering::Relaxed);
            if n < TRUSTED_AFTER {
                self.quick_in_a_row.store(n + 1, Ordering::Relaxed);
            }
        } else {
            self.quick_in_a_row.store(0, Ordering::Relaxed);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_step_is_trusted_after_quick_runs_and_loses_it_at_one_slow_run() {
        let pace = Pace::default();
        for _ in 0..TRUSTED_AFTER - 1 {
            pace.record(Duration::from_micros(5));
        }
        assert!(!pace.trusted());
        pace.record(Duration::from_micros(5));
        assert!(pace.trusted());
        pace.record(Duration::from_millis(3));
        assert!(!pace.trusted());
    }
}
