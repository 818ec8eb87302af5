//! Handoff: a bot steps back from a conversation while a person answers it.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;

use super::hold::{HoldStore, duration_between};
use crate::Timestamp;
use crate::clock::SharedClock;
use crate::graph::{Error, ErrorKind, Outbound, SendGuard, SendKind};
use crate::store::StoreError;
use crate::webhook::{Event, Webhook};

/// How long a bot stays paused after the business last answered by hand, unless told otherwise.
pub const HANDOFF_PAUSE: Duration = Duration::from_secs(3600);

/// The hold scope of a business's paused conversations.
pub(crate) fn hold_scope(business: &str) -> String {
    format!("handoff/{business}")
}

/// Pauses a bot for a conversation when a person answers it, on every replica.
///
/// With coexistence a WhatsApp number is used in the WhatsApp Business app and the Cloud API at
/// once: when someone at the business answers a user from the app, Meta sends the message back
/// as an echo (`smb_message_echoes`, the event `whatsapp.echo.<type>`). A bot that keeps
/// answering talks over them. [`observe`](Self::observe) reads the echoes of each webhook and
/// pauses that conversation (business number, user) for [`HANDOFF_PAUSE`], renewed by each
/// echo; as a [`SendGuard`] the handoff refuses the bot's conversation messages there before
/// the request ([`ErrorKind::HandedOff`], `retry_after` = the rest of the pause). Templates and
/// marketing sends still go. [`pause`](Self::pause) and [`resume`](Self::resume) are for an
/// inbox where an agent takes a conversation or gives it back. With Conversation Routing, a
/// `messaging_handovers` notice that the escalation partner took the thread pauses it the same
/// way, and one that passes the thread to this app resumes it.
///
/// The pauses live in a [`HoldStore`] every replica shares (`store::RedisLimits`, or
/// [`InMemoryLimits`](super::InMemoryLimits) in one process), keyed by the user's phone number
/// and by their BSUID, so a send to either is held. While the store is unreachable the bot is
/// not paused (the failure is logged): a missed pause costs a message, a refused reply loses a
/// customer's answer.
///
/// ```
/// # async fn run(webhook: meta_messaging::webhook::Webhook) -> Result<(), Box<dyn std::error::Error>> {
/// use std::sync::Arc;
/// use meta_messaging::pacing::{Handoff, InMemoryLimits};
///
/// let handoff = Handoff::new(Arc::new(InMemoryLimits::default()));
/// let bot = meta_messaging::Client::new("token").whatsapp("106540352242922").with_guard(handoff.clone());
/// // For each verified webhook, before the bot answers it:
/// handoff.observe(&webhook).await?;
/// # drop(bot); Ok(()) }
/// ```
#[derive(Clone)]
pub struct Handoff {
    store: Arc<dyn HoldStore>,
    clock: SharedClock,
    pause: Duration,
}

impl fmt::Debug for Handoff {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Handoff").field("pause", &self.pause).finish_non_exhaustive()
    }
}

/// The keys a conversation is held under: the user's phone digits and BSUID, as known.
fn user_keys(event: &Event<'_>) -> Vec<String> {
    let Some(user) = event.user() else { return Vec::new() };
    let mut keys = Vec::new();
    if let Some(phone) = user.phone.as_deref() {
        let digits = crate::user::phone_digits(phone);
        if !digits.is_empty() {
            keys.push(digits);
        }
    }
    keys.extend(user.user_id.clone().filter(|id| !id.is_empty()));
    keys
}

impl Handoff {
    /// A handoff over `store`, pausing for [`HANDOFF_PAUSE`].
    pub fn new(store: impl HoldStore + 'static) -> Self {
        Self { store: Arc::new(store), clock: crate::clock::system(), pause: HANDOFF_PAUSE }
    }

    /// How long a conversation stays paused after the last echo.
    #[must_use]
    pub fn pause_for(mut self, pause: Duration) -> Self {
        self.pause = pause;
        self
    }

    /// The clock pauses are measured with (the system clock by default).
    #[must_use]
    pub fn clock(mut self, clock: SharedClock) -> Self {
        self.clock = clock;
        self
    }

    /// Pauses the conversations a webhook's echoes answered or its handovers took from this app
    /// (and resumes those passed back); returns how many such events it read.
    ///
    /// # Errors
    ///
    /// [`StoreError`] when the store cannot be reached (the webhook should then not be
    /// acknowledged, so Meta redelivers it).
    pub async fn observe(&self, webhook: &Webhook) -> Result<usize, StoreError> {
        let mut echoes = 0;
        for event in webhook.events() {
            if self.observe_event(&event).await? {
                echoes += 1;
            }
        }
        Ok(echoes)
    }

    /// Pauses the conversation of one event when it is a WhatsApp echo, or a Conversation
    /// Routing handover that took the thread from this app (`control_taken`); resumes it when a
    /// thread is passed to this app (`control_passed`). For workers that handle stored events
    /// one by one; returns whether the event was one of these.
    ///
    /// # Errors
    ///
    /// [`StoreError`] when the store cannot be reached.
    pub async fn observe_event(&self, event: &Event<'_>) -> Result<bool, StoreError> {
        use crate::whatsapp::webhook::{WhatsAppChangeValue, WhatsAppEvent};
        match event {
            Event::WhatsApp(WhatsAppEvent::Echo { .. }) => {}
            Event::WhatsApp(WhatsAppEvent::Change { change, .. }) => {
                let WhatsAppChangeValue::Handover(notice) = &change.value else { return Ok(false) };
                return self.observe_handover(notice).await;
            }
            _ => return Ok(false),
        }
        let Some(business) = event.business() else { return Ok(false) };
        let until = self.clock.now().saturating_add(self.pause);
        for key in user_keys(event) {
            self.store.hold(&hold_scope(business), &key, until).await?;
        }
        Ok(true)
    }

    async fn observe_handover(
        &self,
        notice: &crate::whatsapp::webhook::HandoverNotice,
    ) -> Result<bool, StoreError> {
        let business = notice.recipient.as_ref().and_then(|r| r.phone_number_id.as_deref());
        let user = notice.sender.as_ref().and_then(|s| s.phone_number.as_deref());
        let (Some(business), Some(user)) = (business, user) else { return Ok(false) };
        let digits = crate::user::phone_digits(user);
        if digits.is_empty() {
            // No digits is no user: never a hold under an empty key.
            return Ok(false);
        }
        if notice.is_taken() {
            self.pause(business, &digits).await?;
        } else {
            self.resume(business, &digits).await?;
        }
        Ok(true)
    }

    /// Pauses the bot for `user` (phone digits or BSUID) of `business` (the phone-number id)
    /// for the handoff's pause: an agent took the conversation.
    ///
    /// # Errors
    ///
    /// [`StoreError`] when the store cannot be reached.
    pub async fn pause(&self, business: &str, user: &str) -> Result<(), StoreError> {
        let until = self.clock.now().saturating_add(self.pause);
        self.store.hold(&hold_scope(business), user, until).await
    }

    /// Gives the conversation back to the bot now.
    ///
    /// # Errors
    ///
    /// [`StoreError`] when the store cannot be reached.
    pub async fn resume(&self, business: &str, user: &str) -> Result<(), StoreError> {
        self.store.release(&hold_scope(business), user).await
    }

    /// Until when the bot is paused for `user` of `business`, if it is.
    ///
    /// # Errors
    ///
    /// [`StoreError`] when the store cannot be reached.
    pub async fn paused_until(&self, business: &str, user: &str) -> Result<Option<Timestamp>, StoreError> {
        self.store.held_until(&hold_scope(business), user, self.clock.now()).await
    }
}

#[async_trait]
impl SendGuard for Handoff {
    async fn admit(&self, send: &Outbound) -> Result<(), Error> {
        if send.kind != SendKind::Message {
            return Ok(());
        }
        let now = self.clock.now();
        match self.paused_until(&send.sender, &send.recipient).await {
            Ok(Some(until)) => {
                let wait = duration_between(now, until);
                let mut error = Error::guarded(
                    ErrorKind::HandedOff,
                    format!(
                        "paused: a person is answering this user from the WhatsApp Business app; resumes in {wait:?}"
                    ),
                );
                error.set_retry_after(Some(wait));
                Err(error)
            }
            Ok(None) => Ok(()),
            Err(error) => {
                tracing::warn!(%error, "handoff: store unreachable, the bot is not paused");
                Ok(())
            }
        }
    }
}
