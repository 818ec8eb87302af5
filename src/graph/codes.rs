//! The one table that maps Meta's error codes to an [`ErrorKind`].
//!
//! Sources: Graph API [Handling errors](https://developers.facebook.com/docs/graph-api/guides/error-handling),
//! the [WhatsApp Cloud API error codes](https://developers.facebook.com/docs/whatsapp/cloud-api/support/error-codes)
//! and the [Messenger Platform error codes](https://developers.facebook.com/docs/messenger-platform/error-codes). Meta builds its
//! own handling on `code` (plus `error_data.details`); `error_subcode` matters only for 190 and
//! Messenger's window errors, and the HTTP status is secondary.

use super::ErrorKind;

/// Classifies a Graph error object. `http_status` breaks ties for codes Meta reuses.
pub(crate) fn classify(code: i64, subcode: Option<i64>, is_transient: bool) -> ErrorKind {
    match code {
        // Access token expired, invalid or revoked (190 with subcodes 458, 459, 460, 463, 464,
        // 467, ...), session key invalid (102), AuthException (0).
        0 | 102 | 190 => ErrorKind::Auth,
        // Application, user, page, custom and business-use-case rate limits; WhatsApp
        // throughput (130429), spam rate limit (131048), pair rate limit (131056) and flow
        // throttling (132069).
        4 | 17 | 32 | 341 | 613 | 80_001..=80_014 | 130_429 | 131_048 | 131_056 | 132_069 => {
            ErrorKind::RateLimited
        }
        // Outside the 24-hour customer-service window: WhatsApp re-engagement (131047) and
        // Messenger's "outside of allowed window" (code 10 or 2018278 with that subcode).
        131_047 | 2_018_108 | 2_018_278 => ErrorKind::OutsideWindow,
        // Messenger 2018278 / 2018065 and Instagram 2534022: outside the allowed window.
        10 if matches!(subcode, Some(2_018_278 | 2_018_065 | 2_534_022)) => ErrorKind::OutsideWindow,
        10 if subcode == Some(2_018_108) => ErrorKind::Undeliverable,
        // Permission errors.
        3 | 10 | 200..=299 | 368 | 131_005 | 131_031 => ErrorKind::Permission,
        // Calling (the Calling API's troubleshooting page): limits on concurrent calls, call
        // rate, permission requests and business-initiated calls per day.
        138_002 | 138_005 | 138_009 | 138_012 => ErrorKind::RateLimited,
        // Calling not enabled or not available, no approved call permission from the user
        // (138006), calling disabled for quality or the messaging limit, SIP or webhook
        // prerequisites not met.
        138_000 | 138_006 | 138_013 | 138_014 | 138_015 | 138_018 | 138_024 | 138_025 => {
            ErrorKind::Permission
        }
        // The user cannot be called.
        138_001 => ErrorKind::Undeliverable,
        // A duplicate call; a permanent permission that already exists.
        138_003 | 138_017 => ErrorKind::InvalidRequest,
        // Temporary failures on Meta's side; calling's connection errors and timeouts, and the
        // failures a `terminate` webhook reports (setup, relay, media timeouts, no media).
        1 | 2 | 1200 | 131_000 | 131_016 | 131_057 | 133_004 | 138_004 | 138_007 | 138_019..=138_023 => {
            ErrorKind::Transient
        }
        _ if is_transient => ErrorKind::Transient,
        // Template problems (count mismatch, missing, paused, disabled, ...).
        132_000..=132_999 => ErrorKind::Template,
        // The recipient cannot get this message (not on WhatsApp, blocked, opted out, not in the
        // test allow-list, per-user marketing limit, person unavailable on Messenger, ...).
        551 | 130_472 | 131_026 | 131_030 | 131_049 | 131_050 | 137_000 | 2_018_001 => {
            ErrorKind::Undeliverable
        }
        // The request itself is wrong.
        33 | 100 | 131_008 | 131_009 | 131_021 | 131_051 | 131_052 | 131_053 | 135_000 => {
            ErrorKind::InvalidRequest
        }
        _ => ErrorKind::Api,
    }
}

/// Classifies an HTTP error response without a parseable Graph error object.
pub(crate) fn classify_status(status: u16) -> ErrorKind {
    match status {
        429 => ErrorKind::RateLimited,
        500..=599 => ErrorKind::Transient,
        401 => ErrorKind::Auth,
        403 => ErrorKind::Permission,
        _ => ErrorKind::Api,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_rows() {
        let rows: &[(i64, Option<i64>, bool, ErrorKind)] = &[
            (190, Some(463), false, ErrorKind::Auth),
            (102, None, false, ErrorKind::Auth),
            (4, None, false, ErrorKind::RateLimited),
            (80_007, None, false, ErrorKind::RateLimited),
            (130_429, None, false, ErrorKind::RateLimited),
            (131_056, Some(2_494_055), false, ErrorKind::RateLimited),
            (131_047, None, false, ErrorKind::OutsideWindow),
            (10, Some(2_018_278), false, ErrorKind::OutsideWindow),
            (10, None, false, ErrorKind::Permission),
            (250, None, false, ErrorKind::Permission),
            (2, None, true, ErrorKind::Transient),
            (131_000, None, false, ErrorKind::Transient),
            (999_999, None, true, ErrorKind::Transient),
            (132_001, None, false, ErrorKind::Template),
            (132_069, None, false, ErrorKind::RateLimited),
            (131_026, None, false, ErrorKind::Undeliverable),
            (100, Some(33), false, ErrorKind::InvalidRequest),
            (138_006, None, false, ErrorKind::Permission),
            (138_012, None, false, ErrorKind::RateLimited),
            (138_001, None, false, ErrorKind::Undeliverable),
            (138_017, None, false, ErrorKind::InvalidRequest),
            (138_021, None, false, ErrorKind::Transient),
            (999_999, None, false, ErrorKind::Api),
        ];
        for (code, subcode, transient, kind) in rows {
            assert_eq!(classify(*code, *subcode, *transient), *kind, "code {code}");
        }
    }

    #[test]
    fn status_only() {
        assert_eq!(classify_status(502), ErrorKind::Transient);
        assert_eq!(classify_status(429), ErrorKind::RateLimited);
        assert_eq!(classify_status(404), ErrorKind::Api);
    }
}
