//! Typed models of WhatsApp Cloud API webhooks (`object = "whatsapp_business_account"`).
//!
//! Shapes follow Meta's [WhatsApp webhook reference](https://developers.facebook.com/docs/whatsapp/cloud-api/webhooks/components)
//! as of Graph API v25.0 (2026). Every field Meta may omit is an `Option` (the phone number `from`
//! too: since 2026 users with a username may be identified only by a business-scoped user id),
//! every Meta-valued enum is open, ids and timestamps accept strings and numbers, and anything
//! this version does not model is kept as raw JSON, never dropped.
//!
//! Use these through `meta_messaging::webhook::parse` and `Webhook::events` (the signature
//! checked first), or read a stored body with `serde_json` into [`WhatsAppPayload`] and walk
//! [`WhatsAppPayload::events`]; the types are public so handlers can match on them.

mod account;
mod alerts;
mod coexistence;
mod content;
mod events;
mod messages;
mod payments;
mod routing;
mod statuses;
mod usernames;

use std::fmt;

use serde::Deserialize;
use serde::de::{self, DeserializeSeed, Deserializer, IgnoredAny, MapAccess, Visitor};
use serde_json::Value;

use crate::Timestamp;
use crate::graph::RawJson;
use crate::graph::serde_util::{null_as_empty, string_enum, text_at};
use crate::whatsapp::WabaId;

pub use account::*;
pub use alerts::*;
pub use coexistence::*;
pub use content::*;
pub use events::*;
pub use messages::*;
pub use payments::*;
pub use routing::*;
pub use statuses::*;
pub use usernames::*;

string_enum! {
    /// The subscription `field` of a change.
    pub enum Field {
        /// Inbound messages, statuses of sent messages, errors.
        Messages = "messages",
        /// Template approved, rejected, paused, ...
        MessageTemplateStatusUpdate = "message_template_status_update",
        /// Template quality score changed.
        MessageTemplateQualityUpdate = "message_template_quality_update",
        /// Template components edited.
        MessageTemplateComponentsUpdate = "message_template_components_update",
        /// Template category changed.
        TemplateCategoryUpdate = "template_category_update",
        /// Phone number quality, messaging limit or throughput changed.
        PhoneNumberQualityUpdate = "phone_number_quality_update",
        /// Display name review decided.
        PhoneNumberNameUpdate = "phone_number_name_update",
        /// Account restricted, banned, partner added, ...
        AccountUpdate = "account_update",
        /// Account review decided.
        AccountReviewUpdate = "account_review_update",
        /// Account alerts.
        AccountAlerts = "account_alerts",
        /// Business capabilities (limits) changed.
        BusinessCapabilityUpdate = "business_capability_update",
        /// Two-step verification PIN changed or reset.
        Security = "security",
        /// Flow status changes.
        Flows = "flows",
        /// Users' marketing-message preferences.
        UserPreferences = "user_preferences",
        /// Calling API events.
        Calls = "calls",
        /// Groups created or deleted.
        GroupLifecycleUpdate = "group_lifecycle_update",
        /// Participants joined, left or asked to join.
        GroupParticipantsUpdate = "group_participants_update",
        /// Subject, description or picture changes.
        GroupSettingsUpdate = "group_settings_update",
        /// Groups suspended or restored.
        GroupStatusUpdate = "group_status_update",
        /// Messages the business sent from the WhatsApp Business app (coexistence).
        SmbMessageEchoes = "smb_message_echoes",
        /// WhatsApp Business app state sync (coexistence).
        SmbAppStateSync = "smb_app_state_sync",
        /// Chat history sync (coexistence).
        History = "history",
        /// Messages the business sent from another client.
        MessageEchoes = "message_echoes",
        /// Partner solution changes.
        PartnerSolutions = "partner_solutions",
        /// Payment configuration changes.
        PaymentConfigurationUpdate = "payment_configuration_update",
        /// The business number's username approved, reserved or deleted.
        BusinessUsernameUpdate = "business_username_update",
        /// The same, in the plural spelling Meta's page also uses.
        BusinessUsernameUpdates = "business_username_updates",
        /// The same, under its name before February 2026.
        PhoneNumberUsernameUpdate = "phone_number_username_update",
        /// A user's business-scoped id changed.
        UserIdUpdate = "user_id_update",
        /// Purchases and leads detected in click-to-WhatsApp conversations.
        AutomaticEvents = "automatic_events",
        /// Conversation Routing: a thread passed to or taken from this app.
        MessagingHandovers = "messaging_handovers",
        /// Conversation Routing: a thread this app observes but does not own.
        Standby = "standby",
    }
}

/// A parsed WhatsApp webhook body.
#[derive(Clone, Debug, Default, PartialEq)]
#[non_exhaustive]
pub struct WhatsAppPayload {
    /// Every `entry[]`, in order.
    pub entries: Vec<WhatsAppEntry>,
}

impl WhatsAppPayload {
    /// A payload of these entries.
    pub fn new(entries: Vec<WhatsAppEntry>) -> Self {
        Self { entries }
    }
}

/// One `entry[]`: the changes of one WhatsApp Business Account.
#[derive(Clone, Debug, Default, PartialEq, Deserialize)]
#[serde(default)]
#[non_exhaustive]
pub struct WhatsAppEntry {
    /// The WABA id.
    pub id: Option<WabaId>,
    /// `time`, sent on some fields only.
    pub time: Option<Timestamp>,
    /// Every `changes[]`, in order.
    #[serde(deserialize_with = "null_as_empty")]
    pub changes: Vec<WhatsAppChange>,
}

/// One `changes[]` item: a `field` and its `value`.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub struct WhatsAppChange {
    /// The subscription field, such as `messages` or `account_update`; unknown fields verbatim.
    pub field: Field,
    /// The value, typed by field.
    pub value: WhatsAppChangeValue,
}

/// The value of a change, typed by its field.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub enum WhatsAppChangeValue {
    /// `messages`: inbound messages, statuses of sent messages, errors.
    Messages(MessagesValue),
    /// `message_template_status_update`.
    TemplateStatus(Box<TemplateStatusUpdate>),
    /// `message_template_quality_update`.
    TemplateQuality(TemplateQualityUpdate),
    /// `message_template_components_update`.
    TemplateComponents(Box<TemplateComponentsUpdate>),
    /// `template_category_update`.
    TemplateCategory(TemplateCategoryUpdate),
    /// `phone_number_quality_update`.
    PhoneNumberQuality(PhoneNumberQualityUpdate),
    /// `phone_number_name_update`.
    PhoneNumberName(PhoneNumberNameUpdate),
    /// `account_update`.
    Account(Box<AccountUpdate>),
    /// `account_review_update`.
    AccountReview(AccountReviewUpdate),
    /// `business_capability_update`.
    BusinessCapability(BusinessCapabilityUpdate),
    /// `security`.
    Security(SecurityUpdate),
    /// `user_preferences`.
    UserPreferences(UserPreferencesUpdate),
    /// `calls`: Calling API events and call statuses.
    Calls(crate::whatsapp::calling::CallsUpdate),
    /// `group_lifecycle_update`, `group_participants_update`, `group_settings_update`,
    /// `group_status_update`.
    Groups(crate::whatsapp::groups::GroupsUpdate),
    /// `smb_message_echoes` and `message_echoes`: messages the business sent from another app.
    MessageEchoes(MessageEchoes),
    /// A field this version does not model, or a value that did not have the documented shape:
    /// the JSON as Meta sent it.
    Unknown(RawJson),
    /// `business_username_update` (and its other spellings).
    Username(UsernameUpdate),
    /// `user_id_update`.
    UserId(UserIdUpdate),
    /// `flows`: Flow status changes and health alerts.
    Flows(Box<FlowsUpdate>),
    /// `history`: shared chat history (coexistence).
    History(Box<HistoryUpdate>),
    /// `smb_app_state_sync`: contacts changed in the WhatsApp Business app (coexistence).
    AppStateSync(AppStateSync),
    /// `account_alerts`.
    AccountAlert(Box<AccountAlert>),
    /// `partner_solutions`.
    PartnerSolution(PartnerSolutionUpdate),
    /// `payment_configuration_update`.
    PaymentConfiguration(Box<PaymentConfigurationUpdate>),
    /// `automatic_events`.
    AutomaticEvents(AutomaticEvents),
    /// `messaging_handovers`: a thread of Conversation Routing changed owner.
    Handover(Box<HandoverNotice>),
    /// `standby`: a thread this app observes; never answer it.
    Standby(Box<StandbyUpdate>),
}

impl WhatsAppChangeValue {
    /// The messages value, for the `messages` field.
    pub fn as_messages(&self) -> Option<&MessagesValue> {
        match self {
            Self::Messages(value) => Some(value),
            _ => None,
        }
    }

    /// Parses a value typed by `field`; a known field whose value does not have the documented
    /// shape, and any unknown field, is kept as raw JSON.
    fn from_json(field: &Field, value: &Value) -> Self {
        if *field == Field::Messages {
            return match value.as_object() {
                Some(_) => Self::Messages(MessagesValue::from_json(value)),
                None => Self::Unknown(RawJson::from_value(value)),
            };
        }
        FieldSeed(field).deserialize(value).unwrap_or_else(|_| Self::Unknown(RawJson::from_value(value)))
    }
}

/// Deserializes a change value whose field is already known.
struct FieldSeed<'f>(&'f Field);

impl<'de> DeserializeSeed<'de> for FieldSeed<'_> {
    type Value = WhatsAppChangeValue;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<WhatsAppChangeValue, D::Error> {
        Ok(match self.0 {
            Field::Messages => WhatsAppChangeValue::Messages(MessagesValue::deserialize(d)?),
            Field::MessageTemplateStatusUpdate => {
                WhatsAppChangeValue::TemplateStatus(Box::new(Deserialize::deserialize(d)?))
            }
            Field::MessageTemplateQualityUpdate => {
                WhatsAppChangeValue::TemplateQuality(Deserialize::deserialize(d)?)
            }
            Field::MessageTemplateComponentsUpdate => {
                WhatsAppChangeValue::TemplateComponents(Box::new(Deserialize::deserialize(d)?))
            }
            Field::TemplateCategoryUpdate => {
                WhatsAppChangeValue::TemplateCategory(Deserialize::deserialize(d)?)
            }
            Field::PhoneNumberQualityUpdate => {
                WhatsAppChangeValue::PhoneNumberQuality(Deserialize::deserialize(d)?)
            }
            Field::PhoneNumberNameUpdate => {
                WhatsAppChangeValue::PhoneNumberName(Deserialize::deserialize(d)?)
            }
            Field::AccountUpdate => WhatsAppChangeValue::Account(Box::new(Deserialize::deserialize(d)?)),
            Field::AccountReviewUpdate => WhatsAppChangeValue::AccountReview(Deserialize::deserialize(d)?),
            Field::BusinessCapabilityUpdate => {
                WhatsAppChangeValue::BusinessCapability(Deserialize::deserialize(d)?)
            }
            Field::Security => WhatsAppChangeValue::Security(Deserialize::deserialize(d)?),
            Field::UserPreferences => WhatsAppChangeValue::UserPreferences(Deserialize::deserialize(d)?),
            Field::Calls => WhatsAppChangeValue::Calls(Deserialize::deserialize(d)?),
            Field::GroupLifecycleUpdate
            | Field::GroupParticipantsUpdate
            | Field::GroupSettingsUpdate
            | Field::GroupStatusUpdate => WhatsAppChangeValue::Groups(Deserialize::deserialize(d)?),
            Field::SmbMessageEchoes | Field::MessageEchoes => {
                WhatsAppChangeValue::MessageEchoes(Deserialize::deserialize(d)?)
            }
            Field::BusinessUsernameUpdate
            | Field::BusinessUsernameUpdates
            | Field::PhoneNumberUsernameUpdate => WhatsAppChangeValue::Username(Deserialize::deserialize(d)?),
            Field::UserIdUpdate => WhatsAppChangeValue::UserId(Deserialize::deserialize(d)?),
            Field::Flows => WhatsAppChangeValue::Flows(Box::new(Deserialize::deserialize(d)?)),
            Field::History => WhatsAppChangeValue::History(Box::new(Deserialize::deserialize(d)?)),
            Field::SmbAppStateSync => WhatsAppChangeValue::AppStateSync(Deserialize::deserialize(d)?),
            Field::AccountAlerts => WhatsAppChangeValue::AccountAlert(Box::new(Deserialize::deserialize(d)?)),
            Field::PartnerSolutions => WhatsAppChangeValue::PartnerSolution(Deserialize::deserialize(d)?),
            Field::PaymentConfigurationUpdate => {
                WhatsAppChangeValue::PaymentConfiguration(Box::new(Deserialize::deserialize(d)?))
            }
            Field::AutomaticEvents => WhatsAppChangeValue::AutomaticEvents(Deserialize::deserialize(d)?),
            Field::MessagingHandovers => {
                WhatsAppChangeValue::Handover(Box::new(Deserialize::deserialize(d)?))
            }
            Field::Standby => WhatsAppChangeValue::Standby(Box::new(Deserialize::deserialize(d)?)),
            _ => WhatsAppChangeValue::Unknown(Deserialize::deserialize(d)?),
        })
    }
}

/// Fast path: a change in one pass. When `value` comes before `field` (as Meta sends it), the
/// value is read as a messages value; a non-`messages` change in that order fails here and is
/// parsed by the general path instead.
impl<'de> Deserialize<'de> for WhatsAppChange {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct ChangeVisitor;
        impl<'de> Visitor<'de> for ChangeVisitor {
            type Value = WhatsAppChange;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a change object")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<WhatsAppChange, A::Error> {
                let mut field: Option<Field> = None;
                let mut value: Option<WhatsAppChangeValue> = None;
                while let Some(key) = map.next_key::<ChangeKey>()? {
                    match key {
                        ChangeKey::Field => {
                            if field.is_some() {
                                return Err(de::Error::duplicate_field("field"));
                            }
                            field = Some(map.next_value()?);
                        }
                        ChangeKey::Value => {
                            if value.is_some() {
                                return Err(de::Error::duplicate_field("value"));
                            }
                            let f = field.as_ref().unwrap_or(&Field::Messages);
                            value = Some(map.next_value_seed(FieldSeed(f))?);
                        }
                        ChangeKey::Other => {
                            map.next_value::<IgnoredAny>()?;
                        }
                    }
                }
                let field = field.ok_or_else(|| de::Error::missing_field("field"))?;
                let value = value.ok_or_else(|| de::Error::missing_field("value"))?;
                if field != Field::Messages && matches!(value, WhatsAppChangeValue::Messages(_)) {
                    return Err(de::Error::custom("value came before a non-messages field"));
                }
                Ok(WhatsAppChange { field, value })
            }
        }
        d.deserialize_map(ChangeVisitor)
    }
}

enum ChangeKey {
    Field,
    Value,
    Other,
}

impl<'de> Deserialize<'de> for ChangeKey {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct KeyVisitor;
        impl Visitor<'_> for KeyVisitor {
            type Value = ChangeKey;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a key")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<ChangeKey, E> {
                Ok(match v {
                    "field" => ChangeKey::Field,
                    "value" => ChangeKey::Value,
                    _ => ChangeKey::Other,
                })
            }
        }
        d.deserialize_identifier(KeyVisitor)
    }
}

impl WhatsAppPayload {
    /// Builds the payload from a body's parsed `entry` array, element by element: one odd
    /// element never fails the rest (what is not an object is dropped, a change or event of
    /// another shape is kept as raw JSON).
    pub fn from_json(entries: &[Value]) -> Self {
        Self { entries: entries.iter().filter_map(WhatsAppEntry::from_json).collect() }
    }
}

/// Reads a whole body (`{"object": ..., "entry": [...]}`) as leniently as
/// [`from_json`](WhatsAppPayload::from_json); `object` is not checked. `meta-messaging-webhook`'s `parse`
/// reads the same bodies faster, straight from the bytes, and checks `object`.
impl<'de> Deserialize<'de> for WhatsAppPayload {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        struct Body {
            entry: Vec<Value>,
        }
        Body::deserialize(deserializer).map(|body| Self::from_json(&body.entry))
    }
}

impl WhatsAppEntry {
    fn from_json(value: &Value) -> Option<Self> {
        let object = value.as_object()?;
        let changes = object
            .get("changes")
            .and_then(Value::as_array)
            .map(|changes| changes.iter().filter_map(WhatsAppChange::from_json).collect())
            .unwrap_or_default();
        Some(Self {
            id: text_at(value, "id").map(WabaId::new),
            time: object.get("time").and_then(|t| Timestamp::deserialize(t).ok()),
            changes,
        })
    }
}

impl WhatsAppChange {
    fn from_json(value: &Value) -> Option<Self> {
        let object = value.as_object()?;
        let field = object
            .get("field")
            .and_then(Value::as_str)
            .map_or_else(|| Field::Unknown("unknown".to_owned()), Field::from);
        let value = object.get("value").unwrap_or(&Value::Null);
        Some(Self { value: WhatsAppChangeValue::from_json(&field, value), field })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_change_value_is_no_larger_than_the_messages_value_it_mostly_is() {
        // Every change is moved a few times while it is parsed; a large, rare variant inline
        // would make each `messages` change pay for it. Box such variants.
        assert!(
            std::mem::size_of::<WhatsAppChangeValue>() <= std::mem::size_of::<MessagesValue>() + 8,
            "{} bytes",
            std::mem::size_of::<WhatsAppChangeValue>()
        );
    }
}
