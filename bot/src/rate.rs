//! Token buckets: web chat sessions per client address, messages per web chat session and per
//! Telegram or Discord user. Generous for a person (a burst, then a steady rate); a script that floods gets a
//! polite 429.

use std::collections::HashMap;
use std::hash::Hash;
use std::sync::Mutex;
use std::time::Instant;

/// Past this many keys, buckets that have filled up again are forgotten.
const PRUNE_AT: usize = 50_000;

pub struct RateLimiter<K> {
    burst: f64,
    per_sec: f64,
    // A std mutex: held for a map lookup only, never across an await.
    buckets: Mutex<HashMap<K, (f64, Instant)>>,
}

impl<K: Hash + Eq + Clone> RateLimiter<K> {
    pub fn new(burst: u32, per_minute: u32) -> RateLimiter<K> {
        RateLimiter { burst: f64::from(burst.max(1)), per_sec: f64::from(per_minute) / 60.0, buckets: Mutex::new(HashMap::new()) }
    }

    /// Takes one token for `key`; `Err(seconds to wait)` when there is none.
    pub fn take(&self, key: &K) -> Result<(), u64> {
        self.take_at(key, Instant::now())
    }

    fn take_at(&self, key: &K, now: Instant) -> Result<(), u64> {
        let mut buckets = self.buckets.lock().unwrap_or_else(|p| p.into_inner());
        if buckets.len() >= PRUNE_AT {
            let (burst, per_sec) = (self.burst, self.per_sec);
            buckets.retain(|_, (tokens, at)| *tokens + now.duration_since(*at).as_secs_f64() * per_sec < burst);
        }
        let (tokens, at) = buckets.entry(key.clone()).or_insert((self.burst, now));
        *tokens = (*tokens + now.duration_since(*at).as_secs_f64() * self.per_sec).min(self.burst);
        *at = now;
        if *tokens >= 1.0 {
            *tokens -= 1.0;
            Ok(())
        } else if self.per_sec > 0.0 {
            Err(((1.0 - *tokens) / self.per_sec).ceil() as u64)
        } else {
            Err(60)
        }
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    #[test]
    fn a_burst_then_a_steady_rate() {
        let limiter = RateLimiter::new(3, 60);
        let t0 = Instant::now();
        for _ in 0..3 {
            assert_eq!(limiter.take_at(&"a", t0), Ok(()));
        }
        assert_eq!(limiter.take_at(&"a", t0), Err(1), "empty: wait a second");
        assert_eq!(limiter.take_at(&"b", t0), Ok(()), "others are not affected");
        assert_eq!(limiter.take_at(&"a", t0 + Duration::from_millis(1100)), Ok(()), "one token back per second");
        assert!(limiter.take_at(&"a", t0 + Duration::from_millis(1200)).is_err());
    }
}
