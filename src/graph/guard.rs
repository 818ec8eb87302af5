//! Send guards: checks that run before a send's first attempt.
//!
//! The platform handles ([`WhatsApp`](crate::whatsapp::WhatsApp),
//! [`Messenger`](crate::messenger::Messenger), [`Instagram`](crate::instagram::Instagram)) accept
//! any number of [`SendGuard`]s. Before a message send goes out, each guard sees an
//! [`Outbound`] (platform, sender, recipient, and the messaging window the send needs) and either
//! admits it, waits, or fails it with an [`Error`]. The crate's [`pacing`](crate::pacing) module
//! implements guards for throughput limits and the messaging window; anything else (quotas,
//! opt-out lists, kill switches) plugs in the same way.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;

use super::Platform;
use super::error::{Error, Result};
use super::request::Gate;

/// The standard messaging window: 24 hours after the user's last message (WhatsApp, Messenger
/// and Instagram).
pub const STANDARD_WINDOW: Duration = Duration::from_secs(24 * 3600);

/// The human-agent window: 7 days after the user's last message (Messenger and Instagram, with
/// the `HUMAN_AGENT` tag).
pub const HUMAN_AGENT_WINDOW: Duration = Duration::from_secs(7 * 24 * 3600);

/// The messaging window a send needs: the user's last message must be at most `span` old.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct WindowRule {
    /// How old the user's last message may be.
    pub span: Duration,
    /// What to do instead when the window is closed, for the error message that follows the
    /// reason (`"send a template"`).
    pub advice: &'static str,
}

impl WindowRule {
    /// A rule for `span`, with advice for when it is closed.
    pub const fn new(span: Duration, advice: &'static str) -> Self {
        Self { span, advice }
    }
}

/// What a [`SendGuard`] sees of a message send.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Outbound {
    /// The platform.
    pub platform: Platform,
    /// The sending business: a phone-number id (WhatsApp), Page id (Messenger), or Instagram
    /// account id.
    pub sender: String,
    /// The recipient: a phone number or BSUID (WhatsApp), PSID or IGSID, or the platform's key
    /// of another recipient kind (a group id, a `user_ref`).
    pub recipient: String,
    /// The messaging window this send needs; `None` for sends allowed at any time (templates,
    /// tagged messages outside their window rules).
    pub window: Option<WindowRule>,
    /// What kind of send it is: a message in a conversation, a template, a marketing send.
    pub kind: SendKind,
}

/// What kind of send an [`Outbound`] is, for guards that treat kinds apart (the
/// [`MarketingGovernor`](crate::pacing::MarketingGovernor) looks at templates and marketing
/// sends only).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum SendKind {
    /// A message in a conversation: free-form, interactive, media (every Messenger and
    /// Instagram send is one).
    #[default]
    Message,
    /// A WhatsApp template through `/messages`: business-initiated, counted against the
    /// messaging limit; its category (marketing, utility, authentication) is the template's.
    Template,
    /// A marketing template through the Marketing Messages API (`/marketing_messages`).
    Marketing,
}

impl Outbound {
    /// A send from `sender` to `recipient` on `platform` that needs no window.
    pub fn new(platform: Platform, sender: impl Into<String>, recipient: impl Into<String>) -> Self {
        Self {
            platform,
            sender: sender.into(),
            recipient: recipient.into(),
            window: None,
            kind: SendKind::Message,
        }
    }

    /// The same send, of `kind`.
    #[must_use]
    pub fn with_kind(mut self, kind: SendKind) -> Self {
        self.kind = kind;
        self
    }

    /// The same send, needing `window`.
    #[must_use]
    pub fn with_window(mut self, window: Option<WindowRule>) -> Self {
        self.window = window;
        self
    }
}

/// A check run before a message send's first attempt (never again on retries).
///
/// Return `Ok(())` to let the send go (after waiting, if the guard paces), or an [`Error`] to
/// fail the send without a request: [`Error::paced`] for pacing, [`Error::outside_window`] for
/// a closed messaging window.
///
/// ```
/// use meta_messaging::graph::{Outbound, SendGuard};
///
/// #[derive(Debug)]
/// struct NoNightSends;
///
/// #[async_trait::async_trait]
/// impl SendGuard for NoNightSends {
///     async fn admit(&self, _send: &Outbound) -> meta_messaging::Result<()> {
///         Ok(())
///     }
/// }
/// ```
#[async_trait]
pub trait SendGuard: Send + Sync + fmt::Debug {
    /// Resolves when `send` may go, or fails it.
    ///
    /// # Errors
    ///
    /// The [`Error`] the send fails with.
    async fn admit(&self, send: &Outbound) -> Result<()>;

    /// Learns from the send: called with each failed attempt's error (a `130429` throughput
    /// error, say, so a pacer slows down at once, retried or not), and with `None` once the send
    /// succeeded. The default ignores it.
    async fn observe(&self, send: &Outbound, error: Option<&Error>) {
        let _ = (send, error);
    }
}

#[async_trait]
impl<G: SendGuard + ?Sized> SendGuard for Arc<G> {
    async fn admit(&self, send: &Outbound) -> Result<()> {
        (**self).admit(send).await
    }

    async fn observe(&self, send: &Outbound, error: Option<&Error>) {
        (**self).observe(send, error).await;
    }
}

/// The guards of one platform handle, in the order they run.
#[derive(Clone, Debug, Default)]
pub(crate) struct Guards(Vec<Arc<dyn SendGuard>>);

impl Guards {
    pub(crate) fn push(&mut self, guard: Arc<dyn SendGuard>) {
        self.0.push(guard);
    }

    /// The gate of one send, or `None` when the handle has no guards (no cost on the hot path).
    pub(crate) fn gate(&self, outbound: impl FnOnce() -> Outbound) -> Option<Arc<dyn Gate>> {
        if self.0.is_empty() {
            return None;
        }
        Some(Arc::new(Guarded { guards: self.0.clone(), outbound: outbound() }))
    }
}

struct Guarded {
    guards: Vec<Arc<dyn SendGuard>>,
    outbound: Outbound,
}

impl Gate for Guarded {
    fn admit(&self) -> std::pin::Pin<Box<dyn std::future::Future<Output = Result<()>> + Send + '_>> {
        Box::pin(async move {
            for guard in &self.guards {
                guard.admit(&self.outbound).await?;
            }
            Ok::<(), Error>(())
        })
    }

    fn after<'a>(
        &'a self,
        error: Option<&'a Error>,
    ) -> std::pin::Pin<Box<dyn std::future::Future<Output = ()> + Send + 'a>> {
        Box::pin(async move {
            for guard in &self.guards {
                guard.observe(&self.outbound, error).await;
            }
        })
    }
}
