//! Hostile and random bodies: typed errors, never a panic.

use meta_messaging::webhook::{self, ParseError, Webhook};

use crate::support::fixture;

type Expectation = fn(&Result<Webhook, ParseError>) -> bool;

#[test]
fn every_bad_corpus_file_gets_a_typed_error_or_a_documented_value() {
    let expectations: &[(&str, Expectation)] = &[
        ("bad_comments.json", |r| matches!(r, Err(ParseError::InvalidJson { .. }))),
        (
            "bad_deep_nesting_arrays.json",
            |r| matches!(r, Err(ParseError::InvalidJson { reason }) if reason.contains("recursion limit")),
        ),
        // Duplicate keys: the last value wins, as in serde_json::Value (documented).
        ("bad_duplicate_keys.json", |r| r.is_ok()),
        ("bad_entry_not_array.json", |r| matches!(r, Err(ParseError::EntryNotArray))),
        ("bad_huge_numbers.json", |r| matches!(r, Err(ParseError::InvalidJson { .. }))),
        ("bad_invalid_utf8.bin", |r| matches!(r, Err(ParseError::InvalidUtf8 { .. }))),
        // Wrong types inside one element: the element is kept raw, the envelope parses.
        ("bad_messaging_wrong_types.json", |r| matches!(r, Ok(Webhook::Messenger(_)))),
        ("bad_null_where_objects_expected.json", |r| matches!(r, Ok(Webhook::WhatsApp(_)))),
        ("bad_object_wrong_type.json", |r| matches!(r, Err(ParseError::ObjectNotString))),
        ("bad_truncated_mid_utf8.bin", |r| matches!(r, Err(ParseError::InvalidUtf8 { .. }))),
        ("bad_unclosed_deep.json", |r| matches!(r, Err(ParseError::InvalidJson { .. }))),
        ("bad_whitespace_only.json", |r| matches!(r, Err(ParseError::InvalidJson { .. }))),
    ];
    let folder = crate::support::fixture_path("corpus/bad");
    let files = std::fs::read_dir(folder).unwrap().filter(|f| {
        let name = f.as_ref().unwrap().file_name();
        name != "README.md"
    });
    assert_eq!(files.count(), expectations.len(), "every bad file has an expectation");
    for (file, expected) in expectations {
        let result = webhook::parse(&fixture(&format!("corpus/bad/{file}")));
        assert!(expected(&result), "{file}: {result:?}");
        if let Err(error) = &result {
            assert!(!error.to_string().is_empty());
        }
    }
}

#[test]
fn elements_of_the_null_and_wrong_type_bodies_are_kept() {
    let parsed = webhook::parse(&fixture("corpus/bad/bad_messaging_wrong_types.json")).unwrap();
    let kinds: Vec<String> = parsed.events().map(|e| e.kind().to_string()).collect();
    assert_eq!(kinds.len(), 1, "{kinds:?}");
    assert!(kinds[0].starts_with("messenger."), "{kinds:?}");
    let parsed = webhook::parse(&fixture("corpus/bad/bad_null_where_objects_expected.json")).unwrap();
    for event in parsed.events() {
        assert!(event.kind().to_string().starts_with("whatsapp."));
    }
}

#[test]
fn envelope_errors() {
    let cases: &[(&[u8], ParseError)] = &[
        (b"[]", ParseError::NotAnObject),
        (b"\"x\"", ParseError::NotAnObject),
        (br#"{"entry":[]}"#, ParseError::MissingObject),
        (br#"{"object":null,"entry":[]}"#, ParseError::ObjectNotString),
        (br#"{"object":"page"}"#, ParseError::EntryNotArray),
        (br#"{"object":"page","entry":{}}"#, ParseError::EntryNotArray),
        (br#"{"object":"user","entry":7}"#, ParseError::EntryNotArray),
        (br#"{"entry":"x","object":"whatsapp_business_account"}"#, ParseError::EntryNotArray),
    ];
    for (body, error) in cases {
        assert_eq!(&webhook::parse(body).unwrap_err(), error, "{}", String::from_utf8_lossy(body));
    }
    let lone_surrogate = br#"{"object":"page","entry":[{"id":"\ud800"}]}"#;
    assert!(matches!(webhook::parse(lone_surrogate), Err(ParseError::InvalidJson { .. }) | Ok(_)));
    assert_eq!(
        webhook::parse(b"").unwrap_err().to_string(),
        "webhook body is not valid json: unexpected end of input at line 1 column 0"
    );
}

/// A small deterministic generator (xorshift), so failures reproduce.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

#[test]
fn random_bytes_and_mutated_fixtures_never_panic() {
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    let seeds: Vec<Vec<u8>> = [
        "corpus/webhooks/wa_message_interactive_button_reply.json",
        "corpus/webhooks/ig_multi_entry_mixed.json",
        "webhooks/messenger/msgr_batch_two_pages.json",
        "webhooks/whatsapp/wa_batch_2_entries_2_changes.json",
    ]
    .iter()
    .map(|f| fixture(f))
    .collect();
    const ALPHABET: &[u8] = b"{}[]\",:0123456789.-eE truefalsnul\\u/\x00\xff";
    let mut parsed_ok = 0;
    for round in 0..6000 {
        let body: Vec<u8> = if round % 3 == 0 {
            let len = rng.below(300);
            (0..len).map(|_| ALPHABET[rng.below(ALPHABET.len())]).collect()
        } else {
            let mut body = seeds[rng.below(seeds.len())].clone();
            for _ in 0..=rng.below(4) {
                let at = rng.below(body.len());
                match rng.below(4) {
                    0 => body[at] = ALPHABET[rng.below(ALPHABET.len())],
                    1 => body.truncate(at),
                    2 => {
                        body.remove(at);
                    }
                    _ => body.insert(at, ALPHABET[rng.below(ALPHABET.len())]),
                }
                if body.is_empty() {
                    break;
                }
            }
            body
        };
        if let Ok(webhook) = webhook::parse(&body) {
            parsed_ok += 1;
            for event in webhook.events() {
                let _ = (event.kind().to_string(), event.sender(), event.text(), event.dedupe_key());
            }
        }
    }
    assert!(parsed_ok > 100, "mutations should often stay parseable: {parsed_ok}");
}
