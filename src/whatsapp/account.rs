//! Phone numbers, registration, business profiles and WABA subscriptions: the models.
//!
//! Per the WhatsApp Business Management API references for
//! [phone numbers](https://developers.facebook.com/docs/whatsapp/business-management-api/manage-phone-numbers)
//! and [business profiles](https://developers.facebook.com/docs/whatsapp/cloud-api/reference/business-profiles)
//! (Graph API v25.0).

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize};

use super::PhoneNumberId;
use super::template::QualityRating;
use crate::Timestamp;
use crate::graph::serde_util::{opt_string_or_integer, string_enum};
use crate::graph::validate::{max_chars, max_items};
use crate::graph::{ValidationError, Violation};

/// The fields read by [`WhatsApp::phone_number`](super::WhatsApp::phone_number) and
/// [`WhatsAppBusinessAccount::phone_numbers`](super::WhatsAppBusinessAccount::phone_numbers).
pub const PHONE_NUMBER_FIELDS: &str = "id,display_phone_number,verified_name,quality_rating,\
whatsapp_business_manager_messaging_limit,messaging_limit_tier,\
throughput,code_verification_status,name_status,new_name_status,platform_type,status,account_mode,\
is_official_business_account,is_pin_enabled,last_onboarded_time";

string_enum! {
    /// The daily messaging limit tier (unique users per rolling 24 hours).
    pub enum MessagingLimitTier {
        /// 50 (unverified businesses).
        Tier50 = "TIER_50",
        /// 250.
        Tier250 = "TIER_250",
        /// 1,000 (legacy).
        Tier1K = "TIER_1K",
        /// 2,000.
        Tier2K = "TIER_2K",
        /// 10,000.
        Tier10K = "TIER_10K",
        /// 100,000.
        Tier100K = "TIER_100K",
        /// Unlimited.
        Unlimited = "TIER_UNLIMITED",
        /// Not set.
        NotSet = "TIER_NOT_SET",
    }
}

string_enum! {
    /// A phone number's throughput level.
    pub enum ThroughputLevel {
        /// 80 messages per second.
        Standard = "STANDARD",
        /// Up to 1,000 messages per second.
        High = "HIGH",
        /// Not applicable.
        NotApplicable = "NOT_APPLICABLE",
    }
}

string_enum! {
    /// Whether the number's ownership was verified by code.
    pub enum CodeVerificationStatus {
        /// Verified.
        Verified = "VERIFIED",
        /// Not verified.
        NotVerified = "NOT_VERIFIED",
        /// Verification expired.
        Expired = "EXPIRED",
    }
}

/// A business phone number.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[non_exhaustive]
pub struct PhoneNumber {
    /// Phone-number id.
    pub id: PhoneNumberId,
    /// The number as displayed.
    #[serde(default)]
    pub display_phone_number: Option<String>,
    /// The approved display name.
    #[serde(default)]
    pub verified_name: Option<String>,
    /// Quality rating.
    #[serde(default)]
    pub quality_rating: Option<QualityRating>,
    /// The messaging limit (`whatsapp_business_manager_messaging_limit`, which replaced
    /// `messaging_limit_tier`); see [`messaging_limit`](Self::messaging_limit).
    #[serde(default)]
    pub whatsapp_business_manager_messaging_limit: Option<MessagingLimitTier>,
    /// The deprecated messaging limit field (Meta now returns null for it).
    #[serde(default)]
    pub messaging_limit_tier: Option<MessagingLimitTier>,
    /// Throughput.
    #[serde(default)]
    pub throughput: Option<Throughput>,
    /// Code verification status.
    #[serde(default)]
    pub code_verification_status: Option<CodeVerificationStatus>,
    /// Display-name review status.
    #[serde(default)]
    pub name_status: Option<String>,
    /// Review status of a requested new name.
    #[serde(default)]
    pub new_name_status: Option<String>,
    /// `CLOUD_API`, `ON_PREMISE`, `NOT_APPLICABLE`.
    #[serde(default)]
    pub platform_type: Option<String>,
    /// `CONNECTED`, `DISCONNECTED`, `PENDING`, ...
    #[serde(default)]
    pub status: Option<String>,
    /// `SANDBOX` or `LIVE`.
    #[serde(default)]
    pub account_mode: Option<String>,
    /// Official business account (green badge).
    #[serde(default)]
    pub is_official_business_account: Option<bool>,
    /// Two-step verification on.
    #[serde(default)]
    pub is_pin_enabled: Option<bool>,
    /// When the number was last onboarded.
    #[serde(default, deserialize_with = "lenient_time")]
    pub last_onboarded_time: Option<Timestamp>,
}

impl PhoneNumber {
    /// The messaging limit: the current field, or the deprecated one when only it is set.
    pub fn messaging_limit(&self) -> Option<&MessagingLimitTier> {
        self.whatsapp_business_manager_messaging_limit.as_ref().or(self.messaging_limit_tier.as_ref())
    }
}

/// Meta sends `last_onboarded_time` as an ISO-8601 string on some versions; anything that is
/// not a Unix timestamp is dropped rather than failing the whole object.
fn lenient_time<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Timestamp>, D::Error> {
    let value = Option::<serde_json::Value>::deserialize(d)?;
    Ok(value.and_then(|v| Timestamp::deserialize(v).ok()))
}

/// A phone number's throughput.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[non_exhaustive]
pub struct Throughput {
    /// The level.
    #[serde(default)]
    pub level: Option<ThroughputLevel>,
}

string_enum! {
    /// How to receive a verification code.
    pub enum CodeMethod {
        /// By SMS.
        Sms = "SMS",
        /// By voice call.
        Voice = "VOICE",
    }
}

/// A two-step verification PIN: exactly six digits. Never printed.
#[derive(Clone)]
pub struct Pin(String);

impl Pin {
    /// A PIN.
    ///
    /// # Errors
    ///
    /// When it is not exactly six ASCII digits.
    pub fn new(pin: impl Into<String>) -> Result<Self, ValidationError> {
        let pin = pin.into();
        if pin.len() == 6 && pin.bytes().all(|b| b.is_ascii_digit()) {
            Ok(Self(pin))
        } else {
            Err(ValidationError::new("pin", Violation::Invalid("must be exactly six digits".into())))
        }
    }

    pub(crate) fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Pin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Pin([REDACTED])")
    }
}

string_enum! {
    /// The industry of a business profile.
    pub enum Vertical {
        /// Not set.
        Undefined = "UNDEFINED",
        /// Other.
        Other = "OTHER",
        /// Automotive.
        Auto = "AUTO",
        /// Beauty, spa and salon.
        Beauty = "BEAUTY",
        /// Clothing and apparel.
        Apparel = "APPAREL",
        /// Education.
        Edu = "EDU",
        /// Entertainment.
        Entertain = "ENTERTAIN",
        /// Event planning and service.
        EventPlan = "EVENT_PLAN",
        /// Finance and banking.
        Finance = "FINANCE",
        /// Food and grocery.
        Grocery = "GROCERY",
        /// Public service.
        Govt = "GOVT",
        /// Hotel and lodging.
        Hotel = "HOTEL",
        /// Medical and health.
        Health = "HEALTH",
        /// Non-profit.
        Nonprofit = "NONPROFIT",
        /// Professional services.
        ProfServices = "PROF_SERVICES",
        /// Shopping and retail.
        Retail = "RETAIL",
        /// Travel and transportation.
        Travel = "TRAVEL",
        /// Restaurant.
        Restaurant = "RESTAURANT",
        /// Not a business.
        NotABiz = "NOT_A_BIZ",
    }
}

/// The fields read by [`WhatsApp::business_profile`](super::WhatsApp::business_profile).
pub const BUSINESS_PROFILE_FIELDS: &str =
    "about,address,description,email,profile_picture_url,websites,vertical";

/// A phone number's business profile.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(default)]
#[non_exhaustive]
pub struct BusinessProfile {
    /// The "about" text.
    pub about: Option<String>,
    /// Address.
    pub address: Option<String>,
    /// Description.
    pub description: Option<String>,
    /// Contact email.
    pub email: Option<String>,
    /// Profile picture URL.
    pub profile_picture_url: Option<String>,
    /// Websites.
    pub websites: Vec<String>,
    /// Industry.
    pub vertical: Option<Vertical>,
}

/// The answer of `GET /{phone-number-id}/whatsapp_business_profile`: `{"data": [profile]}`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(default)]
#[non_exhaustive]
pub struct BusinessProfileResponse {
    /// The profiles (one per phone number).
    pub data: Vec<BusinessProfile>,
}

impl BusinessProfileResponse {
    /// The profile.
    pub fn profile(&self) -> Option<&BusinessProfile> {
        self.data.first()
    }

    /// The profile, owned.
    pub fn into_profile(self) -> Option<BusinessProfile> {
        self.data.into_iter().next()
    }
}

/// Changes to a business profile; unset fields stay as they are.
///
/// ```
/// use meta_messaging::whatsapp::account::{BusinessProfileUpdate, Vertical};
///
/// let update = BusinessProfileUpdate::new()
///     .about("Open 9–17, Mon–Fri")
///     .websites(["https://example.com"])
///     .vertical(Vertical::Retail);
/// assert!(update.validate().is_ok());
/// ```
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
#[must_use]
pub struct BusinessProfileUpdate {
    messaging_product: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    about: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    address: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    description: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    email: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    websites: Option<Vec<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    vertical: Option<Vertical>,
    #[serde(skip_serializing_if = "Option::is_none")]
    profile_picture_handle: Option<String>,
}

impl BusinessProfileUpdate {
    /// No changes yet.
    pub fn new() -> Self {
        Self { messaging_product: "whatsapp", ..Self::default() }
    }

    /// The "about" text (≤ 139 characters).
    pub fn about(mut self, about: impl Into<String>) -> Self {
        self.about = Some(about.into());
        self
    }

    /// The address (≤ 256 characters).
    pub fn address(mut self, address: impl Into<String>) -> Self {
        self.address = Some(address.into());
        self
    }

    /// The description (≤ 512 characters).
    pub fn description(mut self, description: impl Into<String>) -> Self {
        self.description = Some(description.into());
        self
    }

    /// The contact email (≤ 128 characters).
    pub fn email(mut self, email: impl Into<String>) -> Self {
        self.email = Some(email.into());
        self
    }

    /// Up to two websites.
    pub fn websites(mut self, websites: impl IntoIterator<Item = impl Into<String>>) -> Self {
        self.websites = Some(websites.into_iter().map(Into::into).collect());
        self
    }

    /// The industry.
    pub fn vertical(mut self, vertical: Vertical) -> Self {
        self.vertical = Some(vertical);
        self
    }

    /// A profile picture, as a handle from a resumable upload.
    pub fn profile_picture_handle(mut self, handle: impl Into<String>) -> Self {
        self.profile_picture_handle = Some(handle.into());
        self
    }

    /// Checks Meta's documented lengths.
    ///
    /// # Errors
    ///
    /// The first broken limit.
    pub fn validate(&self) -> Result<(), ValidationError> {
        let check = |field, value: &Option<String>, max| {
            value.as_deref().map_or(Ok(()), |v| max_chars(field, v, max))
        };
        check("about", &self.about, 139)?;
        check("address", &self.address, 256)?;
        check("description", &self.description, 512)?;
        check("email", &self.email, 128)?;
        if let Some(websites) = &self.websites {
            max_items("websites", websites.len(), 2)?;
            for site in websites {
                max_chars("websites", site, 256)?;
                if !site.starts_with("https://") && !site.starts_with("http://") {
                    return Err(ValidationError::new(
                        "websites",
                        Violation::Invalid("must be http(s) urls".into()),
                    ));
                }
            }
        }
        Ok(())
    }
}

/// An app subscribed to a WABA's webhooks.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[non_exhaustive]
pub struct SubscribedApp {
    /// The app.
    #[serde(default)]
    pub whatsapp_business_api_data: Option<AppData>,
    /// The callback URL overriding the app's, for this WABA.
    #[serde(default)]
    pub override_callback_uri: Option<String>,
}

/// An app's identity.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[non_exhaustive]
pub struct AppData {
    /// App id.
    #[serde(default, deserialize_with = "opt_string_or_integer")]
    pub id: Option<String>,
    /// App name.
    #[serde(default)]
    pub name: Option<String>,
    /// App link.
    #[serde(default)]
    pub link: Option<String>,
}
