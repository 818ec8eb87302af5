//! `meta-messaging`: the operator's tool for a relay built on the `meta-messaging` crate.
//!
//! It reads its configuration from the environment, or from a file of `NAME=value` lines given
//! with `--config` (the environment wins). It never prints a stored secret: the only secrets it
//! writes are the ones it was asked to create (`vault key generate`, `token exchange`). Every
//! error exits non-zero with one line on stderr.

// Doc comments here are the `--help` text, read in a terminal: variable names stay bare.
#![allow(clippy::doc_markdown)]

mod config;
mod deliveries;
mod graph;
mod tenant;
mod vault;
mod webhook;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

use crate::config::Config;

/// Operate a meta-messaging deployment: its token vault, delivery queues, webhooks and Graph
/// credentials.
#[derive(Parser)]
#[command(name = "meta-messaging", version)]
struct Cli {
    /// A file of `NAME=value` lines; the environment overrides it.
    #[arg(long, global = true, value_name = "FILE")]
    config: Option<std::path::PathBuf>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// The token vault (META_MESSAGING_VAULT_URL, META_MESSAGING_VAULT_KEYS).
    #[command(subcommand)]
    Vault(vault::VaultCommand),
    /// Erase a tenant from every configured store: vault, delivery queue, messaging windows.
    #[command(subcommand)]
    Tenant(tenant::TenantCommand),
    /// Durable delivery queues (META_MESSAGING_QUEUE_URL).
    #[command(subcommand)]
    Deliveries(deliveries::DeliveriesCommand),
    /// Sign, verify and read webhook bodies (META_APP_SECRET).
    #[command(subcommand)]
    Webhook(webhook::WebhookCommand),
    /// Send a test message (META_ACCESS_TOKEN, META_PHONE_NUMBER_ID).
    #[command(subcommand)]
    Send(graph::SendCommand),
    /// Inspect and exchange access tokens (META_APP_ID, META_APP_SECRET).
    #[command(subcommand)]
    Token(graph::TokenCommand),
}

/// A failure to report: one line, no secret, exit code 1.
#[derive(Debug)]
struct CliError(String);

impl<E: std::fmt::Display> From<E> for CliError {
    fn from(error: E) -> Self {
        Self(error.to_string())
    }
}

type CliResult = Result<(), CliError>;

fn main() -> ExitCode {
    let cli = Cli::parse();
    let runtime = match tokio::runtime::Builder::new_current_thread().enable_all().build() {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("error: could not start the async runtime: {error}");
            return ExitCode::FAILURE;
        }
    };
    let outcome = runtime.block_on(async move {
        let config = Config::load(cli.config.as_deref())?;
        match cli.command {
            Command::Vault(command) => vault::run(command, &config).await,
            Command::Deliveries(command) => deliveries::run(command, &config).await,
            Command::Tenant(command) => tenant::run(command, &config).await,
            Command::Webhook(command) => webhook::run(command, &config),
            Command::Send(command) => graph::send(command, &config).await,
            Command::Token(command) => graph::token(command, &config).await,
        }
    });
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        Err(CliError(message)) => {
            eprintln!("error: {message}");
            ExitCode::FAILURE
        }
    }
}

/// Asks for confirmation of a destructive command: `--yes`, or the expected word on stdin.
fn confirm(yes: bool, what: &str, expected: &str) -> CliResult {
    if yes {
        return Ok(());
    }
    eprintln!("{what}: type `{expected}` to confirm (or pass --yes)");
    let mut answer = String::new();
    std::io::stdin().read_line(&mut answer)?;
    if answer.trim() == expected {
        Ok(())
    } else {
        Err(CliError(format!("not confirmed; nothing was changed ({what})")))
    }
}
