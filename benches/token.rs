//! Token store: encrypted get/put next to the raw AES-256-GCM floor.
//!
//! Floor (same run): a `HashMap` lookup of a sealed 200-byte token plus one AES-256-GCM open
//! with a 77-byte associated data, into a fresh buffer. Budget: the encrypted in-memory `get`
//! at most 1.5x. `put` is shown against a seal with a random nonce; SQLite for reference.
//!
//! Run: `cargo bench --bench token`.

use std::collections::HashMap;
use std::hint::black_box;

use criterion::{Criterion, Throughput};
use futures_util::FutureExt;
use meta_messaging::store::SqliteBlobStore;
use meta_messaging::token::{
    Channel, DataKey, EncryptedTokenStore, InMemoryBlobStore, Keyring, SecretKind, TokenKey, TokenRecord,
    TokenStore,
};
use ring::aead::{AES_256_GCM, Aad, LessSafeKey, Nonce, Tag, UnboundKey};

const BUDGET: f64 = 1.5;
const TOKEN_LEN: usize = 200;

fn token() -> String {
    "EAAG".chars().chain(std::iter::repeat_n('x', TOKEN_LEN - 4)).collect()
}

fn key() -> TokenKey {
    TokenKey::new("acme-eu-042", Channel::WhatsApp, "106540352242922", SecretKind::AccessToken)
}

struct Floor {
    cipher: LessSafeKey,
    map: HashMap<String, Vec<u8>>,
    aad: Vec<u8>,
}

impl Floor {
    fn new() -> Self {
        let cipher = LessSafeKey::new(UnboundKey::new(&AES_256_GCM, &[3u8; 32]).expect("key"));
        let aad = b"v1|tenant=acme-eu-042|channel=whatsapp:106540352242922|kind=system_user_token".to_vec();
        let mut sealed = vec![0u8; 12];
        let mut body = token().into_bytes();
        let tag = cipher
            .seal_in_place_separate_tag(Nonce::assume_unique_for_key([0u8; 12]), Aad::from(&aad), &mut body)
            .expect("seal");
        sealed.extend_from_slice(&body);
        sealed.extend_from_slice(tag.as_ref());
        let mut map = HashMap::new();
        for i in 0..1000 {
            map.insert(format!("acme-{i}/whatsapp/106540352242922/access_token"), sealed.clone());
        }
        Self { cipher, map, aad }
    }

    fn get(&self, name: &str) -> usize {
        let sealed = self.map.get(name).expect("present");
        let (nonce, rest) = sealed.split_at(12);
        let (ct, tag) = rest.split_at(rest.len() - 16);
        let mut buffer = ct.to_vec();
        let nonce = Nonce::try_assume_unique_for_key(nonce).expect("nonce");
        let tag = Tag::try_from(tag).expect("tag");
        self.cipher
            .open_in_place_separate_tag(nonce, Aad::from(&self.aad), tag, &mut buffer, 0..)
            .expect("open");
        buffer.len()
    }

    fn seal(&self) -> usize {
        let mut nonce = [0u8; 12];
        getrandom::getrandom(&mut nonce).expect("random");
        let mut body = token().into_bytes();
        let tag = self
            .cipher
            .seal_in_place_separate_tag(Nonce::assume_unique_for_key(nonce), Aad::from(&self.aad), &mut body)
            .expect("seal");
        body.len() + tag.as_ref().len()
    }
}

fn memory_store() -> EncryptedTokenStore<InMemoryBlobStore> {
    let store = EncryptedTokenStore::new(InMemoryBlobStore::default(), Keyring::new(1, DataKey::generate()));
    for i in 0..1000 {
        let key =
            TokenKey::new(format!("acme-{i}"), Channel::WhatsApp, "106540352242922", SecretKind::AccessToken);
        store.put(TokenRecord::new(key, token())).now_or_never().expect("ready").expect("put");
    }
    store.put(TokenRecord::new(key(), token())).now_or_never().expect("ready").expect("put");
    store
}

fn bench(c: &mut Criterion) {
    let floor = Floor::new();
    let store = memory_store();
    let key = key();
    let mut group = c.benchmark_group("token");
    group.throughput(Throughput::Elements(1));
    group.bench_function("floor/get", |b| {
        b.iter(|| floor.get(black_box("acme-7/whatsapp/106540352242922/access_token")));
    });
    group.bench_function("crate/get (memory)", |b| {
        // Read the record where it lands, as `let record = store.get(&key).await?` does, rather
        // than moving it out through three `expect`s.
        b.iter(|| match &store.get(black_box(&key)).now_or_never() {
            Some(Ok(Some(record))) => record.secret.expose_secret().len(),
            other => panic!("expected a record, got {other:?}"),
        });
    });
    group.bench_function("floor/seal", |b| b.iter(|| floor.seal()));
    group.bench_function("crate/put (memory)", |b| {
        b.iter(|| {
            store.put(TokenRecord::new(key.clone(), token())).now_or_never().expect("ready").expect("put");
        });
    });
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
    let sqlite = runtime.block_on(async {
        let store = EncryptedTokenStore::new(
            SqliteBlobStore::open(":memory:").await.expect("sqlite"),
            Keyring::new(1, DataKey::generate()),
        );
        store.put(TokenRecord::new(key.clone(), token())).await.expect("put");
        store
    });
    group.bench_function("crate/get (sqlite)", |b| {
        b.iter(|| runtime.block_on(sqlite.get(black_box(&key))).expect("get").expect("present"));
    });
    group.bench_function("crate/put (sqlite)", |b| {
        b.iter(|| runtime.block_on(sqlite.put(TokenRecord::new(key.clone(), token()))).expect("put"));
    });
    group.finish();
}

fn median_ns(id: &str) -> Option<f64> {
    let target = std::env::var("CARGO_TARGET_DIR").unwrap_or_else(|_| "target".to_owned());
    let text = std::fs::read_to_string(format!("{target}/criterion/token/{id}/new/estimates.json")).ok()?;
    let json: serde_json::Value = serde_json::from_str(&text).ok()?;
    json["median"]["point_estimate"].as_f64()
}

fn main() {
    let mut criterion = Criterion::default().configure_from_args();
    bench(&mut criterion);
    criterion.final_summary();
    if std::env::args().any(|a| a == "--test" || a == "--list") {
        return;
    }
    println!("\ntoken store, crate vs floor:");
    for (label, floor, ours, budget) in [
        ("get (memory)", "floor_get", "crate_get (memory)", Some(BUDGET)),
        ("put (memory)", "floor_seal", "crate_put (memory)", None),
    ] {
        match (median_ns(floor), median_ns(ours)) {
            (Some(f), Some(o)) => {
                let ratio = o / f;
                let verdict = match budget {
                    Some(b) if ratio <= b => format!("within the {b:.1}x budget"),
                    Some(b) => format!("OVER the {b:.1}x budget"),
                    None => "no budget".to_owned(),
                };
                println!("  {label:>14}: floor {f:>8.0} ns  crate {o:>8.0} ns  ratio {ratio:.2}x  {verdict}");
            }
            _ => println!("  {label:>14}: estimates not found (run without filters)"),
        }
    }
}
