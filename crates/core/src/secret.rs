//! Secret newtypes: access tokens, app secrets and webhook verify tokens.
//!
//! Every secret the crate handles is wrapped in one of these types. They hold a
//! [`secrecy::SecretString`], so the value is zeroized on drop, and they implement neither
//! `Display` nor `Serialize`; `Debug` prints only the type name and `[REDACTED]`. The one way to
//! read the value is the explicit [`expose_secret`](AccessToken::expose_secret) call, which the
//! crate makes only at the last moment (building the `Authorization` header, computing an HMAC,
//! sealing).

use std::fmt;

use secrecy::{ExposeSecret, SecretString};

macro_rules! secret_type {
    ($(#[$meta:meta])* $name:ident) => {
        $(#[$meta])*
        #[derive(Clone)]
        pub struct $name(SecretString);

        impl $name {
            /// Wraps a secret value.
            pub fn new(value: impl Into<String>) -> Self {
                Self(SecretString::from(value.into()))
            }

            /// Returns the secret itself.
            ///
            /// Call this only where the plain value is needed (a header, an HMAC key); never
            /// log or format the result.
            pub fn expose_secret(&self) -> &str {
                self.0.expose_secret()
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(concat!(stringify!($name), "([REDACTED])"))
            }
        }

        impl From<&str> for $name {
            fn from(value: &str) -> Self {
                Self(SecretString::from(value))
            }
        }

        impl From<String> for $name {
            fn from(value: String) -> Self {
                Self(SecretString::from(value))
            }
        }

        impl From<SecretString> for $name {
            fn from(value: SecretString) -> Self {
                Self(value)
            }
        }

        impl From<&$name> for $name {
            fn from(value: &$name) -> Self {
                value.clone()
            }
        }
    };
}

secret_type! {
    /// A Graph API access token: a system-user, business, Page, user or Instagram token.
    ///
    /// ```
    /// use meta_messaging_core::AccessToken;
    ///
    /// let token = AccessToken::new("EAAG-secret-value");
    /// assert_eq!(format!("{token:?}"), "AccessToken([REDACTED])");
    /// ```
    AccessToken
}

secret_type! {
    /// A Meta app secret: the key of webhook signatures and of `appsecret_proof`.
    ///
    /// ```
    /// use meta_messaging_core::AppSecret;
    ///
    /// let secret = AppSecret::from("0123456789abcdef");
    /// assert!(!format!("{secret:?}").contains("0123"));
    /// ```
    AppSecret
}

secret_type! {
    /// The verify token you chose when subscribing a webhook; Meta echoes it in the
    /// `hub.verify_token` query parameter of the subscription handshake.
    VerifyToken
}

secret_type! {
    /// Any secret held by the token vault (`meta_messaging::token`): an access token, an app secret, an
    /// API key.
    SecretValue
}

impl From<AccessToken> for SecretValue {
    fn from(token: AccessToken) -> Self {
        Self(token.0)
    }
}

impl From<AppSecret> for SecretValue {
    fn from(secret: AppSecret) -> Self {
        Self(secret.0)
    }
}

impl From<SecretValue> for AccessToken {
    fn from(value: SecretValue) -> Self {
        Self(value.0)
    }
}

impl From<SecretValue> for AppSecret {
    fn from(value: SecretValue) -> Self {
        Self(value.0)
    }
}

impl<'de> serde::Deserialize<'de> for AccessToken {
    /// Reads a token from a Graph response (`{"access_token": "..."}`).
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        String::deserialize(d).map(Self::new)
    }
}

/// Pre-keyed HMAC-SHA256 states of one or more app secrets (a rotation): what the webhook
/// `Verifier` and the Flows data endpoint check `X-Hub-Signature-256` (and the Flows
/// `flow_token_signature`) with. Empty or whitespace-only secrets are never keys.
#[derive(Clone, Default)]
#[doc(hidden)]
pub struct HmacKeys(Vec<hmac::Hmac<sha2::Sha256>>);

impl HmacKeys {
    /// Adds the key of `secret`, unless it is blank; whether it was added.
    #[doc(hidden)]
    pub fn add(&mut self, secret: &AppSecret) -> bool {
        use hmac::Mac;
        let text = secret.expose_secret();
        if text.trim().is_empty() {
            return false;
        }
        self.0.push(hmac::Hmac::new_from_slice(text.as_bytes()).expect("HMAC takes keys of any length"));
        true
    }

    /// How many keys there are.
    #[doc(hidden)]
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Whether there is no key.
    #[doc(hidden)]
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Whether `check` holds for one of the keys (for MACs over a transformed message).
    #[doc(hidden)]
    pub fn any(&self, check: impl FnMut(&hmac::Hmac<sha2::Sha256>) -> bool) -> bool {
        self.0.iter().any(check)
    }

    /// Whether `tag` is the HMAC-SHA256 of `message` under one of the keys (constant time).
    #[doc(hidden)]
    pub fn matches(&self, message: &[u8], tag: &[u8; 32]) -> bool {
        use hmac::Mac;
        self.any(|key| key.clone().chain_update(message).verify_slice(tag).is_ok())
    }

    /// `sha256=<hex>` of `body` under the first key, as Meta sends it; empty without a key.
    #[doc(hidden)]
    pub fn sign(&self, body: &[u8]) -> String {
        use hmac::Mac;
        let Some(key) = self.0.first() else { return String::new() };
        format!("sha256={}", crate::util::hex_encode(&key.clone().chain_update(body).finalize().into_bytes()))
    }

    /// Whether `header` is `sha256=<64 hex>` of `body` under one of the keys.
    #[doc(hidden)]
    pub fn verify_header(&self, body: &[u8], header: &str) -> bool {
        let Some(hex) = header.trim().strip_prefix("sha256=") else { return false };
        crate::util::hex_decode_array::<32>(hex.as_bytes()).is_some_and(|tag| self.matches(body, &tag))
    }
}

impl fmt::Debug for HmacKeys {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "HmacKeys({} key(s))", self.0.len())
    }
}
