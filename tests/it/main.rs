//! The crate's integration tests: one binary, one module per area.

// Test code: panicking on unexpected values is the point, exact float values come from fixtures,
// and helpers are `pub` only for sibling modules.
#![allow(
    clippy::unwrap_used,
    clippy::float_cmp,
    clippy::cast_possible_truncation,
    clippy::items_after_statements,
    clippy::doc_markdown,
    clippy::redundant_closure_for_method_calls,
    clippy::cast_possible_wrap,
    clippy::unreadable_literal,
    clippy::needless_pass_by_value,
    clippy::format_collect,
    unreachable_pub
)]

mod account_2026;
mod actix_server;
mod axum_router;
mod calling;
mod coexistence;
mod commerce;
mod conformance;
mod conversation_routing;
mod delivery;
mod delivery_ops;
mod endpoint;
mod erasure;
mod flow_management;
mod flows;
mod graph_client;
mod graph_errors;
mod graph_paging;
mod graph_retry;
mod groups;
mod identity;
mod marketing;
mod messenger_marketing;
mod messenger_send;
mod one_walk;
mod pacing;
mod payments_india;
mod properties;
mod secrets;
mod support;
mod surface_2026;
mod testing_kit;
mod token_envelope;
mod token_lifecycle;
mod token_store;
mod usernames;
mod webhook_fields;
mod webhook_hostile;
mod webhook_parse;
mod webhook_verify;
mod whatsapp_insights;
mod whatsapp_manage;
mod whatsapp_management;
mod whatsapp_send;
