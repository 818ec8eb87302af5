//! The marketing governor: recipients Meta said to leave alone are left alone for 24 hours on
//! every replica, and a portfolio's unique-recipient budget is spent before Meta refuses.

use std::fmt;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use async_trait::async_trait;

use super::hold::{HoldStore, duration_between};
use crate::Timestamp;
use crate::clock::SharedClock;
use crate::graph::{Error, ErrorKind, Outbound, SendGuard, SendKind};
use crate::store::StoreError;
use crate::webhook::Webhook;
use crate::whatsapp::account::MessagingLimitTier;

/// Meta's code for a marketing message not delivered "to maintain healthy ecosystem engagement":
/// the user has received as many marketing messages as Meta allows for now, and a retry within
/// 24 hours fails the same way.
pub const MARKETING_LIMIT_CODE: i64 = 131_049;

/// How long a recipient is left alone after a `131049`.
pub const MARKETING_HOLD: Duration = Duration::from_secs(24 * 3600);

/// The window over which a portfolio's unique recipients are counted (Meta's messaging limit
/// is a number of unique users per rolling 24 hours).
pub const REACH_WINDOW: Duration = Duration::from_secs(24 * 3600);

/// Whether a recipient fits a portfolio's budget.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Reach {
    /// Counted now, or already counted in the window: the send may go.
    Counted,
    /// The budget is spent: a new recipient fits again after `retry_after`.
    Spent {
        /// Until the oldest counted recipient leaves the window.
        retry_after: Duration,
    },
}

/// Where a [`MarketingGovernor`] keeps what every replica must agree on: its holds (a
/// [`HoldStore`]) and the recipients each scope reached in the window. Implemented in memory
/// ([`InMemoryLimits`](super::InMemoryLimits)) and on Redis (`store::RedisLimits`, feature
/// `redis`).
#[async_trait]
pub trait MarketingStore: HoldStore {
    /// Counts `recipient` among the unique recipients `scope` reached in the `window` before
    /// `now` when it fits `limit` (one atomic step, so two replicas never both take the last
    /// slot).
    ///
    /// # Errors
    ///
    /// [`StoreError`] when the store cannot be reached.
    async fn reach(
        &self,
        scope: &str,
        recipient: &str,
        now: Timestamp,
        window: Duration,
        limit: u64,
    ) -> Result<Reach, StoreError>;

    /// Forgets the recipients `scope` reached (a tenant erased); returns how many.
    ///
    /// # Errors
    ///
    /// [`StoreError`] when the store cannot be reached.
    async fn forget_reach(&self, scope: &str) -> Result<u64, StoreError>;
}

#[async_trait]
impl<S: MarketingStore + ?Sized> MarketingStore for Arc<S> {
    async fn reach(
        &self,
        scope: &str,
        recipient: &str,
        now: Timestamp,
        window: Duration,
        limit: u64,
    ) -> Result<Reach, StoreError> {
        (**self).reach(scope, recipient, now, window, limit).await
    }

    async fn forget_reach(&self, scope: &str) -> Result<u64, StoreError> {
        (**self).forget_reach(scope).await
    }
}

/// The hold scope of a governor's `scope`, apart from the other holds of a shared store.
pub(crate) fn hold_scope(scope: &str) -> String {
    format!("marketing/{scope}")
}

/// A [`SendGuard`] for business-initiated WhatsApp sends that keeps a campaign out of two walls:
///
/// - **`131049`**: Meta refuses a marketing message to a user who has had enough of them for
///   now, and refuses a retry within 24 hours the same way. The governor remembers each such
///   recipient for [`MARKETING_HOLD`] in a [`MarketingStore`] every replica shares, learnt from
///   the send's error or from the `failed` status webhook ([`observe_webhook`](Self::observe_webhook),
///   by phone number and BSUID), and refuses marketing sends to them before the request
///   ([`ErrorKind::Undeliverable`]). Other sends to them (a utility template, a reply) go.
/// - **The messaging limit**: a business portfolio may start conversations with so many unique
///   users per rolling 24 hours (`TIER_250` ... `TIER_100K`, shared by its numbers since
///   October 2025). With [`portfolio_limit`](Self::portfolio_limit) (or
///   [`apply_limit`](Self::apply_limit) from the phone number's tier) the governor counts each
///   template or marketing send's recipient once per window, across replicas, and refuses a new
///   one over the budget ([`ErrorKind::RateLimited`] with the time a slot frees up) instead of
///   letting Meta fail it.
///
/// Marketing sends are [`WhatsApp::send_marketing`](crate::whatsapp::WhatsApp::send_marketing);
/// the crate does not know a template's category, so templates sent with `send` count as
/// marketing only with [`templates_are_marketing`](Self::templates_are_marketing). Each
/// tenant's governor has its own `scope` (its portfolio id): tenants never see each other's
/// holds or budget. While the store is unreachable the governor refuses (fails closed,
/// [`ErrorKind::Transient`]): a marketing send can wait, a resend into the wall cannot be
/// taken back.
///
/// ```
/// # async fn run() -> Result<(), Box<dyn std::error::Error>> {
/// use std::sync::Arc;
/// use meta_messaging::pacing::{InMemoryLimits, MarketingGovernor};
///
/// let store = Arc::new(InMemoryLimits::default()); // store::RedisLimits across replicas
/// let governor = MarketingGovernor::new("portfolio-1234", store).portfolio_limit(1_000);
/// let client = meta_messaging::Client::new("token");
/// let whatsapp = client.whatsapp("106540352242922").with_guard(governor.clone());
/// # drop(whatsapp); Ok(()) }
/// ```
#[derive(Clone)]
pub struct MarketingGovernor {
    scope: Arc<str>,
    store: Arc<dyn MarketingStore>,
    clock: SharedClock,
    templates: bool,
    /// The unique-recipient budget per window; `u64::MAX` for none.
    limit: Arc<AtomicU64>,
}

impl fmt::Debug for MarketingGovernor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MarketingGovernor")
            .field("scope", &self.scope)
            .field("templates_are_marketing", &self.templates)
            .field("limit", &self.limit())
            .finish_non_exhaustive()
    }
}

impl MarketingGovernor {
    /// A governor for `scope` (the tenant's business portfolio) over `store`, with no budget.
    pub fn new(scope: impl Into<String>, store: impl MarketingStore + 'static) -> Self {
        Self {
            scope: scope.into().into(),
            store: Arc::new(store),
            clock: crate::clock::system(),
            templates: false,
            limit: Arc::new(AtomicU64::new(u64::MAX)),
        }
    }

    /// The clock holds and windows are measured with (the system clock by default).
    #[must_use]
    pub fn clock(mut self, clock: SharedClock) -> Self {
        self.clock = clock;
        self
    }

    /// Also treats templates sent with `WhatsApp::send` as marketing (holds apply to them).
    #[must_use]
    pub fn templates_are_marketing(mut self, yes: bool) -> Self {
        self.templates = yes;
        self
    }

    /// The unique recipients the portfolio may reach per rolling 24 hours.
    #[must_use]
    pub fn portfolio_limit(self, unique_recipients: u64) -> Self {
        self.limit.store(unique_recipients, Ordering::Relaxed);
        self
    }

    /// Sets the budget from a phone number's messaging limit tier (read with
    /// `WhatsApp::phone_number`); an unlimited tier lifts it, an unknown one keeps it.
    pub fn apply_limit(&self, tier: &MessagingLimitTier) {
        let limit = match tier {
            MessagingLimitTier::Tier50 => 50,
            MessagingLimitTier::Tier250 => 250,
            MessagingLimitTier::Tier1K => 1_000,
            MessagingLimitTier::Tier2K => 2_000,
            MessagingLimitTier::Tier10K => 10_000,
            MessagingLimitTier::Tier100K => 100_000,
            MessagingLimitTier::Unlimited => u64::MAX,
            _ => return,
        };
        self.limit.store(limit, Ordering::Relaxed);
    }

    /// The current budget, if any.
    pub fn limit(&self) -> Option<u64> {
        Some(self.limit.load(Ordering::Relaxed)).filter(|&limit| limit != u64::MAX)
    }

    /// Holds `recipient` (a phone number's digits or a BSUID) for [`MARKETING_HOLD`].
    ///
    /// # Errors
    ///
    /// [`StoreError`] when the store cannot be reached.
    pub async fn hold(&self, recipient: &str) -> Result<(), StoreError> {
        let until = self.clock.now().saturating_add(MARKETING_HOLD);
        self.store.hold(&hold_scope(&self.scope), recipient, until).await
    }

    /// Holds the recipients of `failed` statuses with error `131049` in a WhatsApp webhook (by
    /// phone number and by BSUID, whichever the status carries); returns how many statuses
    /// were taken.
    ///
    /// # Errors
    ///
    /// [`StoreError`] when the store cannot be reached (the webhook should then not be
    /// acknowledged, so Meta redelivers it).
    pub async fn observe_webhook(&self, webhook: &Webhook) -> Result<usize, StoreError> {
        use crate::whatsapp::webhook::WhatsAppChangeValue;
        let Webhook::WhatsApp(payload) = webhook else { return Ok(0) };
        let mut held = 0;
        for change in payload.entries.iter().flat_map(|entry| &entry.changes) {
            let WhatsAppChangeValue::Messages(value) = &change.value else { continue };
            for status in &value.statuses {
                if !status.errors.iter().any(|e| e.code == Some(MARKETING_LIMIT_CODE)) {
                    continue;
                }
                for recipient in [&status.recipient_id, &status.recipient_user_id].into_iter().flatten() {
                    let key: String = if recipient.chars().all(|c| c.is_ascii_digit() || c == '+') {
                        recipient.chars().filter(char::is_ascii_digit).collect()
                    } else {
                        recipient.clone()
                    };
                    self.hold(&key).await?;
                }
                held += 1;
            }
        }
        Ok(held)
    }

    fn governs(&self, send: &Outbound) -> (bool, bool) {
        let marketing =
            send.kind == SendKind::Marketing || (self.templates && send.kind == SendKind::Template);
        let counted = matches!(send.kind, SendKind::Marketing | SendKind::Template);
        (marketing, counted)
    }
}

fn unreachable_store(error: &StoreError) -> Error {
    tracing::warn!(%error, "marketing governor: store unreachable, refusing the send");
    Error::guarded(ErrorKind::Transient, "marketing governor: its store is unreachable; try again later")
}

#[async_trait]
impl SendGuard for MarketingGovernor {
    async fn admit(&self, send: &Outbound) -> Result<(), Error> {
        let (marketing, counted) = self.governs(send);
        let now = self.clock.now();
        if marketing {
            let held = self.store.held_until(&hold_scope(&self.scope), &send.recipient, now).await;
            if let Some(until) = held.map_err(|e| unreachable_store(&e))? {
                let mut error = Error::guarded(
                    ErrorKind::Undeliverable,
                    format!(
                        "held locally: Meta refused a marketing message to this recipient (131049); \
                         next marketing send allowed in {:?}",
                        duration_between(now, until)
                    ),
                );
                error.set_retry_after(Some(duration_between(now, until)));
                return Err(error);
            }
        }
        let limit = self.limit.load(Ordering::Relaxed);
        if counted && limit != u64::MAX {
            let reach = self.store.reach(&self.scope, &send.recipient, now, REACH_WINDOW, limit).await;
            if let Reach::Spent { retry_after } = reach.map_err(|e| unreachable_store(&e))? {
                return Err(Error::paced("the portfolio's messaging limit", retry_after));
            }
        }
        Ok(())
    }

    /// Holds the recipient when the send failed with `131049`.
    async fn observe(&self, send: &Outbound, error: Option<&Error>) {
        let Some(code) = error.and_then(Error::api_error).map(crate::graph::GraphApiError::code) else {
            return;
        };
        if code == MARKETING_LIMIT_CODE {
            if let Err(error) = self.hold(&send.recipient).await {
                tracing::warn!(%error, "marketing governor: could not record a 131049 hold");
            }
        }
    }
}
