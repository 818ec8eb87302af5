//! The 24-hour customer-service window.
//!
//! Free-form WhatsApp messages may go only within 24 hours of the user's last message; after
//! that only templates (error 131047). Messenger and Instagram have the same 24-hour rule for
//! `RESPONSE` and `UPDATE` messages; outside it a `HUMAN_AGENT` tag (7 days) or a utility
//! template is needed. A [`WindowTracker`] records each user's last inbound message, from parsed
//! webhooks ([`observe`](WindowTracker::observe)), and answers whether the window is open; a
//! tracker is a [`SendGuard`]: a handle guarded by one
//! ([`WhatsApp::with_guard`](crate::whatsapp::WhatsApp::with_guard),
//! [`Messenger::with_guard`](crate::messenger::Messenger::with_guard)) refuses a send outside
//! the window before any request, with [`ErrorKind::OutsideWindow`](crate::ErrorKind::OutsideWindow).
//!
//! [`WindowStore`] is the storage seam: [`InMemoryWindowStore`] serves one process; a shared
//! store (Redis, PostgreSQL) lets replicas agree.

use std::collections::HashMap;
use std::fmt;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_trait::async_trait;

use crate::clock::{SharedClock, system};
use crate::graph::{Error, Outbound, SendGuard};
use crate::store::StoreError;
use crate::webhook::{Event, Webhook};
use crate::{Timestamp, messenger, whatsapp};

pub use crate::graph::{HUMAN_AGENT_WINDOW, STANDARD_WINDOW as WINDOW};

/// Where last-inbound times live.
#[async_trait]
pub trait WindowStore: Send + Sync + fmt::Debug {
    /// Records that `user` wrote to `business` at `at` (keeping the latest time).
    ///
    /// # Errors
    ///
    /// [`StoreError`] when the backend fails.
    async fn record(&self, business: &str, user: &str, at: Timestamp) -> Result<(), StoreError>;

    /// When `user` last wrote to `business`.
    ///
    /// # Errors
    ///
    /// [`StoreError`] when the backend fails.
    async fn last_inbound(&self, business: &str, user: &str) -> Result<Option<Timestamp>, StoreError>;

    /// Forgets every user's last-inbound time at `business` (a phone number id, Page or
    /// Instagram account): part of erasing a tenant, since the keys name its users. Returns
    /// how many were forgotten.
    ///
    /// # Errors
    ///
    /// [`StoreError`] when the backend fails: forget again, it is idempotent.
    async fn forget_business(&self, business: &str) -> Result<u64, StoreError>;
}

/// Last-inbound times in this process's memory (bounded: the oldest half is dropped past the
/// capacity).
#[derive(Debug)]
pub struct InMemoryWindowStore {
    times: Mutex<HashMap<(String, String), Timestamp>>,
    capacity: usize,
}

impl Default for InMemoryWindowStore {
    fn default() -> Self {
        Self::with_capacity(1_000_000)
    }
}

impl InMemoryWindowStore {
    /// A store remembering up to `capacity` conversations.
    pub fn with_capacity(capacity: usize) -> Self {
        Self { times: Mutex::new(HashMap::new()), capacity: capacity.max(1) }
    }
}

#[async_trait]
impl WindowStore for InMemoryWindowStore {
    async fn record(&self, business: &str, user: &str, at: Timestamp) -> Result<(), StoreError> {
        let mut times = self.times.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        if times.len() >= self.capacity {
            let mut all: Vec<Timestamp> = times.values().copied().collect();
            all.sort_unstable();
            let cutoff = all[all.len() / 2];
            times.retain(|_, t| *t > cutoff);
        }
        let entry = times.entry((business.to_owned(), user.to_owned())).or_insert(at);
        *entry = (*entry).max(at);
        Ok(())
    }

    async fn last_inbound(&self, business: &str, user: &str) -> Result<Option<Timestamp>, StoreError> {
        let times = self.times.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        Ok(times.get(&(business.to_owned(), user.to_owned())).copied())
    }

    async fn forget_business(&self, business: &str) -> Result<u64, StoreError> {
        let mut times = self.times.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        let before = times.len();
        times.retain(|(owner, _), _| owner != business);
        Ok((before - times.len()) as u64)
    }
}

/// Whether free-form messages may go now.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum WindowStatus {
    /// Open until `closes_at`.
    Open {
        /// When it closes.
        closes_at: Timestamp,
    },
    /// Closed; `last_inbound` is when the user last wrote, if ever.
    Closed {
        /// The user's last message.
        last_inbound: Option<Timestamp>,
    },
}

impl WindowStatus {
    /// Whether the window is open.
    pub fn is_open(&self) -> bool {
        matches!(self, Self::Open { .. })
    }
}

/// Tracks customer-service windows.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")] async fn main() {
/// use meta_messaging::pacing::WindowTracker;
/// use meta_messaging::Timestamp;
///
/// let tracker = WindowTracker::in_memory();
/// tracker.record_inbound("106540352242922", "16505551234", Timestamp::now()).await.unwrap();
/// assert!(tracker.status("106540352242922", "16505551234").await.unwrap().is_open());
/// assert!(!tracker.status("106540352242922", "someone-else").await.unwrap().is_open());
/// # }
/// ```
#[derive(Clone, Debug)]
pub struct WindowTracker {
    store: Arc<dyn WindowStore>,
    clock: SharedClock,
    identities: Option<crate::identity::IdentityDirectory>,
}

impl WindowTracker {
    /// A tracker over a store.
    pub fn new(store: Arc<dyn WindowStore>) -> Self {
        Self { store, clock: system(), identities: None }
    }

    /// A tracker over an [`InMemoryWindowStore`].
    pub fn in_memory() -> Self {
        Self::new(Arc::new(InMemoryWindowStore::default()))
    }

    /// Uses `clock` for "now" (tests).
    #[must_use]
    pub fn with_clock(mut self, clock: SharedClock) -> Self {
        self.clock = clock;
        self
    }

    /// Resolves users through an identity directory: a send addressed by phone finds the
    /// window its user opened under their business-scoped user id, and
    /// [`observe`](Self::observe) teaches the directory what each webhook says.
    #[must_use]
    pub fn identities(mut self, directory: crate::identity::IdentityDirectory) -> Self {
        self.identities = Some(directory);
        self
    }

    async fn user_key(&self, business: &str, user: &str) -> Result<String, StoreError> {
        match &self.identities {
            Some(directory) => directory.resolve(business, user).await,
            None => Ok(user.to_owned()),
        }
    }

    /// Records that `user` wrote to `business` (a WhatsApp phone-number id, a Page id, an
    /// Instagram account id) at `at`.
    ///
    /// # Errors
    ///
    /// [`StoreError`] when the store fails.
    pub async fn record_inbound(&self, business: &str, user: &str, at: Timestamp) -> Result<(), StoreError> {
        self.store.record(business, user, at).await
    }

    /// Records every inbound user message of a webhook: WhatsApp messages, and Messenger and
    /// Instagram messages, postbacks, reactions and referrals (not echoes, not standby);
    /// returns how many were recorded.
    ///
    /// # Errors
    ///
    /// [`StoreError`] when the store fails.
    pub async fn observe(&self, webhook: &Webhook) -> Result<usize, StoreError> {
        if let Some(directory) = &self.identities {
            directory.learn(webhook).await?;
        }
        let mut recorded = 0;
        for event in webhook.events() {
            if let Some((business, user, at)) = inbound(&event) {
                self.store.record(business, user, at).await?;
                // Also under the phone, when Meta sent one beside the BSUID: a tracker without
                // an identity directory then finds the window for a send addressed by phone.
                if let Some(phone) = inbound_phone(&event).filter(|phone| *phone != user) {
                    self.store.record(business, phone, at).await?;
                }
                recorded += 1;
            }
        }
        Ok(recorded)
    }

    async fn status_for(
        &self,
        business: &str,
        user: &str,
        window: Duration,
    ) -> Result<WindowStatus, StoreError> {
        let user = self.user_key(business, user).await?;
        let last = self.store.last_inbound(business, &user).await?;
        let now = self.clock.now();
        Ok(match last {
            Some(at) if at.saturating_add(window) > now => {
                WindowStatus::Open { closes_at: at.saturating_add(window) }
            }
            last_inbound => WindowStatus::Closed { last_inbound },
        })
    }

    /// The 24-hour window of `user` with `business`.
    ///
    /// # Errors
    ///
    /// [`StoreError`] when the store fails.
    pub async fn status(&self, business: &str, user: &str) -> Result<WindowStatus, StoreError> {
        self.status_for(business, user, WINDOW).await
    }

    /// The 7-day `HUMAN_AGENT` window.
    ///
    /// # Errors
    ///
    /// [`StoreError`] when the store fails.
    pub async fn human_agent_status(&self, business: &str, user: &str) -> Result<WindowStatus, StoreError> {
        self.status_for(business, user, HUMAN_AGENT_WINDOW).await
    }

    /// Fails unless the 24-hour window is open (`window` picks 24 hours or 7 days).
    async fn require(
        &self,
        business: &str,
        user: &str,
        window: Duration,
        advice: &'static str,
    ) -> Result<(), Error> {
        let status = self.status_for(business, user, window).await.map_err(|e| {
            Error::with_kind_and_source(
                crate::ErrorKind::Transport,
                "the window store failed",
                Some(Box::new(e)),
            )
        })?;
        let hours = window.as_secs() / 3600;
        let span = if hours % 24 == 0 && hours > 24 {
            format!("{} days", hours / 24)
        } else {
            format!("{hours} hours")
        };
        match status {
            WindowStatus::Open { .. } => Ok(()),
            WindowStatus::Closed { last_inbound: None } => Err(Error::outside_window(format!(
                "no window is open: the user has not written to this business: {advice}"
            ))),
            WindowStatus::Closed { last_inbound: Some(_) } => Err(Error::outside_window(format!(
                "more than {span} since the user's last message: {advice}"
            ))),
        }
    }
}

#[async_trait]
impl SendGuard for WindowTracker {
    /// Fails a send that needs a window when the user's last message is older than it.
    async fn admit(&self, send: &Outbound) -> Result<(), Error> {
        match send.window {
            Some(rule) => self.require(&send.sender, &send.recipient, rule.span, rule.advice).await,
            None => Ok(()),
        }
    }
}

/// The phone number of an inbound WhatsApp message's sender, when Meta sent one.
fn inbound_phone<'a>(event: &Event<'a>) -> Option<&'a str> {
    match event {
        Event::WhatsApp(whatsapp::webhook::WhatsAppEvent::Message { message, .. }) => message.from.as_deref(),
        _ => None,
    }
}

/// (business, user, time) of an inbound user event.
fn inbound<'a>(event: &Event<'a>) -> Option<(&'a str, &'a str, Timestamp)> {
    match event {
        Event::WhatsApp(whatsapp::webhook::WhatsAppEvent::Message { value, message, .. }) => {
            let business = value.phone_number_id()?.as_str();
            Some((business, message.user_key()?, message.timestamp?))
        }
        Event::Messenger(e) | Event::Instagram(e) => {
            let messenger::webhook::MessengerEvent::Messaging { item, standby: false, .. } = e else {
                return None;
            };
            let counts = match &item.event {
                messenger::webhook::MessagingEvent::Message(m) => !m.is_echo,
                messenger::webhook::MessagingEvent::Postback(_)
                | messenger::webhook::MessagingEvent::Reaction(_)
                | messenger::webhook::MessagingEvent::Referral(_) => true,
                _ => false,
            };
            if !counts {
                return None;
            }
            Some((e.recipient()?, e.sender()?, item.timestamp?))
        }
        _ => None,
    }
}
