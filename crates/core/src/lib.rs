//! What every layer of `meta-messaging` shares: secrets, injected time and the one store error.
//!
//! This crate is part of [`meta-messaging`](https://docs.rs/meta-messaging), which re-exports
//! every item here under the same path (`meta_messaging::AccessToken`,
//! `meta_messaging::clock::ManualClock`, `meta_messaging::store::StoreError`): most programs add
//! that crate.
//!
//! - [`secret`]: [`AccessToken`], [`AppSecret`], [`VerifyToken`], [`SecretValue`], wrapping
//!   `secrecy` strings (zeroized on drop, redacted `Debug`, no `Display`);
//! - [`clock`]: the [`Clock`](clock::Clock) that TTLs, expiry, pacing and leases read, so tests
//!   drive time by hand;
//! - [`store`]: [`StoreError`], the one error of every pluggable store.
#![cfg_attr(docsrs, feature(doc_cfg))]

pub mod clock;
pub mod secret;
pub mod store;
#[doc(hidden)]
pub mod util;

pub use secret::{AccessToken, AppSecret, SecretValue, VerifyToken};
pub use store::{StoreError, StoreErrorKind};

// What the modules of this crate name as `crate::…`, from the crate below it.
use meta_messaging_model::Timestamp;
