//! Realistic, signed webhook bodies for tests.

use std::fmt::{self, Write as _};

use serde_json::{Value, json};

use crate::Platform;
use crate::webhook::Verifier;

/// Builds a webhook body for one account, event by event, in Meta's shapes.
///
/// Ids and timestamps are deterministic (a counter and a fixed start time you can move with
/// [`at`](Self::at)), so a test can predict them; build the same body twice to test redelivery.
/// The body is escaped like Meta's (`/` as `\/`, non-ASCII as `\uXXXX`), so a receiver that
/// re-serializes JSON before checking the signature fails, as it would in production.
///
/// ```
/// use meta_messaging::testing::WebhookBuilder;
/// use meta_messaging::webhook::Verifier;
///
/// let signed = WebhookBuilder::whatsapp("106540352242922")
///     .text("16505551234", "Hi! Is my order on its way?")
///     .status_delivered("wamid.HBgLMTY1MDU1NTEyMzQVAgARGBI5QTNDQTVCM0Q0Q0Q2RTY3RTcA", "16505551234")
///     .sign("app-secret");
///
/// let webhook = Verifier::new("app-secret").verify_and_parse(&signed.body, &signed.signature)?;
/// let kinds: Vec<String> = webhook.events().map(|e| e.kind().to_string()).collect();
/// assert_eq!(kinds, ["whatsapp.message.text", "whatsapp.status.delivered"]);
/// # Ok::<(), meta_messaging::webhook::WebhookError>(())
/// ```
#[derive(Clone, Debug)]
#[must_use]
pub struct WebhookBuilder {
    platform: Platform,
    account: String,
    waba: String,
    display_phone_number: String,
    time: u64,
    counter: u64,
    messages: Vec<Value>,
    contacts: Vec<Value>,
    statuses: Vec<Value>,
    messaging: Vec<Value>,
}

/// A webhook body and its `X-Hub-Signature-256` header value.
#[derive(Clone)]
#[non_exhaustive]
pub struct SignedWebhook {
    /// The body, byte for byte as it must be sent.
    pub body: Vec<u8>,
    /// The `X-Hub-Signature-256` header value (`sha256=<hex>`).
    pub signature: String,
}

impl fmt::Debug for SignedWebhook {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SignedWebhook")
            .field("body", &String::from_utf8_lossy(&self.body))
            .field("signature", &self.signature)
            .finish()
    }
}

impl SignedWebhook {
    /// Posts the body to `url` with Meta's headers on a client of its own, and returns the
    /// status code.
    ///
    /// # Errors
    ///
    /// The transport error, if the request could not be made.
    pub async fn post_to(&self, url: &str) -> Result<u16, reqwest::Error> {
        Ok(self.post(&super::http_client(), url).await?.status().as_u16())
    }

    /// Posts the body to `url` with Meta's headers.
    ///
    /// # Errors
    ///
    /// The transport error, if the request could not be made.
    /// `http` is a client of the `reqwest` this crate uses, re-exported as
    /// [`testing::reqwest`](crate::testing::reqwest); [`post_to`](Self::post_to) needs none.
    pub async fn post(&self, http: &reqwest::Client, url: &str) -> Result<reqwest::Response, reqwest::Error> {
        http.post(url)
            .header("content-type", "application/json")
            .header("x-hub-signature-256", &self.signature)
            .header("user-agent", "facebookexternalua")
            .body(self.body.clone())
            .send()
            .await
    }
}

/// The default time of the first event: now, so a bot's first reply in a test is inside the
/// 24-hour window ([`at`](WebhookBuilder::at) sets a fixed time for reproducible bodies).
fn default_time() -> u64 {
    u64::try_from(crate::Timestamp::now().unix_seconds()).unwrap_or(0)
}

impl WebhookBuilder {
    fn new(platform: Platform, account: impl Into<String>) -> Self {
        Self {
            platform,
            account: account.into(),
            waba: "102290129340398".to_owned(),
            display_phone_number: "15550783881".to_owned(),
            time: default_time(),
            counter: 0,
            messages: Vec::new(),
            contacts: Vec::new(),
            statuses: Vec::new(),
            messaging: Vec::new(),
        }
    }

    /// A WhatsApp `messages` change for the phone number `phone_number_id`.
    pub fn whatsapp(phone_number_id: impl Into<String>) -> Self {
        Self::new(Platform::WhatsApp, phone_number_id)
    }

    /// A Messenger `page` webhook for the Page `page_id`.
    pub fn messenger(page_id: impl Into<String>) -> Self {
        Self::new(Platform::Messenger, page_id)
    }

    /// An Instagram webhook for the professional account `account_id`.
    pub fn instagram(account_id: impl Into<String>) -> Self {
        Self::new(Platform::Instagram, account_id)
    }

    /// Sets the Unix time (seconds) of the next event; later events are one second apart. By
    /// default the first event is stamped with the current time.
    pub fn at(mut self, unix_seconds: u64) -> Self {
        self.time = unix_seconds;
        self
    }

    /// Sets the WhatsApp Business Account id of the entry (the event's
    /// [`account`](crate::webhook::Event::account), the tenant of inbox items); a fixed sample
    /// id by default.
    pub fn waba(mut self, id: impl Into<String>) -> Self {
        self.waba = id.into();
        self
    }

    /// Sets the business number shown in WhatsApp metadata.
    pub fn display_phone_number(mut self, number: impl Into<String>) -> Self {
        self.display_phone_number = number.into();
        self
    }

    fn next(&mut self) -> (u64, u64) {
        self.counter += 1;
        let time = self.time;
        self.time += 1;
        (self.counter, time)
    }

    /// A fingerprint of where an event comes from, so builders for other accounts or senders
    /// never produce the same ids (FNV-1a; deterministic across runs).
    fn fingerprint(&self, sender: &str, counter: u64) -> u64 {
        let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
        let parts =
            [self.account.as_bytes(), sender.as_bytes(), &counter.to_le_bytes(), &self.time.to_le_bytes()];
        for byte in parts.into_iter().flatten() {
            hash = (hash ^ u64::from(*byte)).wrapping_mul(0x0100_0000_01b3);
        }
        hash
    }

    fn wamid(&self, sender: &str, counter: u64) -> String {
        format!(
            "wamid.HBgLMTY1MDU1NTEyMzQVAgASGBQz{:016X}{counter:04X}AA==",
            self.fingerprint(sender, counter)
        )
    }

    fn mid(&self, sender: &str, counter: u64) -> String {
        let prefix =
            if self.platform == Platform::Instagram { "aWdfZAG1faXRlbToxOklHTWVzc2FnZAUlE" } else { "m_" };
        format!("{prefix}{:016x}{counter:04}", self.fingerprint(sender, counter))
    }

    fn whatsapp_message(mut self, from: &str, kind: &str, content: Value) -> Self {
        let (counter, time) = self.next();
        let mut message = json!({"from": from, "id": self.wamid(from, counter), "timestamp": time.to_string(), "type": kind});
        message[kind] = content;
        if !self.contacts.iter().any(|c| c["wa_id"] == from) {
            self.contacts.push(json!({"profile": {"name": format!("Customer {from}")}, "wa_id": from}));
        }
        self.messages.push(message);
        self
    }

    /// Adds a Messenger/Instagram `messaging` event from `sender`; `event` builds its body from
    /// the message id the event gets.
    fn messaging_event(mut self, sender: &str, event: impl FnOnce(String) -> Value) -> Self {
        let (counter, time) = self.next();
        let event = event(self.mid(sender, counter));
        let mut entry =
            json!({"sender": {"id": sender}, "recipient": {"id": self.account}, "timestamp": time * 1000});
        if let (Value::Object(target), Value::Object(source)) = (&mut entry, event) {
            target.extend(source);
        }
        self.messaging.push(entry);
        self
    }

    /// A WhatsApp text message from a user who adopted a username and withholds their phone
    /// number: `from_user_id` (the business-scoped id `user_id`) and a contact with `user_id`
    /// and `profile.username`, no phone anywhere, as Meta's business-scoped user ids page shows.
    ///
    /// # Panics
    ///
    /// On a Messenger or Instagram builder (usernames are WhatsApp's).
    pub fn username_text(mut self, user_id: &str, username: &str, text: &str) -> Self {
        assert_eq!(self.platform, Platform::WhatsApp, "usernames are a WhatsApp feature");
        let (counter, time) = self.next();
        let message = json!({"from_user_id": user_id, "id": self.wamid(user_id, counter),
            "timestamp": time.to_string(), "type": "text", "text": {"body": text}});
        if !self.contacts.iter().any(|c| c["user_id"] == user_id) {
            self.contacts
                .push(json!({"profile": {"name": username, "username": username}, "user_id": user_id}));
        }
        self.messages.push(message);
        self
    }

    /// A text message from `sender` (a WhatsApp number, PSID or IGSID).
    pub fn text(self, sender: &str, text: &str) -> Self {
        match self.platform {
            Platform::WhatsApp => self.whatsapp_message(sender, "text", json!({"body": text})),
            _ => self.messaging_event(sender, |mid| json!({"message": {"mid": mid, "text": text}})),
        }
    }

    /// An image from `sender`: a media id on WhatsApp, a CDN URL on Messenger and Instagram.
    pub fn image(self, sender: &str, media: &str) -> Self {
        match self.platform {
            Platform::WhatsApp => self.whatsapp_message(
                sender,
                "image",
                json!({"id": media, "mime_type": "image/jpeg", "sha256": "Vm9UaGlzSXNBRmFrZVNoYTI1NkRpZ2VzdA=="}),
            ),
            _ => {
                self.messaging_event(sender, |mid| json!({"message": {"mid": mid, "attachments": [{"type": "image", "payload": {"url": media}}]}}),
                )
            }
        }
    }

    /// A quick-reply or button tap from `sender` carrying `payload` (WhatsApp interactive
    /// button reply, Messenger/Instagram postback).
    pub fn button(self, sender: &str, payload: &str, title: &str) -> Self {
        match self.platform {
            Platform::WhatsApp => self.whatsapp_message(
                sender,
                "interactive",
                json!({"type": "button_reply", "button_reply": {"id": payload, "title": title}}),
            ),
            _ => self.messaging_event(
                sender,
                |mid| json!({"postback": {"mid": mid, "title": title, "payload": payload}}),
            ),
        }
    }

    /// A `delivered` status of a WhatsApp message (ignored on other platforms).
    pub fn status_delivered(self, message_id: &str, recipient: &str) -> Self {
        self.status(message_id, recipient, "delivered")
    }

    /// A status (`sent`, `delivered`, `read`) of a WhatsApp message; on Messenger and Instagram
    /// a `read` watermark event from `recipient`.
    pub fn status(mut self, message_id: &str, recipient: &str, status: &str) -> Self {
        if self.platform == Platform::WhatsApp {
            let (_, time) = self.next();
            self.statuses.push(json!({
                    "id": message_id, "status": status, "timestamp": time.to_string(), "recipient_id": recipient,
                    "conversation": {"id": "CONVERSATION_ID_FAKE_0001", "origin": {"type": "service"}},
                    "pricing": {"billable": false, "pricing_model": "PMP", "category": "service", "type": "free_customer_service"}
                }));
            self
        } else {
            let watermark = self.time * 1000;
            self.messaging_event(recipient, |_| json!({"read": {"mid": message_id, "watermark": watermark}}))
        }
    }

    /// The body as JSON.
    pub fn build_json(&self) -> Value {
        if self.platform == Platform::WhatsApp {
            let mut value = json!({
                "messaging_product": "whatsapp",
                "metadata": {"display_phone_number": self.display_phone_number, "phone_number_id": self.account},
            });
            if !self.messages.is_empty() {
                value["contacts"] = Value::Array(self.contacts.clone());
                value["messages"] = Value::Array(self.messages.clone());
            }
            if !self.statuses.is_empty() {
                value["statuses"] = Value::Array(self.statuses.clone());
            }
            json!({"object": "whatsapp_business_account", "entry": [{
                    "id": self.waba, "changes": [{"value": value, "field": "messages"}]}]})
        } else {
            let object = if self.platform == Platform::Messenger { "page" } else { "instagram" };
            json!({"object": object, "entry": [{"id": self.account, "time": self.time * 1000, "messaging": self.messaging}]})
        }
    }

    /// The body, escaped the way Meta escapes it.
    pub fn build(&self) -> Vec<u8> {
        let compact = self.build_json().to_string();
        let mut escaped = String::with_capacity(compact.len() + 16);
        for c in compact.chars() {
            match c {
                // `/` only occurs inside JSON strings, so escaping every one keeps the JSON valid.
                '/' => escaped.push_str("\\/"),
                c if c.is_ascii() => escaped.push(c),
                c => {
                    let mut units = [0u16; 2];
                    for unit in c.encode_utf16(&mut units) {
                        // Writing to a String cannot fail.
                        let _ = write!(escaped, "\\u{unit:04x}");
                    }
                }
            }
        }
        escaped.into_bytes()
    }

    /// The body and its signature with `app_secret`.
    pub fn sign(&self, app_secret: &str) -> SignedWebhook {
        let body = self.build();
        let signature = Verifier::new(app_secret).sign(&body);
        SignedWebhook { body, signature }
    }
}
