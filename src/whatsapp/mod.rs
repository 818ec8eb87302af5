//! WhatsApp Business Cloud API.
//!
//! Two handles, both cheap to clone:
//! - [`WhatsApp`] (`client.whatsapp(phone_number_id)`): everything a business phone number
//!   does: [send](WhatsApp::send) every message kind, [mark read](WhatsApp::mark_read) (with a
//!   typing indicator), media [upload](WhatsApp::upload_media) /
//!   [lookup](WhatsApp::media_url) / [download](WhatsApp::download_media) /
//!   [delete](WhatsApp::delete_media), registration and two-step PIN, business profile;
//! - [`WhatsAppBusinessAccount`] (`client.whatsapp_business_account(waba_id)`): message
//!   templates, phone numbers, and webhook subscriptions of the WABA.
//!
//! Each endpoint returns a [`GraphRequest`]: `.await` it, or set a per-request access token,
//! timeout or extra query first. Requests that break one of Meta's documented limits fail with
//! [`ErrorKind::Validation`](crate::ErrorKind::Validation) before anything is sent.
//!
//! ```no_run
//! # async fn run() -> Result<(), meta_messaging::Error> {
//! use meta_messaging::Client;
//! use meta_messaging::whatsapp::{Message, Parameter, Template};
//!
//! let client = Client::new("EAAG...");
//! let wa = client.whatsapp("106540352242922");
//! let sent = wa.send("16505551234", Message::text("Your order shipped")).await?;
//! println!("sent {:?}", sent.message_id());
//! let template = Template::new("order_update", "en_US").body([Parameter::text("Jessica")]);
//! wa.send("16505551234", Message::template(template)).await?;
//! # Ok(()) }
//! ```
//!
//! [`webhook`] models what WhatsApp sends to your webhook.

pub mod account;
pub mod account_admin;
pub mod calling;
pub mod coexistence;
pub mod conversions;
pub mod flows;
pub mod groups;
pub mod insights;
pub mod manage;
pub mod media;
pub mod message;
pub mod payments;
pub mod routing;
pub mod template;
pub mod template_admin;
pub mod usernames;
#[doc(inline)]
pub use meta_messaging_model::whatsapp::webhook;
pub use meta_messaging_model::whatsapp::{MediaId, MessageId, PhoneNumberId, TemplateId, WabaId};

pub use self::message::{
    CardAction, Charge, Goods, MediaCard, MediaSource, Message, Money, OrderDetails, OrderItem, OrderState,
    OrderStatusUpdate, PaymentSetting, Recipient, ReplyButton, SendResponse, VoiceCall,
};
pub use self::template::{Parameter, Template};

use reqwest::Method;
use serde_json::json;

use self::account::{
    BUSINESS_PROFILE_FIELDS, BusinessProfileResponse, BusinessProfileUpdate, CodeMethod, PHONE_NUMBER_FIELDS,
    PhoneNumber, Pin, SubscribedApp,
};
use self::media::{MediaDownload, MediaInfo, MediaUpload, UploadedMedia};
use self::message::SendBody;
use self::template::{CreatedTemplate, MessageTemplate, NewTemplate, TemplateCategory};
use std::sync::Arc;

use crate::graph::{
    Ack, Error, GraphRequest, Guards, Outbound, Page, Platform, RequestSpec, STANDARD_WINDOW, SendGuard,
    SendKind, ValidationError, WindowRule,
};
use crate::{Client, VerifyToken};

/// The fields read by [`WhatsAppBusinessAccount::templates`].
pub const TEMPLATE_FIELDS: &str =
    "id,name,language,status,category,parameter_format,components,quality_score,rejected_reason";

impl Client {
    /// The WhatsApp handle of a business phone number.
    pub fn whatsapp(&self, phone_number_id: impl Into<PhoneNumberId>) -> WhatsApp {
        WhatsApp { client: self.clone(), phone_number_id: phone_number_id.into(), guards: Guards::default() }
    }

    /// The handle of a WhatsApp Business Account.
    pub fn whatsapp_business_account(&self, waba_id: impl Into<WabaId>) -> WhatsAppBusinessAccount {
        WhatsAppBusinessAccount { client: self.clone(), waba_id: waba_id.into() }
    }
}

/// A business phone number on the Cloud API. Cheap to clone.
#[derive(Clone, Debug)]
pub struct WhatsApp {
    client: Client,
    phone_number_id: PhoneNumberId,
    guards: Guards,
}

/// The window rule of a free-form WhatsApp message.
const FREE_FORM: WindowRule = WindowRule::new(STANDARD_WINDOW, "send a template");

fn request<T>(client: &Client, spec: RequestSpec) -> GraphRequest<T> {
    GraphRequest::from_spec(client.clone(), spec)
}

fn validated<T>(
    client: &Client,
    mut spec: RequestSpec,
    check: Result<(), ValidationError>,
) -> GraphRequest<T> {
    if let Err(violation) = check {
        spec.fail(Error::from(violation));
    }
    request(client, spec)
}

impl WhatsApp {
    /// The phone-number id.
    pub fn phone_number_id(&self) -> &PhoneNumberId {
        &self.phone_number_id
    }

    /// The client behind the handle.
    pub fn client(&self) -> &Client {
        &self.client
    }

    fn spec(&self, method: Method, edge: Option<&str>) -> RequestSpec {
        RequestSpec::node(method, self.phone_number_id.as_str(), edge)
    }

    /// Adds a [`SendGuard`] that every message send passes before its request, in the order
    /// added: a [`Pacer`](crate::pacing::Pacer) (throughput per phone number, pair rate per
    /// recipient), a [`WindowTracker`](crate::pacing::WindowTracker) (free-form sends refused
    /// outside the 24-hour window; templates always go), or a guard of your own.
    #[must_use]
    pub fn with_guard(mut self, guard: impl SendGuard + 'static) -> Self {
        self.guards.push(Arc::new(guard));
        self
    }

    /// Sends a message (`POST /{phone-number-id}/messages`).
    ///
    /// `to` is a phone number (`"16505551234"`, a `&str` or `String`), or a
    /// [`Recipient::user_id`] / [`Recipient::group`]. The message is validated first, then
    /// passes the handle's [guards](Self::with_guard) before the request.
    pub fn send(&self, to: impl Into<Recipient>, message: Message) -> GraphRequest<SendResponse> {
        let to = to.into();
        let check = to.validate().and_then(|()| message.validate());
        let mut spec = self.spec(Method::POST, Some("messages"));
        spec.gate = self.guards.gate(|| {
            let free_form = !matches!(message.content(), message::Content::Template(_));
            Outbound::new(Platform::WhatsApp, self.phone_number_id.as_str(), to.key())
                .with_window(free_form.then_some(FREE_FORM))
                .with_kind(if free_form { SendKind::Message } else { SendKind::Template })
        });
        if check.is_ok() {
            spec.set_json(&SendBody { to, message });
        }
        validated(&self.client, spec, check)
    }

    /// Sends a text message.
    pub fn send_text(&self, to: impl Into<Recipient>, body: impl Into<String>) -> GraphRequest<SendResponse> {
        self.send(to, Message::text(body))
    }

    /// Reacts to a message with an emoji; [`unreact`](Self::unreact) removes the reaction.
    pub fn react(
        &self,
        to: impl Into<Recipient>,
        message_id: impl Into<MessageId>,
        emoji: impl Into<String>,
    ) -> GraphRequest<SendResponse> {
        self.send(to, Message::reaction(message_id, emoji))
    }

    /// Removes the business's reaction to a message (Meta's reaction with an empty emoji).
    pub fn unreact(
        &self,
        to: impl Into<Recipient>,
        message_id: impl Into<MessageId>,
    ) -> GraphRequest<SendResponse> {
        self.send(to, Message::reaction(message_id, ""))
    }

    /// Marks an inbound message (and the ones before it) as read: blue ticks for the user.
    pub fn mark_read(&self, message_id: impl Into<MessageId>) -> GraphRequest<Ack> {
        let id = message_id.into();
        let mut spec = self.spec(Method::POST, Some("messages"));
        spec.set_json(&json!({"messaging_product": "whatsapp", "status": "read", "message_id": id}));
        spec.idempotent = true;
        validated(&self.client, spec, crate::graph::validate::not_empty("message_id", id.as_str()))
    }

    /// Marks a message read and shows a typing indicator until you reply (or 25 seconds).
    pub fn mark_read_with_typing(&self, message_id: impl Into<MessageId>) -> GraphRequest<Ack> {
        let id = message_id.into();
        let mut spec = self.spec(Method::POST, Some("messages"));
        spec.set_json(&json!({
            "messaging_product": "whatsapp", "status": "read", "message_id": id,
            "typing_indicator": {"type": "text"}
        }));
        spec.idempotent = true;
        validated(&self.client, spec, crate::graph::validate::not_empty("message_id", id.as_str()))
    }

    /// Uploads a media file (`POST /{phone-number-id}/media`), checked against WhatsApp's MIME
    /// types and size limits first.
    pub fn upload_media(&self, upload: MediaUpload) -> GraphRequest<UploadedMedia> {
        let check = upload.validate();
        let spec = self.spec(Method::POST, Some("media"));
        validated::<UploadedMedia>(&self.client, spec, check).multipart(upload.into_form())
    }

    /// Looks up a media id: its download URL (valid 5 minutes), type, size and checksum.
    pub fn media_url(&self, media_id: impl Into<MediaId>) -> GraphRequest<MediaInfo> {
        let mut spec = RequestSpec::node(Method::GET, media_id.into().as_str(), None);
        spec.query.push(("phone_number_id".into(), self.phone_number_id.to_string()));
        request(&self.client, spec)
    }

    /// Downloads the media behind a [`MediaInfo`], with the access token, streamed, bounded
    /// and checked against its SHA-256.
    pub fn download_media(&self, info: &MediaInfo) -> MediaDownload {
        MediaDownload::new(self.client.clone(), info)
    }

    /// Downloads a media URL from a webhook (its `url` field), checking `sha256` if given.
    pub fn download_media_url(&self, url: impl Into<String>, sha256: Option<&str>) -> MediaDownload {
        MediaDownload::from_url(self.client.clone(), url, sha256)
    }

    /// Deletes an uploaded media file.
    pub fn delete_media(&self, media_id: impl Into<MediaId>) -> GraphRequest<Ack> {
        let mut spec = RequestSpec::node(Method::DELETE, media_id.into().as_str(), None);
        spec.query.push(("phone_number_id".into(), self.phone_number_id.to_string()));
        request(&self.client, spec)
    }

    /// The phone number's details: display number, verified name, quality rating, messaging
    /// limit tier, throughput, verification and name status.
    pub fn phone_number(&self) -> GraphRequest<PhoneNumber> {
        let mut spec = self.spec(Method::GET, None);
        spec.query.push(("fields".into(), PHONE_NUMBER_FIELDS.to_owned()));
        request(&self.client, spec)
    }

    /// Requests a verification code by SMS or voice, in a language such as `en_US`.
    pub fn request_code(&self, method: CodeMethod, language: impl Into<String>) -> GraphRequest<Ack> {
        let mut spec = self.spec(Method::POST, Some("request_code"));
        spec.query.push(("code_method".into(), method.into()));
        spec.query.push(("language".into(), language.into()));
        request(&self.client, spec)
    }

    /// Verifies the code received by SMS or voice.
    pub fn verify_code(&self, code: impl Into<String>) -> GraphRequest<Ack> {
        let code = code.into();
        let check = crate::graph::validate::not_empty("code", &code);
        let spec = self.spec(Method::POST, Some("verify_code"));
        validated::<Ack>(&self.client, spec, check).secret_query("code", code)
    }

    /// Registers the number on the Cloud API with its two-step verification PIN (setting it if
    /// none is set).
    pub fn register(&self, pin: &Pin) -> GraphRequest<Ack> {
        self.register_in(pin, None)
    }

    /// Registers the number with Local Storage in a data-localization region (such as `DE`).
    pub fn register_in(&self, pin: &Pin, data_localization_region: Option<&str>) -> GraphRequest<Ack> {
        let mut body = json!({"messaging_product": "whatsapp", "pin": pin.expose()});
        if let Some(region) = data_localization_region {
            body["data_localization_region"] = region.into();
        }
        let mut spec = self.spec(Method::POST, Some("register"));
        spec.set_json(&body);
        request(&self.client, spec)
    }

    /// Deregisters the number from the Cloud API.
    pub fn deregister(&self) -> GraphRequest<Ack> {
        request(&self.client, self.spec(Method::POST, Some("deregister")))
    }

    /// Sets or changes the two-step verification PIN.
    pub fn set_two_step_pin(&self, pin: &Pin) -> GraphRequest<Ack> {
        let mut spec = self.spec(Method::POST, None);
        spec.set_json(&json!({"pin": pin.expose()}));
        request(&self.client, spec)
    }

    /// The business profile (`GET /{phone-number-id}/whatsapp_business_profile`).
    pub fn business_profile(&self) -> GraphRequest<BusinessProfileResponse> {
        let mut spec = self.spec(Method::GET, Some("whatsapp_business_profile"));
        spec.query.push(("fields".into(), BUSINESS_PROFILE_FIELDS.to_owned()));
        request(&self.client, spec)
    }

    /// Updates the business profile; limits are checked first.
    pub fn update_business_profile(&self, update: &BusinessProfileUpdate) -> GraphRequest<Ack> {
        let mut spec = self.spec(Method::POST, Some("whatsapp_business_profile"));
        spec.set_json(update);
        spec.idempotent = true;
        validated(&self.client, spec, update.validate())
    }
}

/// A WhatsApp Business Account. Cheap to clone.
#[derive(Clone, Debug)]
pub struct WhatsAppBusinessAccount {
    client: Client,
    waba_id: WabaId,
}

impl WhatsAppBusinessAccount {
    /// The WABA id.
    pub fn waba_id(&self) -> &WabaId {
        &self.waba_id
    }

    fn spec(&self, method: Method, edge: &str) -> RequestSpec {
        RequestSpec::node(method, self.waba_id.as_str(), Some(edge))
    }

    /// The WABA's message templates, paged; add filters with `.query("status", "APPROVED")`
    /// or `.query("name", ..)`, walk them with `.items()`.
    pub fn templates(&self) -> GraphRequest<Page<MessageTemplate>> {
        let mut spec = self.spec(Method::GET, "message_templates");
        spec.query.push(("fields".into(), TEMPLATE_FIELDS.to_owned()));
        request(&self.client, spec)
    }

    /// The templates with a name (one per language).
    pub fn templates_named(&self, name: impl Into<String>) -> GraphRequest<Page<MessageTemplate>> {
        self.templates().query("name", name.into())
    }

    /// A template by id.
    pub fn template(&self, template_id: impl Into<TemplateId>) -> GraphRequest<MessageTemplate> {
        let mut spec = RequestSpec::node(Method::GET, template_id.into().as_str(), None);
        spec.query.push(("fields".into(), TEMPLATE_FIELDS.to_owned()));
        request(&self.client, spec)
    }

    /// Creates a template (it starts in review).
    pub fn create_template(&self, template: &NewTemplate) -> GraphRequest<CreatedTemplate> {
        let mut spec = self.spec(Method::POST, "message_templates");
        spec.set_json(template);
        validated(&self.client, spec, template.validate())
    }

    /// Edits a template's components and, optionally, its category.
    pub fn edit_template(
        &self,
        template_id: impl Into<TemplateId>,
        components: Vec<serde_json::Value>,
        category: Option<TemplateCategory>,
    ) -> GraphRequest<Ack> {
        let mut body = serde_json::Map::new();
        body.insert("components".to_owned(), components.into());
        if let Some(category) = category {
            body.insert("category".to_owned(), String::from(category).into());
        }
        let mut spec = RequestSpec::node(Method::POST, template_id.into().as_str(), None);
        spec.set_json(&body);
        spec.idempotent = true;
        request(&self.client, spec)
    }

    /// Deletes every language of a template by name.
    pub fn delete_template(&self, name: impl Into<String>) -> GraphRequest<Ack> {
        let mut spec = self.spec(Method::DELETE, "message_templates");
        spec.query.push(("name".into(), name.into()));
        request(&self.client, spec)
    }

    /// Deletes one template (one language) by name and id.
    pub fn delete_template_by_id(
        &self,
        name: impl Into<String>,
        template_id: impl Into<TemplateId>,
    ) -> GraphRequest<Ack> {
        self.delete_template(name).query("hsm_id", template_id.into().into_string())
    }

    /// The WABA's phone numbers, paged.
    pub fn phone_numbers(&self) -> GraphRequest<Page<PhoneNumber>> {
        let mut spec = self.spec(Method::GET, "phone_numbers");
        spec.query.push(("fields".into(), PHONE_NUMBER_FIELDS.to_owned()));
        request(&self.client, spec)
    }

    /// The apps subscribed to the WABA's webhooks.
    pub fn subscribed_apps(&self) -> GraphRequest<Page<SubscribedApp>> {
        request(&self.client, self.spec(Method::GET, "subscribed_apps"))
    }

    /// Subscribes the calling app to the WABA's webhooks (needed after Embedded Signup).
    pub fn subscribe_app(&self) -> GraphRequest<Ack> {
        let mut spec = self.spec(Method::POST, "subscribed_apps");
        spec.idempotent = true;
        request(&self.client, spec)
    }

    /// Subscribes the calling app with a callback URL that overrides the app's for this WABA.
    pub fn subscribe_app_with_callback(
        &self,
        override_callback_uri: impl Into<String>,
        verify_token: &VerifyToken,
    ) -> GraphRequest<Ack> {
        let uri = override_callback_uri.into();
        let check = if uri.starts_with("https://") {
            Ok(())
        } else {
            Err(ValidationError::new(
                "override_callback_uri",
                crate::graph::Violation::Invalid("must be an https url".into()),
            ))
        };
        let mut spec = self.spec(Method::POST, "subscribed_apps");
        spec.set_json(&json!({"override_callback_uri": uri, "verify_token": verify_token.expose_secret()}));
        spec.idempotent = true;
        validated(&self.client, spec, check)
    }

    /// Unsubscribes the calling app from the WABA's webhooks.
    pub fn unsubscribe_app(&self) -> GraphRequest<Ack> {
        request(&self.client, self.spec(Method::DELETE, "subscribed_apps"))
    }
}
