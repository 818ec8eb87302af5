//! `webhook`: sign a body for a test, verify a captured body against its header, print events.

use std::path::PathBuf;

use clap::Subcommand;
use meta_messaging::webhook::{self, Verifier};

use crate::config::{APP_SECRET, Config};
use crate::{CliError, CliResult};

#[derive(Subcommand)]
pub(crate) enum WebhookCommand {
    /// Prints the `X-Hub-Signature-256` value Meta would send for a body.
    Sign {
        /// The body (`-` for stdin).
        body: PathBuf,
    },
    /// Verifies a captured body against its `X-Hub-Signature-256` value and prints its events.
    Verify {
        /// The body, byte for byte as received (`-` for stdin).
        body: PathBuf,
        /// The header's value (`sha256=...`).
        #[arg(long)]
        signature: String,
    },
    /// Prints the events of a body without verifying it.
    Events {
        /// The body (`-` for stdin).
        body: PathBuf,
    },
}

fn read(path: &PathBuf) -> Result<Vec<u8>, CliError> {
    if path.as_os_str() == "-" {
        let mut body = Vec::new();
        std::io::Read::read_to_end(&mut std::io::stdin(), &mut body)?;
        return Ok(body);
    }
    std::fs::read(path).map_err(|e| CliError(format!("cannot read {}: {e}", path.display())))
}

fn print_events(body: &[u8]) -> CliResult {
    let parsed = webhook::parse(body)?;
    let mut count = 0;
    for event in parsed.events() {
        count += 1;
        // Kind, sender and dedupe key: enough to find the event; never its text.
        println!(
            "{}\tfrom={}\tkey={}",
            event.kind(),
            event.sender().unwrap_or("-"),
            event.dedupe_key().as_deref().unwrap_or("-"),
        );
    }
    eprintln!("{count} event(s)");
    Ok(())
}

pub(crate) fn run(command: WebhookCommand, config: &Config) -> CliResult {
    match command {
        WebhookCommand::Sign { body } => {
            let verifier = Verifier::try_new(config.require(APP_SECRET)?.as_str())?;
            println!("{}", verifier.sign(&read(&body)?));
        }
        WebhookCommand::Verify { body, signature } => {
            let verifier = Verifier::try_new(config.require(APP_SECRET)?.as_str())?;
            let body = read(&body)?;
            verifier
                .verify(&body, &signature)
                .map_err(|e| CliError(format!("the signature does not verify: {e}")))?;
            eprintln!("signature ok");
            print_events(&body)?;
        }
        WebhookCommand::Events { body } => print_events(&read(&body)?)?,
    }
    Ok(())
}
