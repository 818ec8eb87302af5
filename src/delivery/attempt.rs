//! The attempt log: every attempt at an item, kept with it, bounded and redacted.

use std::fmt;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::Timestamp;

/// The most bytes of attempt log a queue keeps per item (about 60 attempts); past it the oldest
/// attempts are dropped.
pub const ATTEMPT_LOG_BYTES: usize = 4096;

/// What an attempt came to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum AttemptOutcome {
    /// The handler succeeded: the item is done.
    Delivered,
    /// The handler failed; the item is tried again later.
    Retried,
    /// The handler failed and the item went to the dead letters.
    DeadLettered,
}

impl fmt::Display for AttemptOutcome {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Delivered => "delivered",
            Self::Retried => "retried",
            Self::DeadLettered => "dead-lettered",
        })
    }
}

/// One attempt at an item, as [`Queue::attempt_log`](super::Queue::attempt_log) returns it.
///
/// Only what an operator needs and nothing a customer sent or answered: when, how long, the
/// outcome, a coarse category (`destination answered 503`, `destination unreachable`,
/// `graph: rate_limit`, `timed out`, `handler error`) and the HTTP status a destination answered.
/// A handler's free-text error stays in [`Item::last_error`](super::Item::last_error).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Attempt {
    /// When the attempt started (the queue's clock).
    #[serde(rename = "at", with = "millis")]
    pub at: Timestamp,
    /// How long the handler ran.
    #[serde(rename = "ms", with = "duration_millis")]
    pub latency: Duration,
    /// What it came to.
    pub outcome: AttemptOutcome,
    /// Why it failed, coarsely; `None` when delivered.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub category: Option<String>,
    /// The HTTP status the destination answered, when it answered with a failure.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<u16>,
}

impl Attempt {
    /// An attempt that started `at` and ran for `latency`.
    pub fn new(at: Timestamp, latency: Duration, outcome: AttemptOutcome) -> Self {
        Self { at, latency, outcome, category: None, status: None }
    }

    /// With a failure category and status.
    #[must_use]
    pub fn failure(mut self, category: impl Into<String>, status: Option<u16>) -> Self {
        self.category = Some(category.into());
        self.status = status;
        self
    }

    /// The attempt as one line of a stored log (JSON, newline-terminated).
    pub(crate) fn to_line(&self) -> String {
        let mut line = serde_json::to_string(self).unwrap_or_default();
        line.push('\n');
        line
    }

    /// Appends `attempt` to a log held as lines, dropping the oldest past [`ATTEMPT_LOG_BYTES`].
    pub(crate) fn append(log: &mut String, attempt: &Self) {
        log.push_str(&attempt.to_line());
        if log.len() > ATTEMPT_LOG_BYTES {
            let cut = log.len() - ATTEMPT_LOG_BYTES;
            let start = log[cut..].find('\n').map_or(log.len(), |i| cut + i + 1);
            log.drain(..start);
        }
    }

    /// Reads a stored log, oldest first. A line cut by the bound, or not written by this crate,
    /// is skipped.
    pub(crate) fn parse_log(log: &str) -> Vec<Self> {
        log.lines().filter_map(|line| serde_json::from_str(line).ok()).collect()
    }
}

mod millis {
    use serde::{Deserialize, Deserializer, Serializer};

    use crate::Timestamp;

    #[allow(clippy::trivially_copy_pass_by_ref)] // serde's `with` passes a reference
    pub(super) fn serialize<S: Serializer>(at: &Timestamp, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_i64(at.unix_millis())
    }

    pub(super) fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Timestamp, D::Error> {
        i64::deserialize(d).map(Timestamp::from_unix_millis)
    }
}

mod duration_millis {
    use std::time::Duration;

    use serde::{Deserialize, Deserializer, Serializer};

    pub(super) fn serialize<S: Serializer>(latency: &Duration, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_u64(u64::try_from(latency.as_millis()).unwrap_or(u64::MAX))
    }

    pub(super) fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Duration, D::Error> {
        u64::deserialize(d).map(Duration::from_millis)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn attempt(at: i64) -> Attempt {
        Attempt::new(Timestamp::from_unix_millis(at), Duration::from_millis(12), AttemptOutcome::Retried)
            .failure("destination answered 503", Some(503))
    }

    #[test]
    fn a_log_round_trips_and_stays_within_its_bound_dropping_the_oldest() {
        let mut log = String::new();
        for at in 0..200 {
            Attempt::append(&mut log, &attempt(at));
            assert!(log.len() <= ATTEMPT_LOG_BYTES, "{}", log.len());
        }
        let read = Attempt::parse_log(&log);
        assert!(read.len() > 40, "{}", read.len());
        assert_eq!(read.last(), Some(&attempt(199)), "the newest is kept");
        assert_eq!(
            read.first().map(|a| a.at.unix_millis()),
            Some(200 - i64::try_from(read.len()).unwrap()),
            "no gap"
        );
        assert_eq!(log.lines().next().map(|l| l.starts_with('{')), Some(true), "cut at a line");
    }

    #[test]
    fn the_stored_line_is_compact_and_a_delivered_attempt_has_no_category() {
        let delivered =
            Attempt::new(Timestamp::from_unix_millis(5), Duration::from_millis(7), AttemptOutcome::Delivered);
        assert_eq!(delivered.to_line(), "{\"at\":5,\"ms\":7,\"outcome\":\"delivered\"}\n");
        assert_eq!(
            attempt(1).to_line(),
            "{\"at\":1,\"ms\":12,\"outcome\":\"retried\",\"category\":\"destination answered 503\",\"status\":503}\n"
        );
        assert_eq!(
            Attempt::parse_log("garbage\n{\"at\":5,\"ms\":7,\"outcome\":\"delivered\"}\n"),
            [delivered]
        );
    }
}
