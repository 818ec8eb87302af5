//! NATS JetStream as a destination (feature `nats`).

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use async_nats::jetstream::context::PublishErrorKind;
use async_trait::async_trait;

use super::{check_name, headers, refused, unavailable};
use crate::delivery::destination::{DestinationError, DestinationPolicy};
use crate::delivery::{Handler, HandlerError, HttpRelay, Item};
use crate::webhook::relay::{RelaySigner, SigningSecret};

/// A [`Handler`] that publishes each item's payload to a NATS JetStream subject and completes it
/// when the stream acknowledges it.
///
/// - the message's `Nats-Msg-Id` is the item's stable id ([`HttpRelay::webhook_id`]), so a
///   retry of a publish the stream already stored is dropped by JetStream's duplicate window
///   (two minutes unless the stream says otherwise) instead of stored twice;
/// - no acknowledgement in time, a lost connection, or a subject no stream listens on is
///   retried with the worker's backoff (the client reconnects by itself); a message over the
///   server's maximum payload is permanent (a dead letter: it will never fit);
/// - `content-type: application/json`, `webhook-id`, and with [`signed`](Self::signed) the
///   Standard Webhooks `webhook-timestamp` and `webhook-signature` headers.
///
/// The stream itself is the operator's (or the tenant's): the relay publishes, it never
/// creates or changes streams.
///
/// ```no_run
/// # async fn run() -> Result<(), Box<dyn std::error::Error>> {
/// use std::sync::Arc;
/// use meta_messaging::delivery::{DestinationPolicy, InMemoryQueue, NatsRelay, Queue, Worker};
///
/// let queue: Arc<dyn Queue> = Arc::new(InMemoryQueue::default());
/// // A tenant's broker: held to the policy (public addresses unless opted in).
/// let relay = NatsRelay::connect("nats://broker.example.com:4222", "meta.events", &DestinationPolicy::default()).await?;
/// let worker = Worker::new(queue, "relay:tenant-a", relay);
/// # drop(worker); Ok(()) }
/// ```
#[derive(Clone)]
pub struct NatsRelay {
    jetstream: async_nats::jetstream::Context,
    subject: String,
    signer: Option<Arc<RelaySigner>>,
    timeout: Duration,
}

impl fmt::Debug for NatsRelay {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("NatsRelay")
            .field("subject", &self.subject)
            .field("signed", &self.signer.is_some())
            .field("timeout", &self.timeout)
            .finish_non_exhaustive()
    }
}

fn check_subject(subject: &str) -> Result<(), DestinationError> {
    check_name(subject, "a NATS subject is 1 to 255 printable characters without spaces")?;
    let wildcard = subject.split('.').any(|token| token.is_empty() || token == "*" || token == ">");
    if wildcard {
        return Err(DestinationError::Broker(
            "a NATS subject to publish to has no empty token and no wildcard",
        ));
    }
    Ok(())
}

/// A URL's user or password, percent-decoded (`url` keeps them encoded).
fn decoded(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = |b: u8| char::from(b).to_digit(16);
        match (bytes[i], bytes.get(i + 1).copied().and_then(hex), bytes.get(i + 2).copied().and_then(hex)) {
            (b'%', Some(high), Some(low)) => {
                // Two hex digits make one byte: `high * 16 + low` is at most 255.
                out.push(u8::try_from(high * 16 + low).unwrap_or(b'?'));
                i += 3;
            }
            (byte, _, _) => {
                out.push(byte);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

impl NatsRelay {
    /// Connects to a tenant's server at `nats://[user[:password]@]host[:port]` (a user alone is
    /// a token) under `policy`, to publish to `subject`.
    ///
    /// The host is resolved once and every address checked; the client connects to the
    /// checked address only, ignores the servers the broker advertises, and reconnects to it
    /// after a loss. A server that is down now is connected to in the background: the relay
    /// is returned and its attempts are retried until the server answers.
    ///
    /// # Errors
    ///
    /// [`DestinationError`]: a URL that is not `nats://` with a host, an address the policy
    /// refuses, a name that does not resolve, a subject with a wildcard or space.
    pub async fn connect(
        url: &str,
        subject: &str,
        policy: &DestinationPolicy,
    ) -> Result<Self, DestinationError> {
        check_subject(subject)?;
        let parsed = url::Url::parse(url.trim()).map_err(|_| DestinationError::InvalidUrl)?;
        if parsed.scheme() != "nats" {
            return Err(DestinationError::Broker(
                "a tenant's NATS server is a nats://host:port url (TLS servers of the platform: NatsRelay::trusted)",
            ));
        }
        let host = parsed.host_str().ok_or(DestinationError::InvalidUrl)?;
        let address = policy.pin(host, parsed.port().unwrap_or(4222)).await?;
        let mut options = async_nats::ConnectOptions::new();
        if !parsed.username().is_empty() {
            options = match parsed.password() {
                Some(password) => options.user_and_password(decoded(parsed.username()), decoded(password)),
                None => options.token(decoded(parsed.username())),
            };
        }
        let options = options.ignore_discovered_servers();
        Self::open(options, &format!("nats://{address}"), subject).await
    }

    /// Connects to one of the platform's own servers, configured by the operator (not a
    /// tenant): any address `async-nats` accepts (`tls://` included), no policy.
    ///
    /// # Errors
    ///
    /// [`DestinationError`] for an unusable URL or subject.
    pub async fn trusted(url: &str, subject: &str) -> Result<Self, DestinationError> {
        check_subject(subject)?;
        Self::open(async_nats::ConnectOptions::new(), url.trim(), subject).await
    }

    /// Publishes through a client the caller connected (its options, credentials and TLS).
    ///
    /// # Errors
    ///
    /// [`DestinationError::Broker`] for a subject with a wildcard or space.
    pub fn from_client(client: async_nats::Client, subject: &str) -> Result<Self, DestinationError> {
        check_subject(subject)?;
        Ok(Self {
            jetstream: async_nats::jetstream::new(client),
            subject: subject.to_owned(),
            signer: None,
            timeout: Duration::from_secs(10),
        })
    }

    async fn open(
        options: async_nats::ConnectOptions,
        address: &str,
        subject: &str,
    ) -> Result<Self, DestinationError> {
        let client = options
            .name("meta-messaging relay")
            .retry_on_initial_connect()
            .max_reconnects(None)
            .connection_timeout(Duration::from_secs(5))
            .connect(address)
            .await
            .map_err(|_| DestinationError::Broker("the NATS address is not usable"))?;
        Self::from_client(client, subject)
    }

    /// Also signs each message with Standard Webhooks headers.
    #[must_use]
    pub fn signed(mut self, secret: &SigningSecret) -> Self {
        self.signer = Some(Arc::new(RelaySigner::new(secret)));
        self
    }

    /// How long a publish waits for the stream's acknowledgement (10 seconds by default).
    #[must_use]
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// The subject published to.
    pub fn subject(&self) -> &str {
        &self.subject
    }
}

#[async_trait]
impl Handler for NatsRelay {
    async fn handle(&self, item: &Item) -> Result<(), HandlerError> {
        let mut map = async_nats::HeaderMap::new();
        map.insert("Nats-Msg-Id", HttpRelay::webhook_id(item).as_str());
        map.insert("content-type", "application/json");
        for (name, value) in headers(self.signer.as_deref(), item)? {
            map.insert(name, value.as_str());
        }
        let publish = async {
            let ack = self
                .jetstream
                .publish_with_headers(self.subject.clone(), map, item.payload.clone().into())
                .await?;
            ack.await
        };
        match tokio::time::timeout(self.timeout, publish).await {
            Ok(Ok(_ack)) => Ok(()),
            Ok(Err(error)) => Err(match error.kind() {
                PublishErrorKind::StreamNotFound => refused("no stream takes the subject"),
                PublishErrorKind::MaxPayloadExceeded => {
                    HandlerError::permanent("broker refused: over the server's maximum payload")
                        .with_category(super::REFUSED)
                }
                PublishErrorKind::TimedOut => unavailable("no acknowledgement in time"),
                _ => unavailable("the publish failed"),
            }),
            Err(_) => Err(unavailable("no acknowledgement in time")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn subjects_to_publish_to_have_no_wildcards_or_spaces() {
        assert!(check_subject("meta.events.tenant-a").is_ok());
        for bad in ["", "meta.*", "meta.>", "meta..events", ".meta", "meta events", "meta\n"] {
            assert!(check_subject(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn credentials_in_the_url_are_percent_decoded() {
        assert_eq!(decoded("p%40ss%3Aword"), "p@ss:word");
        assert_eq!(decoded("plain+100%"), "plain+100%");
    }
}
