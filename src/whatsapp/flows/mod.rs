//! WhatsApp Flows: manage them through the Graph API (list, create or clone, read, update,
//! upload the Flow JSON, publish, deprecate, delete, preview, metrics; the business encryption
//! key), and, with feature `flows`, answer their encrypted data endpoint
#![cfg_attr(feature = "flows", doc = "([`FlowEndpoint`]).")]
#![cfg_attr(not(feature = "flows"), doc = "(`FlowEndpoint`).")]
//!
//! Management per Meta's [Flows API](https://developers.facebook.com/docs/whatsapp/flows/reference/flowsapi)
//! reference; the calls hang off [`WhatsAppBusinessAccount`](super::WhatsAppBusinessAccount) and,
//! for the encryption key, [`WhatsApp`](super::WhatsApp).

#[cfg(feature = "flows")]
mod endpoint;
mod manage;
#[cfg(feature = "flows")]
mod token_signature;

#[cfg(feature = "flows")]
pub use endpoint::*;
pub use manage::*;
#[cfg(feature = "flows")]
pub use token_signature::{sign_flow_token, verify_flow_token};
