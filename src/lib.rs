#![doc = include_str!("../README.md")]
#![cfg_attr(docsrs, feature(doc_cfg))]

pub mod graph;
mod secret;
mod util;

pub use graph::{Client, ClientBuilder, Error, ErrorKind, Result};
pub use secret::{AccessToken, AppSecret, VerifyToken};
