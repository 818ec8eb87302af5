//! Property tests (proptest): the vault, the two signature schemes and the webhook parser hold
//! their promises for arbitrary inputs, not only for the fixtures.

use std::sync::Arc;

use meta_messaging::Timestamp;
use meta_messaging::clock::ManualClock;
use meta_messaging::store::StoreErrorKind;
use meta_messaging::token::{
    BlobStore, Channel, DataKey, EncryptedTokenStore, InMemoryBlobStore, Keyring, RefreshMethod, SecretKind,
    StoredBlob, TokenKey, TokenMetadata, TokenRecord, TokenStore,
};
use meta_messaging::webhook::relay::{RelaySigner, RelayVerifier, SigningSecret};
use meta_messaging::webhook::{self, Verifier, Webhook};
use proptest::prelude::*;
use serde_json::json;

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread().build().unwrap()
}

fn channel() -> impl Strategy<Value = Channel> {
    prop_oneof![
        Just(Channel::WhatsApp),
        Just(Channel::Messenger),
        Just(Channel::Instagram),
        Just(Channel::App),
        "[a-z]{1,8}".prop_map(Channel::Unknown),
    ]
}

fn kind() -> impl Strategy<Value = SecretKind> {
    prop_oneof![
        Just(SecretKind::AccessToken),
        Just(SecretKind::AppSecret),
        Just(SecretKind::ApiKey),
        "[a-z_]{1,12}".prop_map(SecretKind::Unknown),
    ]
}

fn token_key() -> impl Strategy<Value = TokenKey> {
    (any::<String>(), channel(), any::<String>(), kind())
        .prop_map(|(tenant, channel, asset, kind)| TokenKey::new(tenant, channel, asset, kind))
}

fn metadata() -> impl Strategy<Value = TokenMetadata> {
    (
        proptest::option::of(0i64..4_000_000_000),
        proptest::option::of(0i64..4_000_000_000),
        proptest::collection::vec(any::<String>(), 0..4),
        proptest::option::of(any::<String>()),
    )
        .prop_map(|(expires, data_access, scopes, token_type)| {
            let mut metadata = TokenMetadata::default();
            metadata.expires_at = expires.map(Timestamp::from_unix_seconds);
            metadata.data_access_expires_at = data_access.map(Timestamp::from_unix_seconds);
            metadata.scopes = scopes;
            metadata.token_type = token_type;
            metadata.refresh = RefreshMethod::None;
            metadata
        })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(96))]

    /// Any key, secret and metadata seal (with a fresh nonce each time) and open to the same
    /// record; the associated data binds
    /// the record to its key, so the same ciphertext under any other key does not open.
    #[test]
    fn seal_open_round_trips_and_binds_the_key(
        key in token_key(),
        other in token_key(),
        secret in any::<String>(),
        metadata in metadata(),
        raw_key in any::<[u8; 32]>(),
    ) {
        runtime().block_on(async {
            let blobs = InMemoryBlobStore::default();
            let store = EncryptedTokenStore::new(blobs.clone(), Keyring::new(7, DataKey::from_bytes(&raw_key).unwrap()));
            store.put(TokenRecord::new(key.clone(), secret.clone()).with_metadata(metadata.clone())).await.unwrap();
            let back = store.get(&key).await.unwrap().unwrap();
            prop_assert_eq!(back.secret.expose_secret(), secret.as_str());
            prop_assert_eq!(back.metadata.expires_at, metadata.expires_at);
            prop_assert_eq!(&back.metadata.data_access_expires_at, &metadata.data_access_expires_at);
            prop_assert_eq!(&back.metadata.scopes, &metadata.scopes);
            // The vault stores an empty token type as none (documented on the field).
            let token_type = metadata.token_type.clone().filter(|t| !t.is_empty());
            prop_assert_eq!(&back.metadata.token_type, &token_type);
            // Every seal draws a fresh nonce: sealing the same record again gives other bytes.
            let first = blobs.get(&key).await.unwrap().unwrap().ciphertext;
            store.put(TokenRecord::new(key.clone(), secret.clone()).with_metadata(metadata.clone())).await.unwrap();
            let second = blobs.get(&key).await.unwrap().unwrap().ciphertext;
            prop_assert_ne!(&first[5..17], &second[5..17]);
            if other != key {
                let blob = blobs.get(&key).await.unwrap().unwrap();
                blobs.raw_set(&other, blob);
                prop_assert_eq!(store.get(&other).await.unwrap_err().kind(), StoreErrorKind::Decrypt);
            }
            Ok(())
        })?;
    }

    /// Changing any byte of a sealed record, in any way, makes it fail to open with a typed
    /// error, never a wrong secret and never a panic.
    #[test]
    fn any_tampered_byte_is_rejected(
        secret in "[ -~]{0,64}",
        at in any::<prop::sample::Index>(),
        xor in 1u8..=255,
    ) {
        runtime().block_on(async {
            let blobs = InMemoryBlobStore::default();
            let store = EncryptedTokenStore::new(blobs.clone(), Keyring::new(1, DataKey::generate()));
            let key = TokenKey::new("acme", Channel::WhatsApp, "1", SecretKind::AccessToken);
            store.put(TokenRecord::new(key.clone(), secret)).await.unwrap();
            let blob = blobs.get(&key).await.unwrap().unwrap();
            let mut bytes = blob.ciphertext.to_vec();
            let i = at.index(bytes.len());
            bytes[i] ^= xor;
            blobs.raw_set(&key, StoredBlob::new(bytes, blob.key_id, blob.expires_at));
            let error = store.get(&key).await.unwrap_err();
            prop_assert!(
                matches!(error.kind(), StoreErrorKind::Decrypt | StoreErrorKind::UnknownKey | StoreErrorKind::Format),
                "byte {} gave {:?}", i, error.kind()
            );
            Ok(())
        })?;
    }

    /// Meta's signature: what is signed verifies, in either hex case; any other body, or the
    /// same body under another secret, does not.
    #[test]
    fn webhook_signatures_verify_exactly_the_signed_bytes(
        // A blank secret is no key (`an_empty_app_secret_never_verifies_anything`).
        secret in "[!-~][ -~]{0,63}",
        other_secret in "[ -~]{1,64}",
        body in proptest::collection::vec(any::<u8>(), 0..512),
        at in any::<prop::sample::Index>(),
        xor in 1u8..=255,
    ) {
        let verifier = Verifier::new(secret.as_str());
        let header = verifier.sign(&body);
        prop_assert_eq!(verifier.verify(&body, &header), Ok(()));
        prop_assert_eq!(verifier.verify(&body, &header.to_uppercase().replacen("SHA256=", "sha256=", 1)), Ok(()));
        if !body.is_empty() {
            let mut changed = body.clone();
            let i = at.index(changed.len());
            changed[i] ^= xor;
            prop_assert!(verifier.verify(&changed, &header).is_err());
        }
        let mut longer = body.clone();
        longer.push(b' ');
        prop_assert!(verifier.verify(&longer, &header).is_err());
        if other_secret != secret {
            prop_assert!(Verifier::new(other_secret.as_str()).verify(&body, &header).is_err());
        }
    }

    /// Standard Webhooks signatures of relayed events: any id and body signed verifies; another
    /// body, id or timestamp does not.
    #[test]
    fn relay_signatures_verify_exactly_what_was_signed(
        id in "[!-~&&[^.]]{1,64}",
        body in proptest::collection::vec(any::<u8>(), 0..512),
        now in 1_000_000_000i64..3_000_000_000,
    ) {
        let secret = SigningSecret::generate();
        let signer = RelaySigner::new(&secret);
        let verifier = RelayVerifier::new(&secret)
            .with_clock(Arc::new(ManualClock::new(Timestamp::from_unix_seconds(now))));
        let headers = signer.sign(&id, Timestamp::from_unix_seconds(now), &body).unwrap();
        prop_assert_eq!(verifier.verify(&headers.id, &headers.timestamp, &headers.signature, &body), Ok(()));
        let mut changed = body.clone();
        changed.push(b'x');
        prop_assert!(verifier.verify(&headers.id, &headers.timestamp, &headers.signature, &changed).is_err());
        let other_id = format!("{id}x");
        prop_assert!(verifier.verify(&other_id, &headers.timestamp, &headers.signature, &body).is_err());
        let other_time = (now - 1).to_string();
        prop_assert!(verifier.verify(&headers.id, &other_time, &headers.signature, &body).is_err());
        let stranger = RelayVerifier::new(&SigningSecret::generate())
            .with_clock(Arc::new(ManualClock::new(Timestamp::from_unix_seconds(now))));
        prop_assert!(stranger.verify(&headers.id, &headers.timestamp, &headers.signature, &body).is_err());
    }

    /// Arbitrary bytes never panic the parser.
    #[test]
    fn parse_never_panics(body in proptest::collection::vec(any::<u8>(), 0..1024)) {
        if let Ok(parsed) = webhook::parse(&body) {
            for event in parsed.events() {
                let _ = (event.kind(), event.dedupe_key());
            }
        }
    }

    /// A well-formed WhatsApp batch of any shape (entries × changes × messages and statuses, any
    /// text) parses into exactly one event per message and status: none lost, none invented.
    #[test]
    fn a_well_formed_batch_loses_no_event(
        batch in proptest::collection::vec(
            proptest::collection::vec((proptest::collection::vec(any::<String>(), 0..4), 0usize..3), 1..4),
            1..4,
        ),
    ) {
        let mut expected = 0;
        let mut n = 0;
        let entries: Vec<_> = batch.iter().enumerate().map(|(e, changes)| {
            let changes: Vec<_> = changes.iter().map(|(texts, statuses)| {
                let messages: Vec<_> = texts.iter().map(|text| {
                    n += 1;
                    json!({"from": "16315551181", "id": format!("wamid.{n}"), "timestamp": "1700000000",
                           "type": "text", "text": {"body": text}})
                }).collect();
                let statuses: Vec<_> = (0..*statuses).map(|_| {
                    n += 1;
                    json!({"id": format!("wamid.{n}"), "status": "delivered", "timestamp": "1700000000",
                           "recipient_id": "16315551181"})
                }).collect();
                expected += messages.len() + statuses.len();
                json!({"field": "messages", "value": {
                    "messaging_product": "whatsapp",
                    "metadata": {"display_phone_number": "15550001111", "phone_number_id": "106540352242922"},
                    "messages": messages, "statuses": statuses}})
            }).collect();
            json!({"id": format!("10{e}"), "changes": changes})
        }).collect();
        let body = serde_json::to_vec(&json!({"object": "whatsapp_business_account", "entry": entries})).unwrap();
        let parsed = webhook::parse(&body).unwrap();
        prop_assert!(matches!(parsed, Webhook::WhatsApp(_)));
        let keys: Vec<_> = parsed.events().filter_map(|e| e.dedupe_key()).collect();
        let message_or_status = parsed
            .events()
            .filter(|e| { let kind = e.kind().to_string(); kind.starts_with("whatsapp.message.") || kind.starts_with("whatsapp.status.") })
            .count();
        prop_assert_eq!(message_or_status, expected);
        prop_assert_eq!(keys.len(), expected);
    }
}
