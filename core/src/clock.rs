//! The time source: the system clock in production, a manual one in tests; and retry jitter.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime};

use crate::sync::lock;

/// Something that tells the time. Inject a [`ManualClock`] to freeze or move time in tests.
pub trait Clock: Send + Sync + std::fmt::Debug {
    /// The current time.
    fn now(&self) -> SystemTime;
}

/// The operating system's wall clock.
#[derive(Debug, Default, Clone, Copy)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> SystemTime {
        SystemTime::now()
    }
}

/// A clock that only moves when told to.
#[derive(Debug)]
pub struct ManualClock {
    now: Mutex<SystemTime>,
}

impl ManualClock {
    /// A clock frozen at `at`.
    pub fn new(at: SystemTime) -> Arc<Self> {
        Arc::new(ManualClock {
            now: Mutex::new(at),
        })
    }

    /// Moves the clock forward by `by`.
    pub fn advance(&self, by: Duration) {
        let mut now = lock(&self.now);
        *now += by;
    }

    /// Sets the clock to `at`.
    pub fn set(&self, at: SystemTime) {
        *lock(&self.now) = at;
    }
}

impl Clock for ManualClock {
    fn now(&self) -> SystemTime {
        *lock(&self.now)
    }
}

/// A shareable clock handle.
pub type SharedClock = Arc<dyn Clock>;

/// Identity of a clock, so caches built with different clocks never mix (0 = system clock).
pub(crate) fn clock_id(clock: &Option<SharedClock>) -> usize {
    clock
        .as_ref()
        .map_or(0, |c| Arc::as_ptr(c) as *const () as usize)
}

/// A random point in the upper half of `window`, so that callers that failed together (a fleet
/// after an STS throttle, pods after an identity provider outage) do not retry together.
pub(crate) fn jittered(window: Duration) -> Duration {
    use std::hash::BuildHasher;
    // A randomly keyed hasher is randomness enough for jitter, without a dependency.
    let random = std::collections::hash_map::RandomState::new().hash_one(Instant::now());
    let half = window / 2;
    half + half.mul_f64((random % 1024) as f64 / 1023.0)
}
