//! Call buttons and carousels: the `voice_call` interactive message (a button that starts a
//! WhatsApp call to the business, per Meta's "Send WhatsApp call button messages" page) and the
//! interactive media and product carousels (2 to 10 cards that scroll sideways, per Meta's
//! "Interactive media carousel messages" and "Interactive product carousel messages" pages).

use serde::Serialize;
use serde::ser::{SerializeMap, Serializer};

use super::interactive::{Header, ReplyButton};
use super::media::MediaSource;
use crate::graph::validate::{max_chars, max_items, not_empty};
use crate::graph::{ValidationError, Violation};

/// Button text of a call button, card buttons.
const BUTTON_TEXT: usize = 20;
/// Text of a carousel card.
const CARD_BODY: usize = 160;
/// Cards per carousel.
const CARDS: (usize, usize) = (2, 10);
/// The longest a call button stays usable: 30 days.
const TTL_MINUTES_MAX: u32 = 43_200;
/// The call button's payload, echoed as `cta_payload` in call webhooks.
const PAYLOAD: usize = 512;

/// The button of a `voice_call` message: every part optional (Meta's defaults: "Call Now",
/// 7 days).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct VoiceCall {
    /// The button's text (≤ 20 characters).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub display_text: Option<String>,
    /// How long the button works, in minutes (1 to 43,200).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ttl_minutes: Option<u32>,
    /// Your data, returned as `cta_payload` in the call's `connect` and `terminate` webhooks
    /// (≤ 512 characters).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub payload: Option<String>,
}

impl VoiceCall {
    /// A call button with Meta's defaults.
    pub fn new() -> Self {
        Self::default()
    }

    /// The button's text.
    #[must_use]
    pub fn display_text(mut self, text: impl Into<String>) -> Self {
        self.display_text = Some(text.into());
        self
    }

    /// How long the button works.
    #[must_use]
    pub fn ttl_minutes(mut self, minutes: u32) -> Self {
        self.ttl_minutes = Some(minutes);
        self
    }

    /// Data returned in the call's webhooks.
    #[must_use]
    pub fn payload(mut self, payload: impl Into<String>) -> Self {
        self.payload = Some(payload.into());
        self
    }

    pub(super) fn validate(&self) -> Result<(), ValidationError> {
        const FIELD: &str = "interactive.action.parameters";
        if let Some(text) = &self.display_text {
            not_empty("interactive.action.parameters.display_text", text)?;
            max_chars("interactive.action.parameters.display_text", text, BUTTON_TEXT)?;
        }
        if let Some(ttl) = self.ttl_minutes
            && !(1..=TTL_MINUTES_MAX).contains(&ttl)
        {
            return Err(ValidationError::new(
                "interactive.action.parameters.ttl_minutes",
                Violation::Invalid(format!("1 to {TTL_MINUTES_MAX} minutes").into()),
            ));
        }
        if let Some(payload) = &self.payload {
            max_chars(FIELD, payload, PAYLOAD)?;
        }
        Ok(())
    }
}

/// What a media card's button does: the same kind (and count) on every card of a carousel.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum CardAction {
    /// One URL button.
    Url {
        /// Button text (≤ 20 characters).
        display_text: String,
        /// The URL.
        url: String,
    },
    /// Quick-reply buttons (their ids come back like a reply button's).
    QuickReplies(Vec<ReplyButton>),
}

/// A card of a media carousel: an image or a video, optional text, and its button(s).
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct MediaCard {
    /// `Header::Image` or `Header::Video`.
    pub header: Header,
    /// The card's text (≤ 160 characters).
    pub body: Option<String>,
    /// Its button(s).
    pub action: CardAction,
}

impl MediaCard {
    /// A card with an image.
    pub fn image(source: impl Into<MediaSource>, action: CardAction) -> Self {
        Self { header: Header::Image(source.into()), body: None, action }
    }

    /// A card with a video.
    pub fn video(source: impl Into<MediaSource>, action: CardAction) -> Self {
        Self { header: Header::Video(source.into()), body: None, action }
    }

    /// The card's text.
    #[must_use]
    pub fn body(mut self, body: impl Into<String>) -> Self {
        self.body = Some(body.into());
        self
    }

    fn shape(&self) -> (bool, usize) {
        match &self.action {
            CardAction::Url { .. } => (true, 1),
            CardAction::QuickReplies(buttons) => (false, buttons.len()),
        }
    }
}

/// The cards of a carousel message.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Carousel {
    /// Image or video cards with buttons.
    Media(Vec<MediaCard>),
    /// Product cards, all from one catalog.
    Products {
        /// The catalog.
        catalog_id: String,
        /// One card per product, in order.
        product_retailer_ids: Vec<String>,
    },
}

fn card_count(count: usize) -> Result<(), ValidationError> {
    const FIELD: &str = "interactive.action.cards";
    if count < CARDS.0 {
        return Err(ValidationError::new(FIELD, Violation::TooFew { min: CARDS.0, actual: count }));
    }
    max_items(FIELD, count, CARDS.1)
}

impl Carousel {
    pub(super) fn validate(&self) -> Result<(), ValidationError> {
        match self {
            Self::Products { catalog_id, product_retailer_ids } => {
                not_empty("interactive.action.cards.action.catalog_id", catalog_id)?;
                card_count(product_retailer_ids.len())?;
                for (i, id) in product_retailer_ids.iter().enumerate() {
                    not_empty("interactive.action.cards.action.product_retailer_id", id)?;
                    if product_retailer_ids[..i].contains(id) {
                        return Err(ValidationError::new(
                            "interactive.action.cards.action.product_retailer_id",
                            Violation::Duplicate,
                        ));
                    }
                }
                Ok(())
            }
            Self::Media(cards) => {
                card_count(cards.len())?;
                let first = cards[0].shape();
                for card in cards {
                    Self::validate_card(card)?;
                    if card.shape() != first {
                        return Err(ValidationError::new(
                            "interactive.action.cards.action",
                            Violation::Invalid("every card has the same kind and number of buttons".into()),
                        ));
                    }
                }
                Ok(())
            }
        }
    }

    fn validate_card(card: &MediaCard) -> Result<(), ValidationError> {
        if !matches!(card.header, Header::Image(_) | Header::Video(_)) {
            return Err(ValidationError::new(
                "interactive.action.cards.header",
                Violation::Invalid("an image or a video".into()),
            ));
        }
        if let Some(body) = &card.body {
            max_chars("interactive.action.cards.body.text", body, CARD_BODY)?;
        }
        match &card.action {
            CardAction::Url { display_text, url } => {
                not_empty("interactive.action.cards.action.parameters.display_text", display_text)?;
                max_chars(
                    "interactive.action.cards.action.parameters.display_text",
                    display_text,
                    BUTTON_TEXT,
                )?;
                if !url.starts_with("https://") && !url.starts_with("http://") {
                    return Err(ValidationError::new(
                        "interactive.action.cards.action.parameters.url",
                        Violation::Invalid("must be an http(s) url".into()),
                    ));
                }
                Ok(())
            }
            CardAction::QuickReplies(buttons) => {
                const FIELD: &str = "interactive.action.cards.action.buttons";
                if buttons.is_empty() {
                    return Err(ValidationError::new(FIELD, Violation::TooFew { min: 1, actual: 0 }));
                }
                for (i, button) in buttons.iter().enumerate() {
                    not_empty("interactive.action.cards.action.buttons.quick_reply.id", &button.id)?;
                    max_chars(
                        "interactive.action.cards.action.buttons.quick_reply.id",
                        &button.id,
                        super::limits::BUTTON_ID,
                    )?;
                    not_empty("interactive.action.cards.action.buttons.quick_reply.title", &button.title)?;
                    max_chars(
                        "interactive.action.cards.action.buttons.quick_reply.title",
                        &button.title,
                        BUTTON_TEXT,
                    )?;
                    if buttons[..i].iter().any(|b| b.id == button.id) {
                        return Err(ValidationError::new(FIELD, Violation::Duplicate));
                    }
                }
                Ok(())
            }
        }
    }
}

/// The `cards` array of a carousel's action.
pub(super) struct Cards<'a>(pub(super) &'a Carousel);

struct Card<'a> {
    index: usize,
    carousel: &'a Carousel,
}

impl Serialize for Cards<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let count = match self.0 {
            Carousel::Media(cards) => cards.len(),
            Carousel::Products { product_retailer_ids, .. } => product_retailer_ids.len(),
        };
        serializer.collect_seq((0..count).map(|index| Card { index, carousel: self.0 }))
    }
}

impl Serialize for Card<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        #[derive(Serialize)]
        struct QuickReply<'a> {
            r#type: &'static str,
            quick_reply: &'a ReplyButton,
        }
        let mut map = serializer.serialize_map(None)?;
        map.serialize_entry("card_index", &self.index)?;
        match self.carousel {
            Carousel::Products { catalog_id, product_retailer_ids } => {
                map.serialize_entry("type", "product")?;
                map.serialize_entry(
                    "action",
                    &serde_json::json!({"product_retailer_id": product_retailer_ids[self.index], "catalog_id": catalog_id}),
                )?;
            }
            Carousel::Media(cards) => {
                let card = &cards[self.index];
                // Meta's examples give media cards the type `cta_url`, quick-reply cards too.
                map.serialize_entry("type", "cta_url")?;
                map.serialize_entry("header", &card.header)?;
                if let Some(body) = &card.body {
                    map.serialize_entry("body", &serde_json::json!({ "text": body }))?;
                }
                match &card.action {
                    CardAction::Url { display_text, url } => map.serialize_entry(
                        "action",
                        &serde_json::json!({"name": "cta_url", "parameters": {"display_text": display_text, "url": url}}),
                    )?,
                    CardAction::QuickReplies(buttons) => {
                        let buttons: Vec<QuickReply<'_>> = buttons
                            .iter()
                            .map(|quick_reply| QuickReply { r#type: "quick_reply", quick_reply })
                            .collect();
                        map.serialize_entry("action", &serde_json::json!({ "buttons": buttons }))?;
                    }
                }
            }
        }
        map.end()
    }
}
