//! Broker destinations against real servers: NATS with JetStream (feature `nats`) and RabbitMQ
//! (feature `amqp`).
//!
//! Opt in with `cargo test --features nats,amqp --test brokers` and
//! `META_MESSAGING_NATS_URL=nats://127.0.0.1:4222`,
//! `META_MESSAGING_AMQP_URL=amqp://guest:guest@127.0.0.1:5672/%2f`. With a feature on and its
//! variable unset, or its server unreachable, every test of that broker fails loudly: nothing is
//! skipped. The restart tests also need the `nats-server` program (a server of their own, killed
//! and restarted) and `rabbitmqctl` (the machine's broker application stopped and started).
//!
//! The end-to-end tests drive the relay program (`examples/relay.rs`) built with the same
//! features: `cargo build --example relay --features nats,amqp` first.
#![cfg(any(feature = "nats", feature = "amqp"))]
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[cfg(feature = "amqp")]
mod amqp;
mod harness;
#[cfg(feature = "nats")]
mod nats;
