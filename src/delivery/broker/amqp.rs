//! RabbitMQ (AMQP 0-9-1) as a destination (feature `amqp`).

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use lapin::options::{BasicPublishOptions, ConfirmSelectOptions};
use lapin::types::{AMQPValue, FieldTable, LongString, ShortString};
use lapin::uri::{AMQPScheme, AMQPUri};
use lapin::{BasicProperties, Channel, Confirmation, Connection, ConnectionProperties};
use tokio::sync::Mutex;

use super::{REFUSED, check_name, headers, refused, unavailable};
use crate::delivery::destination::{DestinationError, DestinationPolicy};
use crate::delivery::{Handler, HandlerError, HttpRelay, Item};
use crate::webhook::relay::{RelaySigner, SigningSecret};

/// AMQP delivery mode 2: the broker writes the message to disk (on a durable queue).
const PERSISTENT: u8 = 2;

/// A [`Handler`] that publishes each item's payload to a RabbitMQ exchange and completes it when
/// the broker confirms it.
///
/// - messages are persistent (delivery mode 2) and published `mandatory` on a channel in
///   confirm mode: an item is completed only on the broker's `ack`, and a message no queue
///   takes (returned as unroutable) or that the broker `nack`s is retried, like a lost
///   connection or a confirm that does not come in time (the relay reconnects on the next
///   attempt);
/// - `message_id` is the item's stable id ([`HttpRelay::webhook_id`]), the key a consumer
///   dedupes on (RabbitMQ does not); `content_type` is `application/json`; the headers table
///   holds `webhook-id`, and with [`signed`](Self::signed) the Standard Webhooks
///   `webhook-timestamp` and `webhook-signature`.
///
/// Exchanges, queues and bindings are the operator's (or the tenant's): the relay never
/// declares them. The default exchange (`""`) routes by queue name.
///
/// ```no_run
/// # async fn run() -> Result<(), Box<dyn std::error::Error>> {
/// use std::sync::Arc;
/// use meta_messaging::delivery::{AmqpRelay, DestinationPolicy, InMemoryQueue, Queue, Worker};
///
/// let queue: Arc<dyn Queue> = Arc::new(InMemoryQueue::default());
/// let relay = AmqpRelay::connect(
///     "amqp://tenant:secret@broker.example.com:5672/%2f",
///     "",            // the default exchange...
///     "meta-events", // ...routes to the queue of this name
///     &DestinationPolicy::default(),
/// )
/// .await?;
/// let worker = Worker::new(queue, "relay:tenant-a", relay);
/// # drop(worker); Ok(()) }
/// ```
#[derive(Clone)]
pub struct AmqpRelay {
    uri: AMQPUri,
    exchange: String,
    routing_key: String,
    channel: Arc<Mutex<Option<(Connection, Channel)>>>,
    signer: Option<Arc<RelaySigner>>,
    timeout: Duration,
}

impl fmt::Debug for AmqpRelay {
    // The URI holds the broker's password: only the names are shown.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AmqpRelay")
            .field("exchange", &self.exchange)
            .field("routing_key", &self.routing_key)
            .field("signed", &self.signer.is_some())
            .field("timeout", &self.timeout)
            .finish_non_exhaustive()
    }
}

impl AmqpRelay {
    /// Publishes to a tenant's broker at `amqp://[user:password@]host[:port][/vhost]` under
    /// `policy`, to `exchange` (`""` for the default exchange) with `routing_key`.
    ///
    /// The host is resolved once, every address checked, and the relay connects to the checked
    /// address only (on every reconnection). Nothing is connected now: the first attempt
    /// connects, so a broker that is down delays deliveries, not the relay.
    ///
    /// # Errors
    ///
    /// [`DestinationError`]: not an `amqp://` URL, an address the policy refuses, a name that
    /// does not resolve, an unusable exchange or routing key.
    pub async fn connect(
        url: &str,
        exchange: &str,
        routing_key: &str,
        policy: &DestinationPolicy,
    ) -> Result<Self, DestinationError> {
        let mut uri = Self::parse(url)?;
        if uri.scheme != AMQPScheme::AMQP {
            return Err(DestinationError::Broker(
                "a tenant's broker is an amqp:// url (TLS brokers of the platform: AmqpRelay::trusted)",
            ));
        }
        let address = policy.pin(&uri.authority.host, uri.authority.port).await?;
        uri.authority.host = address.ip().to_string();
        Self::new(uri, exchange, routing_key)
    }

    /// Publishes to one of the platform's own brokers, configured by the operator (not a
    /// tenant): any URL `lapin` accepts, no policy (`amqps://` needs one of `lapin`'s TLS
    /// features, turned on in the application's own `lapin` dependency).
    ///
    /// # Errors
    ///
    /// [`DestinationError`] for an unusable URL, exchange or routing key.
    pub fn trusted(url: &str, exchange: &str, routing_key: &str) -> Result<Self, DestinationError> {
        Self::new(Self::parse(url)?, exchange, routing_key)
    }

    fn parse(url: &str) -> Result<AMQPUri, DestinationError> {
        url.trim().parse().map_err(|_| DestinationError::InvalidUrl)
    }

    fn new(uri: AMQPUri, exchange: &str, routing_key: &str) -> Result<Self, DestinationError> {
        if !exchange.is_empty() {
            check_name(exchange, "an AMQP exchange is 0 to 255 printable characters without spaces")?;
        }
        check_name(routing_key, "an AMQP routing key is 1 to 255 printable characters without spaces")?;
        Ok(Self {
            uri,
            exchange: exchange.to_owned(),
            routing_key: routing_key.to_owned(),
            channel: Arc::new(Mutex::new(None)),
            signer: None,
            timeout: Duration::from_secs(10),
        })
    }

    /// Also signs each message with Standard Webhooks headers.
    #[must_use]
    pub fn signed(mut self, secret: &SigningSecret) -> Self {
        self.signer = Some(Arc::new(RelaySigner::new(secret)));
        self
    }

    /// How long an attempt waits for the connection and the broker's confirm (10 seconds by
    /// default).
    #[must_use]
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// The open channel, or a new connection and channel in confirm mode.
    async fn channel(&self) -> Result<Channel, HandlerError> {
        let mut slot = self.channel.lock().await;
        if let Some((connection, channel)) = slot.as_ref() {
            if connection.status().connected() && channel.status().connected() {
                return Ok(channel.clone());
            }
        }
        *slot = None;
        let properties = ConnectionProperties::default().with_connection_name("meta-messaging relay".into());
        let connection = Connection::connect_uri(self.uri.clone(), properties)
            .await
            .map_err(|_| unavailable("could not connect"))?;
        let channel =
            connection.create_channel().await.map_err(|_| unavailable("could not open a channel"))?;
        channel
            .confirm_select(ConfirmSelectOptions::default())
            .await
            .map_err(|_| unavailable("could not turn on publisher confirms"))?;
        *slot = Some((connection, channel.clone()));
        Ok(channel)
    }

    /// Forgets the connection after a failure so the next attempt opens a new one.
    async fn reset(&self) {
        if let Some((connection, _)) = self.channel.lock().await.take() {
            // Best effort: the connection is usually gone already.
            let _ = tokio::time::timeout(Duration::from_secs(1), connection.close(200, "reset".into())).await;
        }
    }

    async fn publish(&self, item: &Item) -> Result<(), HandlerError> {
        let mut table = FieldTable::default();
        for (name, value) in headers(self.signer.as_deref(), item)? {
            table.insert(name.into(), AMQPValue::LongString(LongString::from(value)));
        }
        let properties = BasicProperties::default()
            .with_delivery_mode(PERSISTENT)
            .with_message_id(ShortString::from(HttpRelay::webhook_id(item)))
            .with_content_type("application/json".into())
            .with_headers(table);
        let channel = self.channel().await?;
        let options = BasicPublishOptions { mandatory: true, ..BasicPublishOptions::default() };
        let confirm = channel
            .basic_publish(
                self.exchange.as_str().into(),
                self.routing_key.as_str().into(),
                options,
                &item.payload,
                properties,
            )
            .await
            .map_err(|_| unavailable("the publish failed"))?;
        match confirm.await.map_err(|_| unavailable("no confirm"))? {
            Confirmation::Ack(None) => Ok(()),
            Confirmation::Ack(Some(_)) => Err(refused("unroutable: no queue is bound for the routing key")),
            Confirmation::Nack(_) => Err(refused("the broker did not store the message")),
            Confirmation::NotRequested => Err(unavailable("the channel is not in confirm mode")),
        }
    }
}

#[async_trait]
impl Handler for AmqpRelay {
    async fn handle(&self, item: &Item) -> Result<(), HandlerError> {
        let outcome = match tokio::time::timeout(self.timeout, self.publish(item)).await {
            Ok(outcome) => outcome,
            Err(_) => Err(unavailable("no confirm in time")),
        };
        if let Err(error) = &outcome {
            // A refusal is about routing, not the connection; anything else may have left the
            // channel closed (a publish to a missing exchange closes it).
            if error.category() != Some(REFUSED) {
                self.reset().await;
            }
        }
        outcome
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_debug_form_never_shows_the_broker_password() {
        let relay = AmqpRelay::trusted("amqp://tenant:hunter2@127.0.0.1:5672/%2f", "", "events").unwrap();
        let debug = format!("{relay:?}");
        assert!(!debug.contains("hunter2"), "{debug}");
        assert!(debug.contains("events"), "{debug}");
    }

    #[test]
    fn names_are_checked_and_the_default_exchange_is_allowed() {
        assert!(AmqpRelay::trusted("amqp://127.0.0.1", "", "q").is_ok());
        assert!(AmqpRelay::trusted("amqp://127.0.0.1", "x", "").is_err());
        assert!(AmqpRelay::trusted("amqp://127.0.0.1", "bad name", "q").is_err());
        assert!(AmqpRelay::trusted("not a url", "", "q").is_err());
    }
}
