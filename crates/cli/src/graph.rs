//! `send` and `token`: a test message, and the token endpoints.

use clap::Subcommand;
use meta_messaging::whatsapp::{Message, Template};
use meta_messaging::{AccessToken, Client};

use crate::config::{ACCESS_TOKEN, APP_ID, APP_SECRET, Config, GRAPH_URL, PHONE_NUMBER_ID};
use crate::{CliError, CliResult};

#[derive(Subcommand)]
pub(crate) enum SendCommand {
    /// A WhatsApp text message.
    Text {
        /// The recipient's phone number.
        #[arg(long)]
        to: String,
        /// The text.
        #[arg(long)]
        text: String,
    },
    /// A WhatsApp template message without parameters.
    Template {
        /// The recipient's phone number.
        #[arg(long)]
        to: String,
        /// The template's name.
        #[arg(long)]
        name: String,
        /// Its language code.
        #[arg(long, default_value = "en_US")]
        language: String,
    },
}

#[derive(Subcommand)]
pub(crate) enum TokenCommand {
    /// Shows what Meta knows about a token (`debug_token`): app, type, validity, expiry,
    /// scopes. The token is META_ACCESS_TOKEN unless given.
    Debug {
        /// The token to inspect (prefer --token-stdin or the environment: arguments show in
        /// process lists).
        #[arg(long, conflicts_with = "token_stdin")]
        token: Option<String>,
        /// Reads the token from standard input (its first line).
        #[arg(long)]
        token_stdin: bool,
    },
    /// Exchanges a short-lived user token for a long-lived one and prints it (a secret).
    Exchange {
        /// The short-lived token (META_ACCESS_TOKEN unless given).
        #[arg(long, conflicts_with = "token_stdin")]
        token: Option<String>,
        /// Reads the token from standard input (its first line).
        #[arg(long)]
        token_stdin: bool,
    },
}

fn client(config: &Config, token: Option<String>) -> Result<Client, CliError> {
    let mut builder = Client::builder();
    if let Some(token) = token {
        builder = builder.access_token(token);
    }
    if let Some(secret) = config.get(APP_SECRET) {
        builder = builder.app_secret(secret);
    }
    if let Some(url) = config.get(GRAPH_URL) {
        builder = builder.base_url(url);
    }
    Ok(builder.build()?)
}

pub(crate) async fn send(command: SendCommand, config: &Config) -> CliResult {
    let client = client(config, Some(config.require(ACCESS_TOKEN)?))?;
    let wa = client.whatsapp(config.require(PHONE_NUMBER_ID)?);
    let (to, message) = match command {
        SendCommand::Text { to, text } => (to, Message::text(text)),
        SendCommand::Template { to, name, language } => {
            (to, Message::template(Template::new(name, language)))
        }
    };
    let sent = wa.send(to, message).await.map_err(|e| CliError(format!("the send failed: {e}")))?;
    match sent.message_id() {
        Some(id) => println!("sent {}", id.as_str()),
        None => println!("sent (Meta returned no message id)"),
    }
    Ok(())
}

pub(crate) async fn token(command: TokenCommand, config: &Config) -> CliResult {
    let oauth = |client: &Client| -> Result<_, CliError> {
        Ok(client.oauth(config.require(APP_ID)?, config.require(APP_SECRET)?))
    };
    let given = |token: Option<String>, stdin: bool| {
        if stdin {
            return read_token_from_stdin();
        }
        token.map_or_else(|| config.require(ACCESS_TOKEN), Ok)
    };
    match command {
        TokenCommand::Debug { token, token_stdin } => {
            let token = AccessToken::new(given(token, token_stdin)?);
            let client = client(config, None)?;
            let info = oauth(&client)?
                .debug_token(&token)
                .await
                .map_err(|e| CliError(format!("debug_token failed: {e}")))?
                .data;
            let when = |t: Option<meta_messaging::Timestamp>| {
                t.map_or_else(|| "-".to_owned(), |t| t.unix_seconds().to_string())
            };
            println!("valid\t{}", info.is_valid);
            println!("app\t{}", info.app_id.as_deref().unwrap_or("-"));
            println!("type\t{}", info.kind.as_deref().unwrap_or("-"));
            println!("expires\t{}", when(info.expires_at));
            println!("data_access_expires\t{}", when(info.data_access_expires_at));
            println!("scopes\t{}", info.scopes.join(","));
        }
        TokenCommand::Exchange { token, token_stdin } => {
            let token = AccessToken::new(given(token, token_stdin)?);
            let client = client(config, None)?;
            let answer = oauth(&client)?
                .exchange_long_lived(&token)
                .await
                .map_err(|e| CliError(format!("the exchange failed: {e}")))?;
            eprintln!("a long-lived token (a secret), expires in {:?} s", answer.expires_in);
            println!("{}", answer.access_token.expose_secret());
        }
    }
    Ok(())
}

/// The first line of standard input, trimmed: a token kept out of arguments and the environment.
fn read_token_from_stdin() -> Result<String, CliError> {
    let mut line = zeroize::Zeroizing::new(String::new());
    std::io::stdin()
        .read_line(&mut line)
        .map_err(|_| CliError("cannot read a token from standard input".to_owned()))?;
    let token = line.trim();
    if token.is_empty() {
        return Err(CliError("standard input held no token".to_owned()));
    }
    Ok(token.to_owned())
}
