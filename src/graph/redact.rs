//! Scrubbing of secrets from text that may end up in an error message or a log line.
//!
//! Meta's own error messages sometimes quote the token they rejected ("Malformed access token
//! EAAG…"), so every message and body kept in an [`Error`](crate::Error) passes through
//! [`scrub`] first: the exact secrets of the request are replaced, and so is anything shaped like
//! a Meta access token.

const REDACTED: &str = "[REDACTED]";

/// Prefixes of Meta access tokens: Facebook user, Page and system-user tokens start with `EAA`,
/// Instagram-Login tokens with `IGQ` or `IGAA`.
const TOKEN_PREFIXES: [&str; 3] = ["EAA", "IGQ", "IGAA"];

/// How many token characters after a prefix make a match: short words such as `EAAB` in prose
/// stay readable, real tokens (150+ characters) never slip through.
const MIN_TOKEN_TAIL: usize = 16;

fn is_token_char(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_' || b == b'-'
}

/// Returns `text` with every occurrence of `secrets` (those of 8 or more bytes) and every
/// token-shaped word replaced by `[REDACTED]`.
pub(crate) fn scrub(text: &str, secrets: &[&str]) -> String {
    let mut out = text.to_owned();
    for secret in secrets {
        if secret.len() >= 8 && out.contains(secret) {
            out = out.replace(secret, REDACTED);
        }
    }
    if TOKEN_PREFIXES.iter().any(|p| out.contains(p)) {
        out = scrub_token_shapes(&out);
    }
    out
}

fn scrub_token_shapes(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = String::with_capacity(text.len());
    let mut copied = 0;
    let mut i = 0;
    while i < bytes.len() {
        let at_word_start = i == 0 || !is_token_char(bytes[i - 1]);
        let prefix = if at_word_start {
            TOKEN_PREFIXES.iter().find(|p| bytes[i..].starts_with(p.as_bytes()))
        } else {
            None
        };
        if let Some(prefix) = prefix {
            let start = i;
            let mut end = i + prefix.len();
            while end < bytes.len() && is_token_char(bytes[end]) {
                end += 1;
            }
            if end - start - prefix.len() >= MIN_TOKEN_TAIL {
                out.push_str(&text[copied..start]);
                out.push_str(REDACTED);
                copied = end;
            }
            i = end;
        } else {
            i += 1;
        }
    }
    out.push_str(&text[copied..]);
    out
}

#[cfg(test)]
mod tests {
    use super::scrub;

    #[test]
    fn removes_exact_secrets_and_token_shapes() {
        let msg = "Malformed access token EAAGm0PX4ZCpsBAKZAnotARealTokenZDZD, app s3cr3t-value-1";
        let out = scrub(msg, &["s3cr3t-value-1"]);
        assert_eq!(out, "Malformed access token [REDACTED], app [REDACTED]");
        let ig = scrub("bad IGQVJWZA1234567890abcdefXYZ token", &[]);
        assert_eq!(ig, "bad [REDACTED] token");
    }

    #[test]
    fn leaves_ordinary_text_alone() {
        for text in
            ["EAAB is short", "(#100) Invalid parameter", "xEAAGm0PX4ZCpsBAKZAnotAReal", "ünïcödé EAA"]
        {
            assert_eq!(scrub(text, &["short"]), text);
        }
    }
}
