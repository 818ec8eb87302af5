//! The crate's integration tests: one binary, one module per area.

mod graph_client;
mod graph_errors;
mod graph_paging;
mod graph_retry;
mod secrets;
mod support;
mod webhook_hostile;
mod webhook_parse;
mod webhook_verify;
