//! What the crate reports about itself: metrics through the [`metrics`](https://docs.rs/metrics)
//! facade (feature `metrics`) and `tracing` spans and events (always).
//!
//! # Metrics
//!
//! With the `metrics` feature, the crate records to whatever recorder the program installed
//! (Prometheus, `StatsD`, `OpenTelemetry`, ...); without it, nothing is compiled in. The names and
//! labels below are stable. Every label value is one of a fixed set (the crate passes only
//! `&'static str` labels), except `queue`, a name your configuration chooses (the
//! per-destination relay queues `relay:<destination>` are all labelled `relay`): no phone
//! number, user id, message id, destination or tenant ever becomes a label.
//!
//! | name | type | labels | what |
//! |---|---|---|---|
//! | `meta_messaging_webhook_requests_total` | counter | `outcome` | webhook `POST`s answered: `accepted`, or the rejection: `too_large`, `signature`, `malformed`, `body`, `unavailable` |
//! | `meta_messaging_webhook_handshakes_total` | counter | `outcome` | subscription handshakes: `accepted`, `refused` |
//! | `meta_messaging_webhook_events_total` | counter | `platform`, `category` | events in accepted bodies: `platform` is `whatsapp`, `messenger` or `instagram`; `category` is `message`, `status`, `standby` or `field` |
//! | `meta_messaging_webhook_dedupe_hits_total` | counter | | events dropped (or not stored again) as redeliveries |
//! | `meta_messaging_webhook_handling_seconds` | histogram | | from the request to the answer, for `POST`s |
//! | `meta_messaging_graph_requests_total` | counter | `operation`, `outcome`, `error_kind` | Graph calls after retries: `operation` is `send` (a `/messages` call) or `other`; `outcome` is `ok` or `error`; `error_kind` is `none` or an [`ErrorKind::as_str`](crate::ErrorKind::as_str) name |
//! | `meta_messaging_graph_retries_total` | counter | `error_kind` | attempts retried, by the error that caused them |
//! | `meta_messaging_graph_request_seconds` | histogram | `operation` | each attempt's latency |
//! | `meta_messaging_pacing_wait_seconds` | histogram | | how long a send waited for its pacing slot |
//! | `meta_messaging_pacing_refused_total` | counter | | sends refused because their slot was further away than the policy allows |
//! | `meta_messaging_vault_operations_total` | counter | `operation`, `outcome` | token vault calls: `get`, `put`, `delete`, `list_tenant`, `delete_tenant`, `expiring_before`, `reseal`; `ok` or `error` |
//! | `meta_messaging_delivery_attempts_total` | counter | `queue`, `outcome` | worker attempts: `done`, `retry`, `dead`; and `waiting` for an item put back unattempted (a destination's rate, a disabled destination) |
//! | `meta_messaging_delivery_dead_letters_total` | counter | `queue` | items dead-lettered |
//! | `meta_messaging_delivery_queue_depth` | gauge | `queue`, `state` | items `pending` and `dead`, read by the worker at most every 10 s while it runs |
//!
//! # Tracing
//!
//! Spans the crate opens (all at `DEBUG`); their fields never hold a secret or message text:
//!
//! | span | fields |
//! |---|---|
//! | `graph_request` | `method`; `path`: the Graph path without the query (object ids such as a phone number id; never a token) |
//! | `webhook_request` | `method` |
//!
//! Events carry a status, an attempt number, an error kind, a delay, a queue name or an item id:
//! never a token, an app secret, a URL with its query, or a body. `tests/logging.rs` captures
//! `TRACE` output and checks that no secret appears.

/// `meta_messaging_webhook_requests_total`.
pub const WEBHOOK_REQUESTS: &str = "meta_messaging_webhook_requests_total";
/// `meta_messaging_webhook_handshakes_total`.
pub const WEBHOOK_HANDSHAKES: &str = "meta_messaging_webhook_handshakes_total";
/// `meta_messaging_webhook_events_total`.
pub const WEBHOOK_EVENTS: &str = "meta_messaging_webhook_events_total";
/// `meta_messaging_webhook_dedupe_hits_total`.
pub const WEBHOOK_DEDUPE_HITS: &str = "meta_messaging_webhook_dedupe_hits_total";
/// `meta_messaging_webhook_handling_seconds`.
pub const WEBHOOK_HANDLING_SECONDS: &str = "meta_messaging_webhook_handling_seconds";
/// `meta_messaging_graph_requests_total`.
pub const GRAPH_REQUESTS: &str = "meta_messaging_graph_requests_total";
/// `meta_messaging_graph_retries_total`.
pub const GRAPH_RETRIES: &str = "meta_messaging_graph_retries_total";
/// `meta_messaging_graph_request_seconds`.
pub const GRAPH_REQUEST_SECONDS: &str = "meta_messaging_graph_request_seconds";
/// `meta_messaging_pacing_wait_seconds`.
pub const PACING_WAIT_SECONDS: &str = "meta_messaging_pacing_wait_seconds";
/// `meta_messaging_pacing_refused_total`.
pub const PACING_REFUSED: &str = "meta_messaging_pacing_refused_total";
/// `meta_messaging_vault_operations_total`.
pub const VAULT_OPERATIONS: &str = "meta_messaging_vault_operations_total";
/// `meta_messaging_delivery_attempts_total`.
pub const DELIVERY_ATTEMPTS: &str = "meta_messaging_delivery_attempts_total";
/// `meta_messaging_delivery_dead_letters_total`.
pub const DELIVERY_DEAD_LETTERS: &str = "meta_messaging_delivery_dead_letters_total";
/// `meta_messaging_delivery_queue_depth`.
pub const DELIVERY_QUEUE_DEPTH: &str = "meta_messaging_delivery_queue_depth";

/// Every metric name, for exporters that want to describe them up front.
pub const ALL: [&str; 14] = [
    WEBHOOK_REQUESTS,
    WEBHOOK_HANDSHAKES,
    WEBHOOK_EVENTS,
    WEBHOOK_DEDUPE_HITS,
    WEBHOOK_HANDLING_SECONDS,
    GRAPH_REQUESTS,
    GRAPH_RETRIES,
    GRAPH_REQUEST_SECONDS,
    PACING_WAIT_SECONDS,
    PACING_REFUSED,
    VAULT_OPERATIONS,
    DELIVERY_ATTEMPTS,
    DELIVERY_DEAD_LETTERS,
    DELIVERY_QUEUE_DEPTH,
];

/// Adds `value` to a counter. Labels are `&'static str`: bounded by construction.
#[cfg(feature = "metrics")]
pub(crate) fn count(name: &'static str, labels: &[(&'static str, &'static str)], value: u64) {
    let labels: Vec<metrics::Label> =
        labels.iter().map(|(k, v)| metrics::Label::from_static_parts(k, v)).collect();
    metrics::counter!(name, labels).increment(value);
}

/// Records one observation in seconds.
#[cfg(feature = "metrics")]
pub(crate) fn observe(name: &'static str, labels: &[(&'static str, &'static str)], seconds: f64) {
    let labels: Vec<metrics::Label> =
        labels.iter().map(|(k, v)| metrics::Label::from_static_parts(k, v)).collect();
    metrics::histogram!(name, labels).record(seconds);
}

/// A queue's name (configuration, bounded) and static labels. The per-destination relay queues
/// of [`Fanout`](crate::delivery::Fanout) (`relay:<destination>`, one per customer) are all
/// labelled `relay`, so the number of series does not grow with the number of customers.
#[cfg(feature = "metrics")]
fn queue_labels(queue: &str, labels: &[(&'static str, &'static str)]) -> Vec<metrics::Label> {
    let name = if queue.starts_with("relay:") { "relay".to_owned() } else { queue.to_owned() };
    let mut all = vec![metrics::Label::new("queue", name)];
    all.extend(labels.iter().map(|(k, v)| metrics::Label::from_static_parts(k, v)));
    all
}

/// Adds to a counter labelled with a queue name (configuration, bounded) and static labels.
#[cfg(feature = "metrics")]
pub(crate) fn count_queue(
    name: &'static str,
    queue: &str,
    labels: &[(&'static str, &'static str)],
    value: u64,
) {
    metrics::counter!(name, queue_labels(queue, labels)).increment(value);
}

/// Sets a gauge labelled with a queue name and static labels.
#[cfg(feature = "metrics")]
#[allow(clippy::cast_precision_loss)] // queue depths far below 2^52
pub(crate) fn gauge_queue(
    name: &'static str,
    queue: &str,
    labels: &[(&'static str, &'static str)],
    value: u64,
) {
    metrics::gauge!(name, queue_labels(queue, labels)).set(value as f64);
}

#[cfg(not(feature = "metrics"))]
#[inline(always)]
pub(crate) fn count(_: &'static str, _: &[(&'static str, &'static str)], _: u64) {}

#[cfg(not(feature = "metrics"))]
#[inline(always)]
pub(crate) fn observe(_: &'static str, _: &[(&'static str, &'static str)], _: f64) {}

#[cfg(not(feature = "metrics"))]
#[inline(always)]
pub(crate) fn count_queue(_: &'static str, _: &str, _: &[(&'static str, &'static str)], _: u64) {}

#[cfg(not(feature = "metrics"))]
#[inline(always)]
pub(crate) fn gauge_queue(_: &'static str, _: &str, _: &[(&'static str, &'static str)], _: u64) {}

/// The `outcome` label of a call: `ok` or `error`.
pub(crate) fn outcome<T, E>(result: &Result<T, E>) -> &'static str {
    if result.is_ok() { "ok" } else { "error" }
}
