//! Account, phone-number and template changes: every field that is not `messages`.

use serde::Deserialize;
use serde_json::{Map, Value};

use super::messages::{Contact, InboundMessage, Metadata};
use crate::Timestamp;
use crate::graph::serde_util::{null_as_default, opt_integer_or_string, opt_string_or_integer};

/// `message_template_status_update`.
#[derive(Clone, Debug, Default, PartialEq, Deserialize)]
#[serde(default)]
#[non_exhaustive]
#[allow(missing_docs)]
pub struct TemplateStatusUpdate {
    /// `APPROVED`, `REJECTED`, `PAUSED`, `DISABLED`, ...
    pub event: Option<String>,
    #[serde(deserialize_with = "opt_string_or_integer")]
    pub message_template_id: Option<String>,
    pub message_template_name: Option<String>,
    pub message_template_language: Option<String>,
    pub message_template_category: Option<String>,
    /// `NONE`, `INVALID_FORMAT`, ...
    pub reason: Option<String>,
    /// Why and what to change, when rejected with `INVALID_FORMAT`.
    pub rejection_info: Option<TemplateRejectionInfo>,
    /// Why it was locked or unlocked.
    pub other_info: Option<TemplateOtherInfo>,
    /// When it was disabled.
    pub disable_info: Option<TemplateDisableInfo>,
    /// Keys this version does not model, as sent.
    #[serde(flatten)]
    pub other: Map<String, Value>,
}

/// The reason for a rejection and Meta's recommendation.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(default)]
#[non_exhaustive]
pub struct TemplateRejectionInfo {
    /// What is wrong.
    pub reason: Option<String>,
    /// What to change.
    pub recommendation: Option<String>,
}

/// Why a template was locked or unlocked.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(default)]
#[non_exhaustive]
pub struct TemplateOtherInfo {
    /// A title.
    pub title: Option<String>,
    /// The explanation (`Your WhatsApp message template has been unpaused.`).
    pub description: Option<String>,
}

/// When a template was disabled.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(default)]
#[non_exhaustive]
pub struct TemplateDisableInfo {
    /// The time.
    pub disable_date: Option<Timestamp>,
}

/// `message_template_quality_update`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(default)]
#[non_exhaustive]
#[allow(missing_docs)]
pub struct TemplateQualityUpdate {
    pub previous_quality_score: Option<String>,
    /// `GREEN`, `YELLOW`, `RED`, `UNKNOWN`.
    pub new_quality_score: Option<String>,
    #[serde(deserialize_with = "opt_string_or_integer")]
    pub message_template_id: Option<String>,
    pub message_template_name: Option<String>,
    pub message_template_language: Option<String>,
}

/// `message_template_components_update`.
#[derive(Clone, Debug, Default, PartialEq, Deserialize)]
#[serde(default)]
#[non_exhaustive]
#[allow(missing_docs)]
pub struct TemplateComponentsUpdate {
    #[serde(deserialize_with = "opt_string_or_integer")]
    pub message_template_id: Option<String>,
    pub message_template_name: Option<String>,
    pub message_template_language: Option<String>,
    pub message_template_title: Option<String>,
    /// The body text.
    pub message_template_element: Option<String>,
    pub message_template_footer: Option<String>,
    /// The URL and phone-number buttons.
    #[serde(deserialize_with = "null_as_default")]
    pub message_template_buttons: Vec<TemplateButtonUpdate>,
}

/// A button of an edited template.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(default)]
#[non_exhaustive]
pub struct TemplateButtonUpdate {
    /// `URL`, `PHONE_NUMBER`, `QUICK_REPLY`, `OTP`, `COPY_CODE`, `FLOW`, `CATALOG`, `MPM`, ...
    pub message_template_button_type: Option<String>,
    /// The label.
    pub message_template_button_text: Option<String>,
    /// The URL (URL buttons).
    pub message_template_button_url: Option<String>,
    /// The phone number (phone-number buttons).
    #[serde(deserialize_with = "opt_string_or_integer")]
    pub message_template_button_phone_number: Option<String>,
}

/// `template_category_update`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(default)]
#[non_exhaustive]
#[allow(missing_docs)]
pub struct TemplateCategoryUpdate {
    #[serde(deserialize_with = "opt_string_or_integer")]
    pub message_template_id: Option<String>,
    pub message_template_name: Option<String>,
    pub message_template_language: Option<String>,
    pub previous_category: Option<String>,
    pub new_category: Option<String>,
    pub correct_category: Option<String>,
}

/// `phone_number_quality_update`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(default)]
#[non_exhaustive]
#[allow(missing_docs)]
pub struct PhoneNumberQualityUpdate {
    #[serde(deserialize_with = "opt_string_or_integer")]
    pub display_phone_number: Option<String>,
    /// `THROUGHPUT_UPGRADE`, `FLAGGED`, `UNFLAGGED`, `UPGRADE`, `DOWNGRADE`, `ONBOARDING`.
    pub event: Option<String>,
    pub old_limit: Option<String>,
    pub current_limit: Option<String>,
    /// `TIER_250`, `TIER_2K`, ..., `TIER_UNLIMITED`, or a number: kept as sent.
    #[serde(deserialize_with = "opt_string_or_integer")]
    pub max_daily_conversations_per_business: Option<String>,
}

/// `phone_number_name_update`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(default)]
#[non_exhaustive]
#[allow(missing_docs)]
pub struct PhoneNumberNameUpdate {
    #[serde(deserialize_with = "opt_string_or_integer")]
    pub display_phone_number: Option<String>,
    /// `APPROVED`, `REJECTED`, `DEFERRED`, `PENDING`.
    pub decision: Option<String>,
    pub requested_verified_name: Option<String>,
    pub rejection_reason: Option<String>,
}

/// `account_update`: every event of Meta's
/// [reference](https://developers.facebook.com/documentation/business-messaging/whatsapp/webhooks/reference/account_update)
/// (April 2026), each with its object.
#[derive(Clone, Debug, Default, PartialEq, Deserialize)]
#[serde(default)]
#[non_exhaustive]
pub struct AccountUpdate {
    /// `ACCOUNT_DELETED`, `ACCOUNT_RESTRICTION`, `ACCOUNT_VIOLATION`, `AD_ACCOUNT_LINKED`,
    /// `AUTH_INTL_PRICE_ELIGIBILITY_UPDATE`, `BUSINESS_PRIMARY_LOCATION_COUNTRY_UPDATE`,
    /// `DISABLED_UPDATE`, `MM_LITE_TERMS_SIGNED`, `PARTNER_ADDED`, `PARTNER_APP_INSTALLED`,
    /// `PARTNER_APP_UNINSTALLED`, `PARTNER_CLIENT_CERTIFICATION_STATUS_UPDATE`,
    /// `PARTNER_REMOVED`, `VOLUME_BASED_PRICING_TIER_UPDATE`, `ACCOUNT_OFFBOARDED`,
    /// `ACCOUNT_RECONNECTED`.
    pub event: Option<String>,
    /// The phone number concerned (violations and restrictions of one number).
    #[serde(deserialize_with = "opt_string_or_integer")]
    pub phone_number: Option<String>,
    /// Restrictions in force (`ACCOUNT_RESTRICTION`).
    #[serde(deserialize_with = "null_as_default")]
    pub restriction_info: Vec<Restriction>,
    /// The policy violated (`ACCOUNT_VIOLATION`).
    pub violation_info: Option<ViolationInfo>,
    /// The account disabled, scheduled for it, or reinstated (`DISABLED_UPDATE`).
    pub ban_info: Option<BanInfo>,
    /// The account and its partners (`PARTNER_*`, `AD_ACCOUNT_LINKED`, `MM_LITE_TERMS_SIGNED`).
    pub waba_info: Option<WabaInfo>,
    /// Why a coexistence number was disconnected (`PARTNER_REMOVED`).
    pub disconnection_info: Option<DisconnectionInfo>,
    /// Eligibility for authentication-international rates
    /// (`AUTH_INTL_PRICE_ELIGIBILITY_UPDATE`).
    pub auth_international_rate_eligibility: Option<AuthInternationalEligibility>,
    /// Partner-led business verification (`PARTNER_CLIENT_CERTIFICATION_STATUS_UPDATE`).
    pub partner_client_certification_info: Option<PartnerCertification>,
    /// The volume pricing tier reached (`VOLUME_BASED_PRICING_TIER_UPDATE`).
    pub volume_tier_info: Option<VolumeTierInfo>,
    /// The business's primary location, ISO 3166 alpha-2
    /// (`BUSINESS_PRIMARY_LOCATION_COUNTRY_UPDATE`).
    pub country: Option<String>,
    /// Keys this version does not model, as sent.
    #[serde(flatten)]
    pub other: Map<String, Value>,
}

/// A restriction on an account.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(default)]
#[non_exhaustive]
pub struct Restriction {
    /// `RESTRICTED_ADD_PHONE_NUMBER_ACTION`, `RESTRICTED_BIZ_INITIATED_MESSAGING`,
    /// `RESTRICTED_USER_INITIATED_CALLING`, ...
    pub restriction_type: Option<String>,
    /// When it ends.
    pub expiration: Option<Timestamp>,
    /// What to do about it, when Meta says.
    pub remediation: Option<String>,
}

/// A policy violation.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(default)]
#[non_exhaustive]
pub struct ViolationInfo {
    /// `ADULT`, `ALCOHOL`, `LOW_CALLING_QUALITY`, ...
    pub violation_type: Option<String>,
    /// What to do about it, when Meta says.
    pub remediation: Option<String>,
}

/// An account disabled or reinstated.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(default)]
#[non_exhaustive]
pub struct BanInfo {
    /// `DISABLE`, `REINSTATE`, `SCHEDULE_FOR_DISABLE`.
    pub waba_ban_state: Option<String>,
    /// The date, as Meta writes it (`"April 17, 2025"`).
    pub waba_ban_date: Option<String>,
}

/// The account and the partners of a partner event.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(default)]
#[non_exhaustive]
pub struct WabaInfo {
    /// The WhatsApp Business Account.
    #[serde(deserialize_with = "opt_string_or_integer")]
    pub waba_id: Option<String>,
    /// The business portfolio that owns it.
    #[serde(deserialize_with = "opt_string_or_integer")]
    pub owner_business_id: Option<String>,
    /// The partner's app (`PARTNER_APP_*`).
    #[serde(deserialize_with = "opt_string_or_integer")]
    pub partner_app_id: Option<String>,
    /// The multi-partner solution.
    #[serde(deserialize_with = "opt_string_or_integer")]
    pub solution_id: Option<String>,
    /// The solution's partners.
    #[serde(deserialize_with = "null_as_default")]
    pub solution_partner_business_ids: Vec<String>,
    /// The ad account linked (`AD_ACCOUNT_LINKED`).
    #[serde(deserialize_with = "opt_string_or_integer")]
    pub ad_account_linked: Option<String>,
}

/// Why a coexistence number left the Cloud API.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(default)]
#[non_exhaustive]
pub struct DisconnectionInfo {
    /// `ACCOUNT_DISCONNECTED`, `BUSINESS_DOWNGRADE`, `CHANGE_NUMBER`, `COMPANION_INACTIVITY`,
    /// `PRIMARY_INACTIVITY`, `USER_RE_REGISTERED`.
    pub reason: Option<String>,
    /// `SYSTEM`, `USER`.
    pub initiated_by: Option<String>,
}

/// When authentication-international rates apply.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(default)]
#[non_exhaustive]
pub struct AuthInternationalEligibility {
    /// From when, for every country but the exceptions.
    pub start_time: Option<Timestamp>,
    /// Countries with another start.
    #[serde(deserialize_with = "null_as_default")]
    pub exception_countries: Vec<CountryStart>,
}

/// A country's start time.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(default)]
#[non_exhaustive]
pub struct CountryStart {
    /// ISO 3166 alpha-2.
    pub country_code: Option<String>,
    /// From when.
    pub start_time: Option<Timestamp>,
}

/// Partner-led business verification of a client.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(default)]
#[non_exhaustive]
pub struct PartnerCertification {
    /// The client's business portfolio.
    #[serde(deserialize_with = "opt_string_or_integer")]
    pub client_business_id: Option<String>,
    /// `APPROVED`, `DISCARDED`, `FAILED`, `PENDING`, `REVOKED`.
    pub status: Option<String>,
    /// `NONE`, `ADDRESS NOT MATCHING`, `LEGAL NAME NOT MATCHING`, ... (with spaces).
    #[serde(deserialize_with = "null_as_default")]
    pub rejection_reasons: Vec<String>,
}

/// A volume pricing tier reached.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(default)]
#[non_exhaustive]
pub struct VolumeTierInfo {
    /// When the tier changed.
    pub tier_update_time: Option<Timestamp>,
    /// `UTILITY`, `AUTHENTICATION`, ...
    pub pricing_category: Option<String>,
    /// `"min:max"` messages.
    pub tier: Option<String>,
    /// `YYYY-MM`.
    pub effective_month: Option<String>,
    /// The pricing region (`India`, ...).
    pub region: Option<String>,
}

/// `account_review_update`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(default)]
#[non_exhaustive]
pub struct AccountReviewUpdate {
    /// `APPROVED`, `REJECTED`, `PENDING`, `DEFERRED`.
    pub decision: Option<String>,
}

/// `business_capability_update`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(default)]
#[non_exhaustive]
#[allow(missing_docs)]
pub struct BusinessCapabilityUpdate {
    #[serde(deserialize_with = "opt_integer_or_string")]
    pub max_daily_conversation_per_phone: Option<i64>,
    #[serde(deserialize_with = "opt_integer_or_string")]
    pub max_phone_numbers_per_business: Option<i64>,
    /// Business-initiated conversations a day: 250, 2000, 10000, 100000, or -1 (unlimited).
    #[serde(deserialize_with = "opt_integer_or_string")]
    pub max_daily_conversations_per_business: Option<i64>,
    /// Phone numbers a WhatsApp Business Account may have.
    #[serde(deserialize_with = "opt_integer_or_string")]
    pub max_phone_numbers_per_waba: Option<i64>,
}

/// `security`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(default)]
#[non_exhaustive]
#[allow(missing_docs)]
pub struct SecurityUpdate {
    #[serde(deserialize_with = "opt_string_or_integer")]
    pub display_phone_number: Option<String>,
    /// `PIN_CHANGED`, `PIN_RESET_REQUEST`, ...
    pub event: Option<String>,
    #[serde(deserialize_with = "opt_string_or_integer")]
    pub requester: Option<String>,
}

/// `user_preferences`.
#[derive(Clone, Debug, Default, PartialEq, Deserialize)]
#[serde(default)]
#[non_exhaustive]
pub struct UserPreferencesUpdate {
    /// The business phone number.
    pub metadata: Option<Metadata>,
    /// The users' profiles.
    #[serde(deserialize_with = "null_as_default")]
    pub contacts: Vec<Contact>,
    /// The preferences that changed.
    #[serde(deserialize_with = "null_as_default")]
    pub user_preferences: Vec<UserPreference>,
}

/// One user's marketing-message preference.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(default)]
#[non_exhaustive]
#[allow(missing_docs)]
pub struct UserPreference {
    #[serde(deserialize_with = "opt_string_or_integer")]
    pub wa_id: Option<String>,
    pub user_id: Option<String>,
    pub detail: Option<String>,
    /// `marketing_messages`.
    pub category: Option<String>,
    /// `stop`, `resume`, `signup`.
    pub value: Option<String>,
    pub timestamp: Option<Timestamp>,
    /// The sign-up this preference came from, on `signup` values.
    #[serde(deserialize_with = "opt_string_or_integer")]
    pub signup_id: Option<String>,
}

/// `smb_message_echoes` / `message_echoes`: messages the business sent from the WhatsApp
/// Business app or another client.
#[derive(Clone, Debug, Default, PartialEq, Deserialize)]
#[serde(default)]
#[non_exhaustive]
pub struct MessageEchoes {
    /// The business phone number.
    pub metadata: Option<Metadata>,
    /// Profiles of the users the echoes went to, when Meta sends them.
    #[serde(deserialize_with = "null_as_default")]
    pub contacts: Vec<Contact>,
    /// The echoed messages, read with the same models as inbound ones: `from` is the business
    /// number, `to` (or `to_user_id`) the user. Each is one event (`whatsapp.echo.<type>`).
    #[serde(deserialize_with = "null_as_default")]
    pub message_echoes: Vec<InboundMessage>,
}

impl MessageEchoes {
    /// The user an echo went to, with everything the value says of them.
    pub fn user_of(&self, message: &InboundMessage) -> crate::user::UserIdentity {
        let pick = |value: &Option<String>| value.clone().unwrap_or_default();
        let user =
            crate::user::UserIdentity::new().phone(pick(&message.to)).user_id(pick(&message.to_user_id));
        super::messages::with_contact(user, &self.contacts)
    }
}
