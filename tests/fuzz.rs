//! The fuzz targets under a mutation engine that runs on the stable toolchain, in every
//! `cargo test`: each target gets its seed corpus and then mutated inputs (bit flips, byte
//! insertions and deletions, splices of two inputs, JSON-ish tokens) for `FUZZ_SECONDS`
//! seconds (default 2; CI runs 30). A panic is a failure; the input that caused it is written
//! to `target/fuzz-crashes/` and named in the message. The libFuzzer binaries in `fuzz/` run
//! the same bodies coverage-guided (CI builds them on stable with SanitizerCoverage).

#[path = "../fuzz/src/lib.rs"]
#[allow(dead_code, unreachable_pub, missing_docs)]
mod targets;

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// Tokens worth splicing into inputs: JSON structure, escapes, numbers and Meta's keys.
const TOKENS: &[&[u8]] = &[
    b"{",
    b"}",
    b"[",
    b"]",
    b"\"",
    b",",
    b":",
    b"\\u00e9",
    b"\\ud83d\\ude00",
    b"\\",
    b"null",
    b"true",
    b"-1",
    b"1e308",
    b"99999999999999999999",
    b"\"entry\"",
    b"\"changes\"",
    b"\"messaging\"",
    b"\"value\"",
    b"\"messages\"",
    b"\"statuses\"",
    b"\"type\"",
    b"\"object\"",
    b"sha256=",
    b"v1,",
    b"\xff",
    b"\x00",
];

/// xorshift64*: reproducible from its seed.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    fn below(&mut self, n: usize) -> usize {
        usize::try_from(self.next() % (n.max(1) as u64)).unwrap_or(0)
    }
}

fn mutate(rng: &mut Rng, input: &mut Vec<u8>, corpus: &[Vec<u8>]) {
    for _ in 0..=rng.below(4) {
        match rng.below(7) {
            0 if !input.is_empty() => {
                let at = rng.below(input.len());
                input[at] ^= 1 << rng.below(8);
            }
            1 => {
                let at = rng.below(input.len() + 1);
                input.insert(at, u8::try_from(rng.below(256)).unwrap_or(0));
            }
            2 if !input.is_empty() => {
                let at = rng.below(input.len());
                let len = rng.below(16).min(input.len() - at);
                input.drain(at..at + len);
            }
            3 => {
                let token = TOKENS[rng.below(TOKENS.len())];
                let at = rng.below(input.len() + 1);
                input.splice(at..at, token.iter().copied());
            }
            4 if !corpus.is_empty() => {
                let other = &corpus[rng.below(corpus.len())];
                let at = rng.below(input.len() + 1);
                let from = rng.below(other.len() + 1);
                input.truncate(at);
                input.extend_from_slice(&other[from..]);
            }
            5 if !input.is_empty() => {
                let at = rng.below(input.len());
                let len = rng.below(32).min(input.len() - at);
                let chunk = input[at..at + len].to_vec();
                input.splice(at..at, chunk);
            }
            _ => input.truncate(rng.below(input.len() + 1)),
        }
    }
}

fn seconds() -> Duration {
    Duration::from_secs(std::env::var("FUZZ_SECONDS").ok().and_then(|s| s.parse().ok()).unwrap_or(2))
}

fn files(dir: &Path, out: &mut Vec<Vec<u8>>) {
    let Ok(entries) = std::fs::read_dir(dir) else { return };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            files(&path, out);
        } else if let Ok(bytes) = std::fs::read(&path) {
            out.push(bytes);
        }
    }
}

fn corpus(name: &str, extra: &[&str]) -> Vec<Vec<u8>> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut seeds = Vec::new();
    files(&root.join("fuzz/corpus").join(name), &mut seeds);
    for dir in extra {
        files(&root.join(dir), &mut seeds);
    }
    assert!(!seeds.is_empty(), "no seed corpus for {name}");
    seeds
}

/// Runs `target` over the seeds, then over mutations of them until the time is up.
fn fuzz(name: &str, seeds: &[Vec<u8>], target: impl Fn(&[u8])) {
    let seed = std::env::var("FUZZ_SEED").ok().and_then(|s| s.parse().ok()).unwrap_or(0x9E37_79B9_7F4A_7C15);
    let mut rng = Rng(seed);
    let deadline = Instant::now() + seconds();
    let mut runs = 0u64;
    let mut run = |input: &[u8]| {
        runs += 1;
        if catch_unwind(AssertUnwindSafe(|| target(input))).is_err() {
            let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/fuzz-crashes");
            std::fs::create_dir_all(&dir).ok();
            let file = dir.join(format!("{name}-{runs}.bin"));
            std::fs::write(&file, input).ok();
            panic!("{name}: a panic on input {} (FUZZ_SEED={seed})", file.display());
        }
    };
    for input in seeds {
        run(input);
    }
    let mut input = Vec::new();
    while Instant::now() < deadline {
        input.clear();
        input.extend_from_slice(&seeds[rng.below(seeds.len())]);
        mutate(&mut rng, &mut input, seeds);
        run(&input);
    }
    assert!(runs > seeds.len() as u64, "{name}: only the seeds ran");
    eprintln!("{name}: {runs} inputs in {:?}", seconds());
}

/// Splits an input into text fields and a body at `\n`, as the tuple targets take them.
fn split(input: &[u8], fields: usize) -> (Vec<String>, &[u8]) {
    let mut parts = Vec::with_capacity(fields);
    let mut rest = input;
    for _ in 0..fields {
        let end = rest.iter().position(|b| *b == b'\n').unwrap_or(rest.len());
        parts.push(String::from_utf8_lossy(&rest[..end]).into_owned());
        rest = rest.get(end + 1..).unwrap_or_default();
    }
    (parts, rest)
}

#[test]
fn webhook_parse_never_panics() {
    let seeds = corpus("webhook_parse", &["tests/fixtures/webhooks", "tests/fixtures/corpus"]);
    fuzz("webhook_parse", &seeds, targets::webhook_parse);
}

#[test]
fn stored_events_never_panic() {
    // Seeds: the inbox records of every webhook fixture, as a worker reads them.
    let mut seeds = Vec::new();
    for body in corpus("webhook_parse", &["tests/fixtures/webhooks", "tests/fixtures/corpus"]) {
        if let Ok(webhook) = meta_messaging::webhook::parse(&body) {
            seeds.extend(
                meta_messaging::delivery::event_records(&body, &webhook).into_iter().map(|r| r.payload),
            );
        }
    }
    fuzz("stored_event", &seeds, targets::stored_event);
}

#[test]
fn signature_header_accepts_only_the_right_tag() {
    fuzz("signature_header", &corpus("signature_header", &[]), |input| {
        let (fields, body) = split(input, 1);
        targets::signature_header(&fields[0], body);
    });
}

#[test]
fn relay_signature_never_panics_and_its_own_signatures_verify() {
    fuzz("relay_signature", &corpus("relay_signature", &[]), |input| {
        let (fields, body) = split(input, 3);
        targets::relay_signature(&fields[0], &fields[1], &fields[2], body);
    });
}

#[test]
fn sealed_records_open_only_when_sealed_by_the_vault() {
    fuzz("sealed_record", &corpus("sealed_record", &[]), targets::sealed_record);
}

#[cfg(feature = "flows")]
#[test]
fn flow_requests_never_get_a_200_they_did_not_earn() {
    fuzz("flow_request", &corpus("flow_request", &[]), targets::flow_request);
}

#[test]
fn destination_urls_never_pass_a_refused_address() {
    fuzz("destination_url", &corpus("destination_url", &[]), |input| {
        targets::destination_url(&String::from_utf8_lossy(input));
    });
}

#[cfg(feature = "flows")]
#[test]
fn flow_token_signatures_verify_only_what_meta_signs() {
    fuzz("flow_token_signature", &corpus("flow_token_signature", &[]), |input| {
        targets::flow_token_signature(&String::from_utf8_lossy(input));
    });
}
