//! The values every platform's models share: [`Timestamp`], [`Platform`], and raw JSON kept as
//! sent ([`RawJson`], [`Lazy`]).

mod platform;
mod raw;
#[doc(hidden)]
pub mod serde_util;
mod time;

pub use platform::Platform;
pub use raw::{Lazy, RawJson};
pub use time::Timestamp;
