//! Message brokers as destinations: NATS JetStream ([`NatsRelay`], feature `nats`) and RabbitMQ
//! over AMQP 0-9-1 ([`AmqpRelay`], feature `amqp`).
//!
//! Both are [`Handler`](super::Handler)s, so a broker destination has everything an HTTP one has:
//! the worker's retries with backoff, dead letters and replay, the attempt log, a
//! [`DestinationGuard`](super::DestinationGuard) for its rate and health. A message is only
//! reported delivered once the broker has taken responsibility for it (a JetStream publish
//! acknowledgement; a RabbitMQ publisher confirm of a persistent message), so an event is never
//! completed on a send that the broker could still lose: at least once, across connection losses
//! and broker restarts (the relays reconnect by themselves).
//!
//! Every message carries the event's stable id, the same `webhook-id` an
//! [`HttpRelay`](super::HttpRelay) sends: as `Nats-Msg-Id` JetStream drops a retry it already
//! stored (within the stream's duplicate window), and as the AMQP `message_id` a consumer can
//! drop one (RabbitMQ itself has no dedupe). With a signing secret the message also carries
//! Standard Webhooks `webhook-timestamp` and `webhook-signature` headers.
//!
//! A broker URL a tenant typed is held to the [`DestinationPolicy`](super::DestinationPolicy)
//! like an HTTP one: `connect` resolves the host once, refuses it unless every address is
//! allowed, and connects to the address it checked (never to servers a broker advertises).
//! The platform's own brokers, configured by the operator, are opened with `trusted` instead
//! (any scheme the client supports, TLS included).

#[cfg(feature = "amqp")]
mod amqp;
#[cfg(feature = "nats")]
mod nats;

#[cfg(feature = "amqp")]
pub use amqp::AmqpRelay;
#[cfg(feature = "nats")]
pub use nats::NatsRelay;

use crate::Timestamp;
use crate::webhook::relay::RelaySigner;

use super::destination::DestinationError;
use super::{HandlerError, HttpRelay, Item};

/// What a broker attempt records when the broker could not be reached or did not answer.
pub(crate) const UNAVAILABLE: &str = "broker unavailable";
/// What a broker attempt records when the broker answered but did not take the message.
pub(crate) const REFUSED: &str = "broker refused";

/// The headers of one message: `webhook-id`, and with a signer `webhook-timestamp` and
/// `webhook-signature` over the payload.
pub(crate) fn headers(
    signer: Option<&RelaySigner>,
    item: &Item,
) -> Result<Vec<(&'static str, String)>, HandlerError> {
    let id = HttpRelay::webhook_id(item);
    let Some(signer) = signer else {
        return Ok(vec![("webhook-id", id)]);
    };
    let headers = signer
        .sign(&id, Timestamp::now(), &item.payload)
        .map_err(|e| HandlerError::permanent(format!("could not sign: {e}")))?;
    Ok(headers.iter().map(|(name, value)| (name, value.to_owned())).collect())
}

/// A retryable failure with its category (the message never holds broker text that could
/// carry a tenant's data: only the category and a fixed reason).
pub(crate) fn unavailable(reason: &str) -> HandlerError {
    HandlerError::retry(format!("{UNAVAILABLE}: {reason}")).with_category(UNAVAILABLE)
}

/// The broker answered and did not take the message: retried too, since the usual cause is
/// configuration the operator fixes (a stream, a binding) rather than the event.
pub(crate) fn refused(reason: &str) -> HandlerError {
    HandlerError::retry(format!("{REFUSED}: {reason}")).with_category(REFUSED)
}

/// Checks a name a tenant chose (a subject, an exchange, a routing key): 1 to 255 printable
/// ASCII characters without spaces.
pub(crate) fn check_name(name: &str, what: &'static str) -> Result<(), DestinationError> {
    if name.is_empty() || name.len() > 255 || !name.bytes().all(|b| b.is_ascii_graphic()) {
        return Err(DestinationError::Broker(what));
    }
    Ok(())
}
