//! Marketing messages on Messenger and calling permissions.
//!
//! - Subscriptions: the opt-in request ([`Message::marketing_opt_in`](super::Message::marketing_opt_in)),
//!   the tokens users gave ([`Messenger::notification_message_tokens`]), and the Page-based send
//!   to a token ([`Recipient::NotificationToken`](super::Recipient)), per Meta's "Marketing
//!   Messages" page. Meta retires that Page-based send (announced for January 12, then
//!   February 10, 2026, outside the AU, EU, JP, KR and UK regions): the tokens carry over to
//! - the Marketing Message API for Messenger, sent through an ad account by tech providers
//!   ([`Messenger::create_message_campaign`], [`Messenger::send_marketing_message`]), per
//!   Meta's "Marketing Messages on Messenger: send messages" page.
//! - Calling: whether a user lets the Page call ([`Messenger::call_permissions`], Meta's
//!   "Check permissions" page).

use reqwest::Method;
use serde::{Deserialize, Serialize};
use serde_json::json;

use super::{Message, Messenger};
use crate::graph::serde_util::{opt_integer_or_string, opt_string_or_integer};
use crate::graph::validate::not_empty;
use crate::graph::{GraphRequest, Outbound, Page, RequestSpec, SendKind, ValidationError, Violation};
use crate::whatsapp::calling::CallPermissions;

/// A user's marketing messages subscription.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(default)]
#[non_exhaustive]
pub struct SubscriptionToken {
    /// The token to send to.
    pub notification_messages_token: Option<String>,
    /// The user (PSID).
    #[serde(deserialize_with = "opt_string_or_integer")]
    pub recipient_id: Option<String>,
    /// The topic subscribed to.
    pub topic_title: Option<String>,
    /// `ENABLED` when the user may be asked to subscribe again.
    pub notification_messages_reoptin: Option<String>,
    /// When the user subscribed (Unix seconds).
    #[serde(deserialize_with = "opt_integer_or_string")]
    pub creation_timestamp: Option<i64>,
    /// When the token expires (tokens made after August 2023 do not).
    #[serde(deserialize_with = "opt_integer_or_string")]
    pub token_expiry_timestamp: Option<i64>,
    /// `REFRESHED` or `NOT_REFRESHED`.
    pub user_token_status: Option<String>,
    /// The user's time zone for delivery.
    pub notification_messages_timezone: Option<String>,
    /// When the token may be sent to next (Unix seconds).
    #[serde(deserialize_with = "opt_integer_or_string")]
    pub next_eligible_time: Option<i64>,
    /// The Custom Audiences the token came from (audience uploads).
    pub custom_audience_ids: Vec<String>,
}

/// A campaign of the Marketing Message API for Messenger (`POST /act_{ad-account}/message_campaign`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct MessageCampaign {
    /// Its name.
    pub name: String,
    /// The daily budget, in the ad account's currency's cents.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub daily_budget: Option<u64>,
    /// The lifetime budget, in cents.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub lifetime_budget: Option<u64>,
    /// A pixel to attribute conversions to.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pixel_id: Option<String>,
    /// When it starts (ISO 8601 or Unix seconds, as Meta takes them).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub start_time: Option<String>,
    /// When it ends.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub end_time: Option<String>,
}

impl MessageCampaign {
    /// A campaign named `name`, no budget.
    pub fn new(name: impl Into<String>) -> Self {
        Self {
            name: name.into(),
            daily_budget: None,
            lifetime_budget: None,
            pixel_id: None,
            start_time: None,
            end_time: None,
        }
    }

    /// Sets a daily budget (cents).
    #[must_use]
    pub fn daily_budget(mut self, cents: u64) -> Self {
        self.daily_budget = Some(cents);
        self
    }

    /// Sets a lifetime budget (cents).
    #[must_use]
    pub fn lifetime_budget(mut self, cents: u64) -> Self {
        self.lifetime_budget = Some(cents);
        self
    }

    /// Sets the pixel.
    #[must_use]
    pub fn pixel_id(mut self, pixel: impl Into<String>) -> Self {
        self.pixel_id = Some(pixel.into());
        self
    }

    /// Sets when it runs.
    #[must_use]
    pub fn schedule(mut self, start: impl Into<String>, end: impl Into<String>) -> Self {
        self.start_time = Some(start.into());
        self.end_time = Some(end.into());
        self
    }

    fn validate(&self) -> Result<(), ValidationError> {
        not_empty("name", &self.name)?;
        if self.daily_budget.is_some() && self.lifetime_budget.is_some() {
            return Err(ValidationError::new(
                "lifetime_budget",
                Violation::Invalid("a daily or a lifetime budget, not both".into()),
            ));
        }
        Ok(())
    }
}

/// A created campaign.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(default)]
#[non_exhaustive]
pub struct CampaignCreated {
    /// The campaign's id: the `message_id` of its sends.
    #[serde(deserialize_with = "opt_string_or_integer")]
    pub id: Option<String>,
}

/// Meta's answer to a marketing message send.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(default)]
#[non_exhaustive]
pub struct MarketingMessageSent {
    /// Whether Meta took it.
    pub success: Option<bool>,
    /// The id that the `marketing_message_*` webhooks carry.
    pub marketing_message_tracking_id: Option<String>,
}

/// `act_<id>` from an ad account id given with or without its prefix.
fn ad_account_node(ad_account_id: &str) -> String {
    let id = ad_account_id.strip_prefix("act_").unwrap_or(ad_account_id);
    format!("act_{id}")
}

impl Messenger {
    /// The marketing subscriptions users gave the Page (`GET /{page-id}/notification_message_tokens`),
    /// paged (`.query("limit", "1000")`).
    pub fn notification_message_tokens(&self) -> GraphRequest<Page<SubscriptionToken>> {
        self.target.request(self.target.spec(Method::GET, Some("notification_message_tokens")))
    }

    /// Creates a campaign of the Marketing Message API for this Page in `ad_account_id`
    /// (`POST /act_{ad-account-id}/message_campaign`; needs `ads_management`).
    pub fn create_message_campaign(
        &self,
        ad_account_id: &str,
        campaign: &MessageCampaign,
    ) -> GraphRequest<CampaignCreated> {
        let mut spec =
            RequestSpec::node(Method::POST, &ad_account_node(ad_account_id), Some("message_campaign"));
        let mut body = serde_json::to_value(campaign).unwrap_or_default();
        body["page_id"] = self.page_id.as_str().into();
        if let Err(invalid) = campaign.validate() {
            spec.fail(invalid.into());
        }
        spec.set_json(&body);
        self.target.request(spec)
    }

    /// Sends `message` to a subscription token under `campaign_id` through the Marketing
    /// Message API (`POST /act_{ad-account-id}/messages`); `min_gap_seconds` keeps it from
    /// users who heard from the Page more recently. The Page's send guards run first.
    // The message is taken by value, as by every other send.
    #[allow(clippy::needless_pass_by_value)]
    pub fn send_marketing_message(
        &self,
        ad_account_id: &str,
        campaign_id: &str,
        subscription_token: &str,
        message: Message,
        min_gap_seconds: Option<u64>,
    ) -> GraphRequest<MarketingMessageSent> {
        let mut spec = RequestSpec::node(Method::POST, &ad_account_node(ad_account_id), Some("messages"));
        spec.gate = self.target.guards.gate(|| {
            Outbound::new(self.target.platform, self.page_id.as_str(), subscription_token)
                .with_kind(SendKind::Marketing)
        });
        let checked = not_empty("message_id", campaign_id)
            .and_then(|()| not_empty("messenger_delivery_data.subscription_token", subscription_token))
            .and_then(|()| message.validate_for(self.target.platform));
        if let Err(invalid) = checked {
            spec.fail(invalid.into());
        }
        let content = message.message_object().unwrap_or_else(|_| {
            spec.fail(crate::graph::Error::config("request body could not be serialized to json"));
            serde_json::Map::new()
        });
        let mut body = json!({"message_id": campaign_id,
            "messenger_delivery_data": {"subscription_token": subscription_token}, "message": content});
        if let Some(gap) = min_gap_seconds {
            body["min_conversation_gap_seconds"] = gap.into();
        }
        spec.set_json(&body);
        self.target.request(spec)
    }

    /// Whether `psid` lets the Page call them, and whether a permission request or a call can
    /// go now (`GET /{page-id}/messenger_call_permissions?psid=`).
    pub fn call_permissions(&self, psid: &str) -> GraphRequest<CallPermissions> {
        let mut spec = self.target.spec(Method::GET, Some("messenger_call_permissions"));
        if let Err(invalid) = not_empty("psid", psid) {
            spec.fail(invalid.into());
        }
        spec.query.push(("psid".into(), psid.to_owned()));
        self.target.request(spec)
    }
}
