#![doc = include_str!("../README.md")]
#![cfg_attr(docsrs, feature(doc_cfg))]

#[cfg(feature = "actix")]
pub mod actix;
#[cfg(feature = "axum")]
pub mod axum;
pub mod clock;
pub mod delivery;
#[cfg(feature = "tower")]
pub mod endpoint;
mod envelope;
#[cfg(all(feature = "flows", feature = "tower"))]
pub mod flow_service;
pub mod graph;
pub mod identity;
pub mod instagram;
pub mod messenger;
pub mod pacing;
mod secret;
pub mod store;
pub mod telemetry;
#[cfg(feature = "testing")]
pub mod testing;
pub mod token;
mod user;
mod util;
pub mod webhook;
pub mod whatsapp;

pub use graph::{Client, ClientBuilder, Error, ErrorKind, Platform, Result, Timestamp};
pub use secret::{AccessToken, AppSecret, SecretValue, VerifyToken};
