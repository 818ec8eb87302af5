//! Configuration: the environment, over an optional file of `NAME=value` lines.

use std::collections::HashMap;
use std::path::Path;

use crate::CliError;

/// The variables the tool reads.
pub(crate) const VAULT_URL: &str = "META_MESSAGING_VAULT_URL";
pub(crate) const VAULT_KEYS: &str = "META_MESSAGING_VAULT_KEYS";
/// Envelope mode: the key registry's store (apart from the records); `VAULT_KEYS` is then the KEK.
pub(crate) const VAULT_REGISTRY_URL: &str = "META_MESSAGING_VAULT_REGISTRY_URL";
pub(crate) const REDIS_PREFIX: &str = "META_MESSAGING_REDIS_PREFIX";
pub(crate) const QUEUE_URL: &str = "META_MESSAGING_QUEUE_URL";
/// The messaging-window store (`postgres://` or `redis://`), for `tenant erase`.
pub(crate) const WINDOW_URL: &str = "META_MESSAGING_WINDOW_URL";
/// The identity directory's store (`sqlite:`, `postgres://` or `redis://`), for `tenant erase`.
pub(crate) const IDENTITY_URL: &str = "META_MESSAGING_IDENTITY_URL";
pub(crate) const APP_SECRET: &str = "META_APP_SECRET";
pub(crate) const APP_ID: &str = "META_APP_ID";
pub(crate) const ACCESS_TOKEN: &str = "META_ACCESS_TOKEN";
pub(crate) const PHONE_NUMBER_ID: &str = "META_PHONE_NUMBER_ID";
pub(crate) const GRAPH_URL: &str = "META_GRAPH_URL";

/// Every variable, so a file cannot set anything else by mistake.
const KNOWN: [&str; 12] = [
    WINDOW_URL,
    IDENTITY_URL,
    VAULT_URL,
    VAULT_KEYS,
    VAULT_REGISTRY_URL,
    REDIS_PREFIX,
    QUEUE_URL,
    APP_SECRET,
    APP_ID,
    ACCESS_TOKEN,
    PHONE_NUMBER_ID,
    GRAPH_URL,
];

pub(crate) struct Config {
    file: HashMap<String, String>,
}

impl Config {
    pub(crate) fn load(path: Option<&Path>) -> Result<Self, CliError> {
        let mut file = HashMap::new();
        if let Some(path) = path {
            refuse_shared_file(path)?;
            let text = std::fs::read_to_string(path)
                .map_err(|e| CliError(format!("cannot read the config file {}: {e}", path.display())))?;
            for (number, line) in text.lines().enumerate() {
                let line = line.trim();
                if line.is_empty() || line.starts_with('#') {
                    continue;
                }
                let Some((name, value)) = line.split_once('=') else {
                    return Err(CliError(format!("{}:{}: expected NAME=value", path.display(), number + 1)));
                };
                let name = name.trim().trim_start_matches("export ").trim();
                if !KNOWN.contains(&name) {
                    // The line is not echoed: what was not understood may be a secret.
                    return Err(CliError(format!(
                        "{}:{}: not a known setting (see `meta-messaging --help`)",
                        path.display(),
                        number + 1
                    )));
                }
                let value = value.trim().trim_matches('"');
                file.insert(name.to_owned(), value.to_owned());
            }
        }
        Ok(Self { file })
    }

    /// A setting: the environment first, then the file; empty counts as unset.
    pub(crate) fn get(&self, name: &str) -> Option<String> {
        std::env::var(name).ok().or_else(|| self.file.get(name).cloned()).filter(|v| !v.trim().is_empty())
    }

    pub(crate) fn require(&self, name: &str) -> Result<String, CliError> {
        self.get(name).ok_or_else(|| CliError(format!("{name} is not set (environment or --config file)")))
    }
}

/// Refuses a config file that the group or others can read or write: it holds secrets.
#[cfg(unix)]
fn refuse_shared_file(path: &Path) -> Result<(), CliError> {
    use std::os::unix::fs::PermissionsExt;
    let metadata = std::fs::metadata(path)
        .map_err(|e| CliError(format!("cannot read the config file {}: {e}", path.display())))?;
    let mode = metadata.permissions().mode();
    if mode & 0o077 != 0 {
        return Err(CliError(format!(
            "the config file {} is readable or writable by others (mode {:o}): chmod 600 it",
            path.display(),
            mode & 0o777
        )));
    }
    Ok(())
}

#[cfg(not(unix))]
fn refuse_shared_file(_: &Path) -> Result<(), CliError> {
    Ok(())
}
