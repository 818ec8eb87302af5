//! Phone-number management beyond messages: blocking users, QR codes with prefilled messages,
//! the Marketing Messages API, conversational components (prompts and commands), commerce
//! settings, and the number's webhook override.
//!
//! Per Meta's [Block Users](https://developers.facebook.com/docs/whatsapp/cloud-api/block-users),
//! [QR codes](https://developers.facebook.com/docs/whatsapp/business-management-api/qr-codes),
//! [Marketing Messages](https://developers.facebook.com/docs/whatsapp/marketing-messages-lite-api),
//! [conversational components](https://developers.facebook.com/docs/whatsapp/cloud-api/phone-numbers/conversational-components),
//! commerce settings and [webhook overrides](https://developers.facebook.com/docs/whatsapp/embedded-signup/webhooks/override)
//! references.

use reqwest::Method;
use serde::{Deserialize, Serialize};
use serde_json::json;

use super::message::{Message, Recipient, SendBody, SendResponse};
use super::{WhatsApp, request};
use crate::graph::serde_util::{opt_string_or_integer, string_enum};
use crate::graph::validate::{max_chars, max_items, not_empty};
use crate::graph::{Ack, GraphRequest, Page, RequestSpec, ValidationError, Violation};

/// Most users one block or unblock call takes.
pub const MAX_BLOCK_USERS: usize = 1000;

/// A user a block call took (or could not take).
#[derive(Clone, Debug, Default, PartialEq, Deserialize)]
#[serde(default)]
#[non_exhaustive]
pub struct BlockedUser {
    /// What was sent.
    pub input: Option<String>,
    /// The user's WhatsApp id (absent for a user blocked by business-scoped id).
    #[serde(deserialize_with = "opt_string_or_integer")]
    pub wa_id: Option<String>,
    /// The user's business-scoped id.
    #[serde(deserialize_with = "opt_string_or_integer")]
    pub user_id: Option<String>,
    /// Why it failed, for failed users.
    pub errors: Vec<serde_json::Value>,
}

/// The outcome of a block or unblock call.
#[derive(Clone, Debug, Default, PartialEq, Deserialize)]
#[serde(default)]
#[non_exhaustive]
pub struct BlockResult {
    /// Users blocked.
    pub added_users: Vec<BlockedUser>,
    /// Users unblocked.
    pub removed_users: Vec<BlockedUser>,
    /// Users that failed (Meta answers `400` with code 139100 when some fail).
    pub failed_users: Vec<BlockedUser>,
}

/// The answer of [`WhatsApp::block_users`] and [`WhatsApp::unblock_users`].
#[derive(Clone, Debug, Default, PartialEq, Deserialize)]
#[serde(default)]
#[non_exhaustive]
pub struct BlockAnswer {
    /// The outcome.
    pub block_users: BlockResult,
}

/// A blocked user, as listed.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(default)]
#[non_exhaustive]
pub struct BlockedListEntry {
    /// The user's WhatsApp id (absent when withheld).
    #[serde(deserialize_with = "opt_string_or_integer")]
    pub wa_id: Option<String>,
    /// The user's business-scoped id.
    #[serde(deserialize_with = "opt_string_or_integer")]
    pub user_id: Option<String>,
    /// The user's parent business-scoped id.
    #[serde(deserialize_with = "opt_string_or_integer")]
    pub parent_user_id: Option<String>,
}

string_enum! {
    /// The image format of a QR code.
    pub enum QrImageFormat {
        /// SVG.
        Svg = "SVG",
        /// PNG.
        Png = "PNG",
    }
}

/// A QR code (and short link) that opens a chat with a prefilled message.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(default)]
#[non_exhaustive]
pub struct QrCode {
    /// Its code, to update or delete it.
    pub code: Option<String>,
    /// The message it prefills (≤ 140 characters).
    pub prefilled_message: Option<String>,
    /// The `wa.me` link.
    pub deep_link_url: Option<String>,
    /// The image, when asked for.
    pub qr_image_url: Option<String>,
}

string_enum! {
    /// What the Marketing Messages API does when it cannot deliver with its optimisations.
    pub enum ProductPolicy {
        /// Deliver through the Cloud API instead (Meta's default).
        CloudApiFallback = "CLOUD_API_FALLBACK",
        /// Do not deliver.
        Strict = "STRICT",
    }
}

/// Options of a Marketing Messages API send.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct MarketingOptions {
    /// The product policy (`product_policy`).
    pub product_policy: Option<ProductPolicy>,
    /// Whether Meta may share the message's activity for optimisation
    /// (`message_activity_sharing`).
    pub message_activity_sharing: Option<bool>,
}

impl MarketingOptions {
    /// Meta's defaults.
    pub fn new() -> Self {
        Self::default()
    }

    /// The product policy.
    #[must_use]
    pub fn product_policy(mut self, policy: ProductPolicy) -> Self {
        self.product_policy = Some(policy);
        self
    }

    /// Whether the message's activity may be shared.
    #[must_use]
    pub fn message_activity_sharing(mut self, sharing: bool) -> Self {
        self.message_activity_sharing = Some(sharing);
        self
    }
}

/// A phone number's prompts and commands.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
#[non_exhaustive]
pub struct ConversationalAutomation {
    /// Whether a welcome message is sent when a user opens the chat (Meta says it does not
    /// work reliably yet).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub enable_welcome_message: Option<bool>,
    /// Up to 4 ice-breaker prompts (≤ 80 characters); `None` leaves the saved ones as they
    /// are, `Some(vec![])` removes them.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub prompts: Option<Vec<String>>,
    /// Up to 30 `/` commands; `None` leaves the saved ones, `Some(vec![])` removes them.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub commands: Option<Vec<BotCommand>>,
}

/// A `/` command.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct BotCommand {
    /// Its name (≤ 32 characters).
    pub command_name: String,
    /// What it does (≤ 256 characters).
    pub command_description: String,
}

impl BotCommand {
    /// A command.
    pub fn new(name: impl Into<String>, description: impl Into<String>) -> Self {
        Self { command_name: name.into(), command_description: description.into() }
    }
}

impl ConversationalAutomation {
    /// Nothing set yet.
    pub fn new() -> Self {
        Self::default()
    }

    /// Turns the welcome message on or off.
    #[must_use]
    pub fn welcome_message(mut self, enabled: bool) -> Self {
        self.enable_welcome_message = Some(enabled);
        self
    }

    /// The ice-breaker prompts (up to 4; none removes the saved ones).
    #[must_use]
    pub fn prompts(mut self, prompts: impl IntoIterator<Item = impl Into<String>>) -> Self {
        self.prompts = Some(prompts.into_iter().map(Into::into).collect());
        self
    }

    /// Adds a `/` command.
    #[must_use]
    pub fn command(mut self, name: impl Into<String>, description: impl Into<String>) -> Self {
        self.commands.get_or_insert_with(Vec::new).push(BotCommand::new(name, description));
        self
    }

    /// Removes the saved `/` commands.
    #[must_use]
    pub fn clear_commands(mut self) -> Self {
        self.commands = Some(Vec::new());
        self
    }

    fn validate(&self) -> Result<(), ValidationError> {
        let (prompts, commands) =
            (self.prompts.as_deref().unwrap_or_default(), self.commands.as_deref().unwrap_or_default());
        max_items("prompts", prompts.len(), 4)?;
        for prompt in prompts {
            max_chars("prompts", prompt, 80)?;
        }
        max_items("commands", commands.len(), 30)?;
        for command in commands {
            not_empty("commands.command_name", &command.command_name)?;
            max_chars("commands.command_name", &command.command_name, 32)?;
            max_chars("commands.command_description", &command.command_description, 256)?;
        }
        Ok(())
    }
}

#[derive(Deserialize)]
struct AutomationAnswer {
    #[serde(default)]
    conversational_automation: ConversationalAutomation,
}

impl<'de> Deserialize<'de> for ConversationalAutomationAnswer {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        AutomationAnswer::deserialize(d).map(|a| Self(a.conversational_automation))
    }
}

/// The answer of [`WhatsApp::conversational_automation`].
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct ConversationalAutomationAnswer(pub ConversationalAutomation);

/// A phone number's commerce settings.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(default)]
#[non_exhaustive]
pub struct CommerceSettings {
    /// Whether users can add products to a cart.
    pub is_cart_enabled: Option<bool>,
    /// Whether the catalog shows in the chat and the profile.
    pub is_catalog_visible: Option<bool>,
}

/// Where the webhooks of a phone number go, by level.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(default)]
#[non_exhaustive]
pub struct WebhookConfiguration {
    /// The number's own override.
    pub phone_number: Option<String>,
    /// The WABA's override.
    pub whatsapp_business_account: Option<String>,
    /// The app's callback.
    pub application: Option<String>,
}

#[derive(Deserialize)]
struct WebhookAnswer {
    #[serde(default)]
    webhook_configuration: WebhookConfiguration,
}

impl<'de> Deserialize<'de> for WebhookConfigurationAnswer {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        WebhookAnswer::deserialize(d).map(|a| Self(a.webhook_configuration))
    }
}

/// The answer of [`WhatsApp::webhook_configuration`].
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct WebhookConfigurationAnswer(pub WebhookConfiguration);

fn users_body(users: &[Recipient]) -> (serde_json::Value, Result<(), ValidationError>) {
    let mut checked = if users.is_empty() {
        Err(ValidationError::new("block_users", Violation::Missing))
    } else {
        max_items("block_users", users.len(), MAX_BLOCK_USERS)
    };
    let mut list = Vec::with_capacity(users.len());
    for user in users {
        // Meta blocks by phone or BSUID, never by parent BSUID or group.
        if matches!(user, Recipient::UserId(id) if id.contains(".ENT.")) {
            checked = checked.and(Err(ValidationError::new(
                "block_users.user_id",
                Violation::Invalid("parent business-scoped ids cannot be blocked".into()),
            )));
        }
        match user.user_entry("block_users") {
            Ok(entry) => list.push(entry),
            Err(invalid) => checked = checked.and(Err(invalid)),
        }
    }
    (json!({"messaging_product": "whatsapp", "block_users": list}), checked)
}

fn qr_spec(phone: &WhatsApp, method: Method, code: Option<&str>) -> RequestSpec {
    let mut spec = phone.spec(method, Some("message_qrdls"));
    if let Some(code) = code {
        spec.push_segment("code", code);
    }
    spec
}

impl WhatsApp {
    /// Blocks users who wrote in the last 24 hours (up to 1000 a call), by phone number (a
    /// `&str` or `String`) or business-scoped id ([`Recipient::user_id`]; not a parent id).
    /// When some fail, Meta answers `400` with code 139100: the error's details name them.
    pub fn block_users(
        &self,
        users: impl IntoIterator<Item = impl Into<Recipient>>,
    ) -> GraphRequest<BlockAnswer> {
        self.block_call(Method::POST, &users.into_iter().map(Into::into).collect::<Vec<_>>())
    }

    /// Unblocks users, by phone number or business-scoped id.
    pub fn unblock_users(
        &self,
        users: impl IntoIterator<Item = impl Into<Recipient>>,
    ) -> GraphRequest<BlockAnswer> {
        self.block_call(Method::DELETE, &users.into_iter().map(Into::into).collect::<Vec<_>>())
    }

    /// The blocked users, paged.
    pub fn blocked_users(&self) -> GraphRequest<Page<BlockedListEntry>> {
        request(&self.client, self.spec(Method::GET, Some("block_users")))
    }

    fn block_call(&self, method: Method, users: &[Recipient]) -> GraphRequest<BlockAnswer> {
        let mut spec = self.spec(method, Some("block_users"));
        let (body, checked) = users_body(users);
        spec.set_json(&body);
        if let Err(invalid) = checked {
            spec.fail(invalid.into());
        }
        request(&self.client, spec)
    }

    /// Creates a QR code that opens a chat with `prefilled_message` (≤ 140 characters).
    #[allow(clippy::needless_pass_by_value)] // owned like every other argument
    pub fn create_qr_code(
        &self,
        prefilled_message: impl Into<String>,
        format: QrImageFormat,
    ) -> GraphRequest<QrCode> {
        let message = prefilled_message.into();
        let mut spec = qr_spec(self, Method::POST, None);
        if let Err(invalid) = not_empty("prefilled_message", &message)
            .and_then(|()| max_chars("prefilled_message", &message, 140))
        {
            spec.fail(invalid.into());
        }
        spec.set_json(&json!({"prefilled_message": message, "generate_qr_image": format}));
        request(&self.client, spec)
    }

    /// The number's QR codes.
    pub fn qr_codes(&self) -> GraphRequest<Page<QrCode>> {
        request(&self.client, qr_spec(self, Method::GET, None))
    }

    /// One QR code (Meta answers it in a list).
    pub fn qr_code(&self, code: impl Into<String>) -> GraphRequest<Page<QrCode>> {
        request(&self.client, qr_spec(self, Method::GET, Some(&code.into())))
    }

    /// Changes a QR code's prefilled message.
    pub fn update_qr_code(
        &self,
        code: impl Into<String>,
        prefilled_message: impl Into<String>,
    ) -> GraphRequest<QrCode> {
        let (code, message) = (code.into(), prefilled_message.into());
        let mut spec = qr_spec(self, Method::POST, None);
        if let Err(invalid) = max_chars("prefilled_message", &message, 140) {
            spec.fail(invalid.into());
        }
        spec.set_json(&json!({"code": code, "prefilled_message": message}));
        request(&self.client, spec)
    }

    /// Deletes a QR code.
    pub fn delete_qr_code(&self, code: impl Into<String>) -> GraphRequest<Ack> {
        request(&self.client, qr_spec(self, Method::DELETE, Some(&code.into())))
    }

    /// Sends a marketing template through the Marketing Messages API
    /// (`POST /{phone-number-id}/marketing_messages`): the same body as [`send`](Self::send),
    /// marketing templates only.
    pub fn send_marketing(&self, to: impl Into<Recipient>, message: Message) -> GraphRequest<SendResponse> {
        self.send_marketing_with(to, message, &MarketingOptions::default())
    }

    /// [`send_marketing`](Self::send_marketing) with the Marketing Messages API's options: the
    /// product policy (fall back to Cloud API delivery, or not) and whether Meta may share the
    /// message's activity (reads, clicks) for ad optimisation.
    pub fn send_marketing_with(
        &self,
        to: impl Into<Recipient>,
        message: Message,
        options: &MarketingOptions,
    ) -> GraphRequest<SendResponse> {
        let to = to.into();
        let mut spec = self.spec(Method::POST, Some("marketing_messages"));
        // Pacing applies as to every send; a template needs no messaging window.
        spec.gate = self.guards.gate(|| {
            crate::graph::Outbound::new(crate::Platform::WhatsApp, self.phone_number_id.as_str(), to.key())
                .with_kind(crate::graph::SendKind::Marketing)
        });
        let checked = to.validate().and_then(|()| message.validate()).and_then(|()| {
            if message.kind() == "template" {
                Ok(())
            } else {
                Err(ValidationError::new(
                    "type",
                    Violation::Invalid("marketing messages are templates".into()),
                ))
            }
        });
        if let Err(invalid) = checked {
            spec.fail(invalid.into());
        } else {
            let mut body = serde_json::to_value(SendBody { to, message }).unwrap_or_default();
            if let Some(policy) = &options.product_policy {
                body["product_policy"] = policy.as_str().into();
            }
            if let Some(sharing) = options.message_activity_sharing {
                body["message_activity_sharing"] = sharing.into();
            }
            spec.set_json(&body);
        }
        request(&self.client, spec)
    }

    /// Sets the number's prompts and commands (and the welcome message).
    pub fn set_conversational_automation(&self, automation: &ConversationalAutomation) -> GraphRequest<Ack> {
        let mut spec = self.spec(Method::POST, Some("conversational_automation"));
        spec.set_json(automation);
        if let Err(invalid) = automation.validate() {
            spec.fail(invalid.into());
        }
        request(&self.client, spec)
    }

    /// The number's prompts and commands.
    pub fn conversational_automation(&self) -> GraphRequest<ConversationalAutomationAnswer> {
        let mut spec = self.spec(Method::GET, None);
        spec.query.push(("fields".into(), "conversational_automation".to_owned()));
        request(&self.client, spec)
    }

    /// The number's commerce settings.
    pub fn commerce_settings(&self) -> GraphRequest<Page<CommerceSettings>> {
        request(&self.client, self.spec(Method::GET, Some("whatsapp_commerce_settings")))
    }

    /// Shows or hides the catalog and turns the cart on or off.
    pub fn set_commerce_settings(&self, cart_enabled: bool, catalog_visible: bool) -> GraphRequest<Ack> {
        let mut spec = self.spec(Method::POST, Some("whatsapp_commerce_settings"));
        spec.query.push(("is_cart_enabled".into(), cart_enabled.to_string()));
        spec.query.push(("is_catalog_visible".into(), catalog_visible.to_string()));
        request(&self.client, spec)
    }

    /// Sends this number's webhooks to `callback_uri` (Meta checks it with a handshake using
    /// `verify_token`); the app must be subscribed to the WABA.
    pub fn set_webhook_override(
        &self,
        callback_uri: impl Into<String>,
        verify_token: impl Into<String>,
    ) -> GraphRequest<Ack> {
        let uri = callback_uri.into();
        let mut spec = self.spec(Method::POST, None);
        if !uri.starts_with("https://") || uri.len() > 200 {
            spec.fail(
                ValidationError::new(
                    "override_callback_uri",
                    Violation::Invalid("an https URL of ≤ 200 characters".into()),
                )
                .into(),
            );
        }
        spec.set_json(&json!({"webhook_configuration": {"override_callback_uri": uri, "verify_token": verify_token.into()}}));
        request(&self.client, spec)
    }

    /// Removes the number's webhook override.
    pub fn delete_webhook_override(&self) -> GraphRequest<Ack> {
        let mut spec = self.spec(Method::POST, None);
        spec.set_json(&json!({"webhook_configuration": {"override_callback_uri": ""}}));
        request(&self.client, spec)
    }

    /// Where this number's webhooks go, at each level.
    pub fn webhook_configuration(&self) -> GraphRequest<WebhookConfigurationAnswer> {
        let mut spec = self.spec(Method::GET, None);
        spec.query.push(("fields".into(), "webhook_configuration".to_owned()));
        request(&self.client, spec)
    }
}
