//! [`UserIdentity`]: a user as Meta names them (the core type; the directory that links the
//! names of one user is `meta_messaging::identity`).

/// A user as Meta named them: any of a phone number, a business-scoped user id (BSUID), a
/// parent BSUID and a username. Empty strings are never kept.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub struct UserIdentity {
    /// The phone number (WhatsApp id, digits), when Meta shares it.
    pub phone: Option<String>,
    /// The business-scoped user id.
    pub user_id: Option<String>,
    /// The parent business-scoped user id (managed businesses with several portfolios).
    pub parent_user_id: Option<String>,
    /// The user's WhatsApp username.
    pub username: Option<String>,
}

fn non_empty(value: impl Into<String>) -> Option<String> {
    let value = value.into();
    (!value.trim().is_empty()).then_some(value)
}

impl UserIdentity {
    /// An identity with nothing known yet.
    pub fn new() -> Self {
        Self::default()
    }

    /// With a phone number (ignored when empty). A number written with `+`, spaces, dashes or
    /// parentheses is kept as its digits, the way webhooks write it.
    #[must_use]
    pub fn phone(mut self, phone: impl Into<String>) -> Self {
        let phone = phone.into();
        let phone = if is_phone(&phone) { phone_digits(&phone) } else { phone };
        self.phone = non_empty(phone).or(self.phone);
        self
    }

    /// With a business-scoped user id (ignored when empty).
    #[must_use]
    pub fn user_id(mut self, user_id: impl Into<String>) -> Self {
        self.user_id = non_empty(user_id).or(self.user_id);
        self
    }

    /// With a parent business-scoped user id (ignored when empty).
    #[must_use]
    pub fn parent_user_id(mut self, parent: impl Into<String>) -> Self {
        self.parent_user_id = non_empty(parent).or(self.parent_user_id);
        self
    }

    /// With a username (ignored when empty).
    #[must_use]
    pub fn username(mut self, username: impl Into<String>) -> Self {
        self.username = non_empty(username).or(self.username);
        self
    }

    /// The stable key: the BSUID when known, else the phone number; `None` when neither is.
    pub fn key(&self) -> Option<&str> {
        self.user_id.as_deref().or(self.phone.as_deref())
    }

    /// Whether nothing is known.
    pub fn is_empty(&self) -> bool {
        self.phone.is_none()
            && self.user_id.is_none()
            && self.parent_user_id.is_none()
            && self.username.is_none()
    }

    /// What `other` knows and this does not, added (this identity's values win).
    #[must_use]
    pub fn merged(mut self, other: &Self) -> Self {
        self.phone = self.phone.or_else(|| other.phone.clone());
        self.user_id = self.user_id.or_else(|| other.user_id.clone());
        self.parent_user_id = self.parent_user_id.or_else(|| other.parent_user_id.clone());
        self.username = self.username.or_else(|| other.username.clone());
        self
    }
}

/// Whether `text` is a phone number: digits, written as webhooks do or with a leading `+`,
/// spaces, dashes, dots or parentheses (a business-scoped id has letters: `US.1349…`).
pub fn is_phone(text: &str) -> bool {
    let text = text.trim();
    text.bytes().any(|b| b.is_ascii_digit())
        && text.bytes().all(|b| b.is_ascii_digit() || matches!(b, b'+' | b' ' | b'-' | b'.' | b'(' | b')'))
}

/// The digits of a phone number, as webhooks write it (`16505551234`).
#[doc(hidden)]
pub fn phone_digits(text: &str) -> String {
    text.chars().filter(char::is_ascii_digit).collect()
}
