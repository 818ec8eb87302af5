//! The three messaging platforms, named once for the whole crate.

use std::fmt;

/// A Meta messaging platform.
///
/// Webhook events, sends and send guards all name their platform with this one type.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Platform {
    /// WhatsApp Business Cloud API.
    WhatsApp,
    /// Messenger Platform.
    Messenger,
    /// Instagram Messaging.
    Instagram,
}

impl Platform {
    /// The lower-case name, also the prefix of event kinds: `whatsapp`, `messenger` or
    /// `instagram`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::WhatsApp => "whatsapp",
            Self::Messenger => "messenger",
            Self::Instagram => "instagram",
        }
    }
}

impl fmt::Display for Platform {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}
