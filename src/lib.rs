#![doc = include_str!("../README.md")]
#![cfg_attr(docsrs, feature(doc_cfg))]

#[cfg(feature = "actix")]
pub mod actix;
#[cfg(feature = "axum")]
pub mod axum;
#[doc(inline)]
pub use meta_messaging_core::clock;
pub mod delivery;
#[cfg(feature = "tower")]
pub mod endpoint;
#[cfg(all(feature = "flows", feature = "tower"))]
pub mod flow_service;
pub mod graph;
pub mod identity;
pub mod instagram;
pub mod messenger;
pub mod pacing;
pub mod store;
pub mod telemetry;
#[cfg(feature = "testing")]
pub mod testing;
pub mod token;
#[doc(inline)]
pub use meta_messaging_webhook as webhook;
pub mod whatsapp;

pub use graph::{Client, ClientBuilder, Error, ErrorKind, Platform, Result, Timestamp};
pub use meta_messaging_core::{AccessToken, AppSecret, SecretValue, VerifyToken};

// The crates below this one, under the names this crate's modules use (`crate::util`, ...).
use meta_messaging_core::{secret, util};
use meta_messaging_model::{envelope, user};
