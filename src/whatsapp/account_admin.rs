//! Account management of 2026: display-name changes, the Official Business Account request,
//! in-app signups and the welcome message sequences of click-to-WhatsApp ads, per Meta's
//! "Display names", "Official business accounts", "In-app signup" and "Welcome message
//! sequences" pages, and the WABA's onboarding to the Marketing Messages API (Meta's
//! "Marketing Messages API for WhatsApp: onboarding" page).

use reqwest::Method;
use serde::{Deserialize, Serialize};
use serde_json::json;

use super::{WhatsApp, WhatsAppBusinessAccount, request};
use crate::graph::serde_util::{null_as_default, opt_string_or_integer, string_enum};
use crate::graph::validate::{max_chars, max_items, not_empty};
use crate::graph::{Ack, GraphRequest, Page, RequestSpec, ValidationError, Violation};

fn https(field: &'static str, url: &str) -> Result<(), ValidationError> {
    if url.starts_with("https://") {
        Ok(())
    } else {
        Err(ValidationError::new(field, Violation::Invalid("an https url".into())))
    }
}

/// The request for the blue check (`POST /{phone-number-id}/official_business_account`).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct ObaRequest {
    /// The business's website.
    pub business_website_url: String,
    /// Its main country (`United States of America`).
    pub primary_country_of_operation: String,
    /// Its main language (`English`).
    pub primary_language: String,
    /// Up to 5 articles or pages about the business.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub supporting_links: Vec<String>,
    /// The brand it belongs to.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub parent_business_or_brand: Option<String>,
    /// Anything else for the review.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub additional_supporting_information: Option<String>,
}

impl ObaRequest {
    /// A request with the three required fields.
    pub fn new(website: impl Into<String>, country: impl Into<String>, language: impl Into<String>) -> Self {
        Self {
            business_website_url: website.into(),
            primary_country_of_operation: country.into(),
            primary_language: language.into(),
            ..Self::default()
        }
    }

    /// A supporting link (up to 5).
    #[must_use]
    pub fn link(mut self, url: impl Into<String>) -> Self {
        self.supporting_links.push(url.into());
        self
    }

    fn validate(&self) -> Result<(), ValidationError> {
        https("business_website_url", &self.business_website_url)?;
        not_empty("primary_country_of_operation", &self.primary_country_of_operation)?;
        not_empty("primary_language", &self.primary_language)?;
        max_items("supporting_links", self.supporting_links.len(), 5)
    }
}

/// Where the Official Business Account request is.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(default)]
#[non_exhaustive]
pub struct ObaStatus {
    /// `NOT_STARTED`, then Meta's review states.
    pub oba_status: Option<String>,
}

#[derive(Deserialize)]
struct ObaAnswer {
    #[serde(default)]
    official_business_account: ObaStatus,
}

impl<'de> Deserialize<'de> for OfficialBusinessAccount {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        ObaAnswer::deserialize(d).map(|a| Self(a.official_business_account))
    }
}

string_enum! {
    /// Where a WABA stands with the Marketing Messages API.
    pub enum MarketingOnboardingStatus {
        /// The WABA can onboard (accept the terms in WhatsApp Manager or Embedded Signup).
        Eligible = "ELIGIBLE",
        /// Onboarded: marketing sends go through the API.
        Onboarded = "ONBOARDED",
        /// A partner's WABA on behalf of another business: not eligible.
        IneligibleOnBehalfOfWaba = "INELIGIBLE_ON_BEHALF_OF_WABA",
        /// Inactive or restricted.
        IneligibleInactiveOrRestricted = "INELIGIBLE_INACTIVE_OR_RESTRICTED",
        /// The business's country is not supported yet.
        IneligibleCountryNotSupported = "INELIGIBLE_COUNTRY_NOT_SUPPORTED",
        /// The number is used in the WhatsApp Business app.
        IneligibleUsingWhatsAppBusinessApp = "INELIGIBLE_USING_WHATSAPP_BUSINESS_APP",
        /// Waiting for a valid payment method.
        PendingValidPaymentMethod = "PENDING_VALID_PAYMENT_METHOD",
        /// Waiting for Meta's setup.
        PendingInternalSetup = "PENDING_INTERNAL_SETUP",
    }
}

/// The answer of [`WhatsAppBusinessAccount::marketing_messages_onboarding_status`].
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(default)]
#[non_exhaustive]
pub struct MarketingOnboarding {
    /// The WABA's status.
    pub marketing_messages_onboarding_status: Option<MarketingOnboardingStatus>,
    /// The WABA id.
    #[serde(deserialize_with = "opt_string_or_integer")]
    pub id: Option<String>,
}

impl MarketingOnboarding {
    /// Whether marketing sends may use the Marketing Messages API.
    pub fn is_onboarded(&self) -> bool {
        self.marketing_messages_onboarding_status == Some(MarketingOnboardingStatus::Onboarded)
    }
}

/// The answer of [`WhatsApp::official_business_account`].
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct OfficialBusinessAccount(pub ObaStatus);

impl WhatsApp {
    /// Asks for a new display name (`POST /{phone-number-id}?new_display_name=`); Meta reviews
    /// it (`new_name_status` on [`phone_number`](Self::phone_number), then the
    /// `phone_number_name_update` webhook).
    pub fn request_display_name(&self, name: impl Into<String>) -> GraphRequest<Ack> {
        let name = name.into();
        let mut spec = self.spec(Method::POST, None);
        if let Err(invalid) = not_empty("new_display_name", &name) {
            spec.fail(invalid.into());
        }
        spec.query.push(("new_display_name".into(), name));
        request(&self.client, spec)
    }

    /// Asks for the Official Business Account (the blue check); `success` only means the
    /// request was submitted.
    pub fn request_official_business_account(&self, oba: &ObaRequest) -> GraphRequest<Ack> {
        let mut spec = self.spec(Method::POST, Some("official_business_account"));
        if let Err(invalid) = oba.validate() {
            spec.fail(invalid.into());
        }
        spec.set_json(oba);
        request(&self.client, spec)
    }

    /// Where the Official Business Account request is.
    pub fn official_business_account(&self) -> GraphRequest<OfficialBusinessAccount> {
        let mut spec = self.spec(Method::GET, None);
        spec.query.push(("fields".into(), "official_business_account".to_owned()));
        request(&self.client, spec)
    }
}

/// An in-app signup: users join the business's marketing list from WhatsApp
/// (`wa.me/<phone>/signup/<id>`).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
#[non_exhaustive]
pub struct Signup {
    /// Its id (answers only).
    #[serde(skip_serializing, deserialize_with = "opt_string_or_integer")]
    pub id: Option<String>,
    /// What the user is asked.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub signup_message: Option<String>,
    /// What the user is told after joining; may hold `{{promo_code}}`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub confirmation_message: Option<String>,
    /// The privacy policy (set once).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub privacy_policy_url: Option<String>,
    /// The business's website.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub website_url: Option<String>,
    /// The promo code given on joining.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub promo_code: Option<String>,
    /// The name shown.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub display_name: Option<String>,
    /// `ACTIVE` or `DISABLED`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<String>,
}

impl Signup {
    /// A signup with nothing set (set what you need, or only what changes for an update).
    pub fn new() -> Self {
        Self::default()
    }

    /// Turns a signup off (an update).
    pub fn disabled() -> Self {
        Self { status: Some("DISABLED".to_owned()), ..Self::default() }
    }

    /// What the user is asked.
    #[must_use]
    pub fn signup_message(mut self, text: impl Into<String>) -> Self {
        self.signup_message = Some(text.into());
        self
    }

    /// What the user is told after joining (may hold `{{promo_code}}`).
    #[must_use]
    pub fn confirmation_message(mut self, text: impl Into<String>) -> Self {
        self.confirmation_message = Some(text.into());
        self
    }

    /// The privacy policy (`https`; set once).
    #[must_use]
    pub fn privacy_policy_url(mut self, url: impl Into<String>) -> Self {
        self.privacy_policy_url = Some(url.into());
        self
    }

    /// The website (`https`).
    #[must_use]
    pub fn website_url(mut self, url: impl Into<String>) -> Self {
        self.website_url = Some(url.into());
        self
    }

    /// The promo code given on joining.
    #[must_use]
    pub fn promo_code(mut self, code: impl Into<String>) -> Self {
        self.promo_code = Some(code.into());
        self
    }

    /// The name shown.
    #[must_use]
    pub fn display_name(mut self, name: impl Into<String>) -> Self {
        self.display_name = Some(name.into());
        self
    }

    fn validate(&self) -> Result<(), ValidationError> {
        for (field, url) in
            [("privacy_policy_url", &self.privacy_policy_url), ("website_url", &self.website_url)]
        {
            if let Some(url) = url {
                https(field, url)?;
            }
        }
        let placeholder = self.confirmation_message.as_deref().is_some_and(|m| m.contains("{{promo_code}}"));
        if placeholder && self.promo_code.is_none() {
            return Err(ValidationError::new("promo_code", Violation::Missing));
        }
        Ok(())
    }
}

/// The id of a created signup or sequence.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(default)]
#[non_exhaustive]
pub struct CreatedId {
    /// The new id (`id`, or `sequence_id` for welcome sequences).
    #[serde(alias = "sequence_id", deserialize_with = "opt_string_or_integer")]
    pub id: Option<String>,
}

/// A welcome message sequence of click-to-WhatsApp ads: the first message, a prefilled reply
/// and up to 3 ice breakers.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
#[non_exhaustive]
pub struct WelcomeSequence {
    /// The welcome text.
    pub text: Option<String>,
    /// `{"content": "..."}`: the message the user's box is prefilled with.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub autofill_message: Option<serde_json::Value>,
    /// `[{"title": "..."}]`.
    #[serde(skip_serializing_if = "Vec::is_empty", deserialize_with = "null_as_default")]
    pub ice_breakers: Vec<serde_json::Value>,
}

impl WelcomeSequence {
    /// A sequence opening with `text`.
    pub fn new(text: impl Into<String>) -> Self {
        Self { text: Some(text.into()), ..Self::default() }
    }

    /// The message the user's box is prefilled with.
    #[must_use]
    pub fn autofill(mut self, content: impl Into<String>) -> Self {
        self.autofill_message = Some(json!({ "content": content.into() }));
        self
    }

    /// An ice breaker (up to 3).
    #[must_use]
    pub fn ice_breaker(mut self, title: impl Into<String>) -> Self {
        self.ice_breakers.push(json!({ "title": title.into() }));
        self
    }
}

/// A stored welcome message sequence.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(default)]
#[non_exhaustive]
pub struct StoredSequence {
    /// Its id.
    #[serde(deserialize_with = "opt_string_or_integer")]
    pub sequence_id: Option<String>,
    /// Its name.
    pub name: Option<String>,
    /// Its content, as Meta keeps it (a JSON string or object).
    pub welcome_message_sequence: Option<serde_json::Value>,
    /// Whether an ad uses it (then it cannot be deleted).
    pub is_used_in_ad: Option<bool>,
}

impl WhatsAppBusinessAccount {
    /// Creates an in-app signup (`POST /{waba-id}/signups`); the first one accepts Meta's
    /// terms (`policy`).
    pub fn create_signup(&self, signup: &Signup, accept_terms: bool) -> GraphRequest<CreatedId> {
        let mut spec = self.spec(Method::POST, "signups");
        let mut body = serde_json::to_value(signup).unwrap_or_default();
        if accept_terms {
            body["policy"] = json!({"tos": "https://www.facebook.com/legal/ads-manager-marketing-messages-terms", "accepted": true});
        }
        if let Err(invalid) = signup.validate() {
            spec.fail(invalid.into());
        }
        spec.set_json(&body);
        request(&self.client, spec)
    }

    /// The WABA's signups, paged.
    pub fn signups(&self) -> GraphRequest<Page<Signup>> {
        request(&self.client, self.spec(Method::GET, "signups"))
    }

    /// One signup (`GET /signups/{id}`).
    pub fn signup(&self, signup_id: &str) -> GraphRequest<Signup> {
        request(&self.client, signup_spec(Method::GET, signup_id))
    }

    /// Changes a signup (its privacy policy cannot change); `status: DISABLED` turns it off.
    pub fn update_signup(&self, signup_id: &str, changes: &Signup) -> GraphRequest<Ack> {
        let mut spec = signup_spec(Method::POST, signup_id);
        if let Err(invalid) = changes.validate() {
            spec.fail(invalid.into());
        }
        spec.set_json(changes);
        request(&self.client, spec)
    }

    /// Creates a welcome message sequence (`POST /{waba-id}/welcome_message_sequences`).
    pub fn create_welcome_sequence(
        &self,
        name: impl Into<String>,
        sequence: &WelcomeSequence,
    ) -> GraphRequest<CreatedId> {
        let name = name.into();
        let mut spec = self.spec(Method::POST, "welcome_message_sequences");
        let check = not_empty("name", &name)
            .and_then(|()| {
                sequence.text.as_deref().map_or(Err(ValidationError::new("text", Violation::Missing)), |t| {
                    max_chars("text", t, 1024)
                })
            })
            .and_then(|()| max_items("ice_breakers", sequence.ice_breakers.len(), 3));
        if let Err(invalid) = check {
            spec.fail(invalid.into());
        }
        let content = serde_json::to_string(sequence).unwrap_or_default();
        spec.set_json(&json!({"name": name, "welcome_message_sequence": content}));
        request(&self.client, spec)
    }

    /// The WABA's welcome message sequences.
    pub fn welcome_sequences(&self) -> GraphRequest<Page<StoredSequence>> {
        request(&self.client, self.spec(Method::GET, "welcome_message_sequences"))
    }

    /// Where the WABA stands with the Marketing Messages API
    /// (`GET /{waba-id}?fields=marketing_messages_onboarding_status`): read it before routing
    /// marketing sends through [`send_marketing`](super::WhatsApp::send_marketing).
    pub fn marketing_messages_onboarding_status(&self) -> GraphRequest<MarketingOnboarding> {
        let mut spec = RequestSpec::node(Method::GET, self.waba_id.as_str(), None);
        spec.query.push(("fields".into(), "marketing_messages_onboarding_status".to_owned()));
        request(&self.client, spec)
    }

    /// Deletes a sequence no active ad uses (error 4027012 otherwise).
    pub fn delete_welcome_sequence(&self, sequence_id: &str) -> GraphRequest<Ack> {
        let mut spec = self.spec(Method::DELETE, "welcome_message_sequences");
        spec.query.push(("sequence_id".into(), sequence_id.to_owned()));
        request(&self.client, spec)
    }
}

fn signup_spec(method: Method, signup_id: &str) -> RequestSpec {
    let mut spec = RequestSpec::new(method, crate::graph::Host::Facebook, "signups");
    spec.push_segment("signup_id", signup_id);
    spec
}
