//! The operator CLI end to end: the built `meta-messaging` binary against real SQLite files, the
//! machine's PostgreSQL and Redis, and a local fake Graph server.
//!
//! Opt in with `cargo test -p meta-messaging-cli --features server-tests` and the two server URLs
//! (`META_MESSAGING_POSTGRES_URL`, `META_MESSAGING_REDIS_URL`); without them the tests that need
//! a server fail loudly: nothing is skipped.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::io::Write;
use std::path::PathBuf;
use std::process::{Command, Output, Stdio};
use std::sync::Arc;

use meta_messaging::delivery::{Attempt, AttemptOutcome, ItemState, NewItem, Queue, Retry};
use meta_messaging::store::{PostgresBlobStore, PostgresQueue, RedisBlobStore, SqliteBlobStore, SqliteQueue};
use meta_messaging::testing::{FakeError, FakeGraph};
use meta_messaging::token::{
    BlobStore, Channel, DataKey, EncryptedTokenStore, KeyRegistry, Keyring, LocalKek, SecretKind, TokenKey,
    TokenRecord, TokenStore,
};
use meta_messaging::webhook::Verifier;
use meta_messaging::{Platform, Timestamp};

/// Every variable the tool reads, removed from the inherited environment before each run.
const VARS: [&str; 12] = [
    "META_MESSAGING_WINDOW_URL",
    "META_MESSAGING_IDENTITY_URL",
    "META_MESSAGING_VAULT_URL",
    "META_MESSAGING_VAULT_REGISTRY_URL",
    "META_MESSAGING_VAULT_KEYS",
    "META_MESSAGING_REDIS_PREFIX",
    "META_MESSAGING_QUEUE_URL",
    "META_APP_SECRET",
    "META_APP_ID",
    "META_ACCESS_TOKEN",
    "META_PHONE_NUMBER_ID",
    "META_GRAPH_URL",
];

struct Run {
    status: i32,
    stdout: String,
    stderr: String,
}

/// Runs the binary with exactly `env` (of the tool's variables) and `stdin`.
fn cli(env: &[(&str, &str)], args: &[&str], stdin: &str) -> Run {
    let mut command = Command::new(env!("CARGO_BIN_EXE_meta-messaging"));
    for var in VARS {
        command.env_remove(var);
    }
    command
        .envs(env.iter().copied())
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = command.spawn().unwrap();
    child.stdin.take().unwrap().write_all(stdin.as_bytes()).unwrap();
    let Output { status, stdout, stderr } = child.wait_with_output().unwrap();
    Run {
        status: status.code().unwrap_or(-1),
        stdout: String::from_utf8(stdout).unwrap(),
        stderr: String::from_utf8(stderr).unwrap(),
    }
}

fn temp_dir(name: &str) -> PathBuf {
    let dir =
        std::env::temp_dir().join(format!("mm-cli-{name}-{}-{:08x}", std::process::id(), fastrand::u32(..)));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn server_url(var: &str) -> String {
    std::env::var(var).unwrap_or_else(|_| panic!("the cli feature is on but {var} is not set"))
}

fn key(tenant: &str, asset: &str) -> TokenKey {
    TokenKey::new(tenant, Channel::WhatsApp, asset, SecretKind::AccessToken)
}

/// Seals three records of `tenant` (one with an expiry and scopes) with key 1 of `keys`.
async fn seed<B: BlobStore>(blobs: B, keys: &str, tenant: &str) {
    let (id, key_text) = keys.split(',').next().unwrap().split_once(':').unwrap();
    let ring = Keyring::new(id.parse().unwrap(), DataKey::from_base64(key_text).unwrap());
    let store = EncryptedTokenStore::new(blobs, ring);
    let mut scoped = TokenRecord::new(key(tenant, "1065"), "EAAG-secret-one")
        .expires_at(Timestamp::from_unix_seconds(2_000_000_000));
    scoped.metadata.scopes = vec!["whatsapp_business_messaging".into()];
    store.put(scoped).await.unwrap();
    store.put(TokenRecord::new(key(tenant, "1066"), "EAAG-secret-two")).await.unwrap();
    store.put(TokenRecord::new(key(&format!("{tenant}-other"), "1067"), "EAAG-secret-three")).await.unwrap();
}

fn two_keys() -> (String, String) {
    let one = DataKey::generate().expose_base64().to_string();
    let two = DataKey::generate().expose_base64().to_string();
    (format!("1:{one}"), format!("2:{two},1:{one}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn vault_commands_on_sqlite_list_rotate_reseal_and_delete_with_confirmation() {
    let dir = temp_dir("vault");
    let path = dir.join("vault.db");
    let url = format!("sqlite://{}", path.display());
    let (old, rotated) = two_keys();
    seed(SqliteBlobStore::open(path.to_str().unwrap()).await.unwrap(), &old, "acme").await;
    let run = |keys: &str, args: &[&str], stdin: &str| {
        cli(&[("META_MESSAGING_VAULT_URL", &url), ("META_MESSAGING_VAULT_KEYS", keys)], args, stdin)
    };

    // Metadata only: tenant, channel, asset, kind, key id, expiry, scopes; never a secret.
    let list = run(&old, &["vault", "list"], "");
    assert_eq!(list.status, 0, "{}", list.stderr);
    assert!(list.stdout.contains("acme\twhatsapp\t1065\taccess_token\tkey=1\texpires=2000000000\tscopes=whatsapp_business_messaging"), "{}", list.stdout);
    assert_eq!(list.stdout.lines().count(), 3);
    assert!(!list.stdout.contains("EAAG") && !list.stderr.contains("EAAG"));
    assert_eq!(run(&old, &["vault", "list", "--tenant", "acme"], "").stdout.lines().count(), 2);

    // Rotation: with key 2 first, key 1 still seals all three records, so it cannot go.
    let keys = run(&rotated, &["vault", "keys"], "");
    assert!(
        keys.stdout.contains("1\tEnabled\t3 record(s)") && keys.stdout.contains("2\tPrimary\t0 record(s)"),
        "{}",
        keys.stdout
    );
    let refused = run(&rotated, &["vault", "key", "disable", "1"], "");
    assert_eq!(refused.status, 1);
    assert!(refused.stderr.contains("still seals 3 record(s)"), "{}", refused.stderr);
    let reseal = run(&rotated, &["vault", "reseal"], "");
    assert_eq!(reseal.status, 0, "{}", reseal.stderr);
    assert!(reseal.stdout.contains("3 record(s) re-sealed"), "{}", reseal.stdout);
    let disabled = run(&rotated, &["vault", "key", "disable", "1"], "");
    assert_eq!(disabled.status, 0, "{}", disabled.stderr);
    assert!(run(&rotated, &["vault", "list"], "").stdout.contains("key=2"));
    // Promote moves everything to the named key at once.
    let promoted = run(&rotated, &["vault", "key", "promote", "1"], "");
    assert!(promoted.stdout.contains("key 1 is the primary: 3 record(s) re-sealed"), "{}", promoted.stdout);

    // A new key prints once, as ID:BASE64 of 32 bytes.
    let generated = run(&old, &["vault", "key", "generate", "--id", "3"], "");
    let line = generated.stdout.trim();
    assert!(line.starts_with("3:") && DataKey::from_base64(&line[2..]).is_ok(), "{line}");

    // Deleting a tenant asks; a wrong answer changes nothing; the name or --yes confirms.
    let declined = run(&old, &["vault", "delete-tenant", "acme"], "nope\n");
    assert_eq!(declined.status, 1);
    assert!(declined.stderr.contains("not confirmed"), "{}", declined.stderr);
    assert_eq!(run(&old, &["vault", "list", "--tenant", "acme"], "").stdout.lines().count(), 2);
    let confirmed = run(&old, &["vault", "delete-tenant", "acme"], "acme\n");
    assert!(confirmed.stdout.contains("deleted 2 record(s)"), "{}{}", confirmed.stdout, confirmed.stderr);
    assert!(run(&old, &["vault", "delete-tenant", "acme-other", "--yes"], "").stdout.contains("deleted 1"));
    std::fs::remove_dir_all(dir).unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn delete_tenant_in_envelope_mode_destroys_the_key_first_and_refuses_without_the_registry() {
    let dir = temp_dir("envelope");
    let (records, registry) = (dir.join("records.db"), dir.join("registry.db"));
    let (kek_keys, _) = two_keys();
    let (id, text) = kek_keys.split_once(':').unwrap();
    let kek = Arc::new(LocalKek::new(Keyring::new(id.parse().unwrap(), DataKey::from_base64(text).unwrap())));
    let record_store = SqliteBlobStore::open(records.to_str().unwrap()).await.unwrap();
    let registry_store = SqliteBlobStore::open(registry.to_str().unwrap()).await.unwrap();
    let store = EncryptedTokenStore::with_envelope(
        record_store.clone(),
        kek.clone(),
        KeyRegistry::new(registry_store.clone()),
    );
    store.put(TokenRecord::new(key("acme", "1065"), "EAAG-acme")).await.unwrap();
    store.put(TokenRecord::new(key("globex", "1066"), "EAAG-globex")).await.unwrap();
    let backup = record_store.list_tenant("acme").await.unwrap();
    let records_url = format!("sqlite://{}", records.display());
    let registry_url = format!("sqlite://{}", registry.display());
    // Without the registry the tool refuses: it could delete the records, not the key.
    let refused = cli(
        &[("META_MESSAGING_VAULT_URL", &records_url), ("META_MESSAGING_VAULT_KEYS", &kek_keys)],
        &["vault", "delete-tenant", "acme", "--yes"],
        "",
    );
    assert_eq!(refused.status, 1);
    assert!(refused.stderr.contains("META_MESSAGING_VAULT_REGISTRY_URL"), "{}", refused.stderr);
    assert_eq!(record_store.list_tenant("acme").await.unwrap().len(), 1, "nothing deleted");
    let deleted = cli(
        &[
            ("META_MESSAGING_VAULT_URL", &records_url),
            ("META_MESSAGING_VAULT_KEYS", &kek_keys),
            ("META_MESSAGING_VAULT_REGISTRY_URL", &registry_url),
        ],
        &["vault", "delete-tenant", "acme", "--yes"],
        "",
    );
    assert_eq!(deleted.status, 0, "{}", deleted.stderr);
    assert!(deleted.stdout.contains("deleted 1 record(s) of tenant acme"), "{}", deleted.stdout);
    assert!(!KeyRegistry::new(registry_store.clone()).contains("acme").await.unwrap(), "the key is gone");
    // A restored backup of the records opens for no one; the other tenant is untouched.
    for (k, blob) in backup {
        record_store.put(&k, blob).await.unwrap();
    }
    let fresh = EncryptedTokenStore::with_envelope(record_store, kek, KeyRegistry::new(registry_store));
    assert_eq!(
        fresh.get(&key("acme", "1065")).await.unwrap_err().kind(),
        meta_messaging::store::StoreErrorKind::UnknownKey
    );
    assert_eq!(
        fresh.get(&key("globex", "1066")).await.unwrap().unwrap().secret.expose_secret(),
        "EAAG-globex"
    );
    std::fs::remove_dir_all(dir).unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn vault_list_and_reseal_on_postgres_and_redis() {
    let tenant = format!("cli-{:08x}", fastrand::u32(..));
    let (old, rotated) = two_keys();
    let postgres = server_url("META_MESSAGING_POSTGRES_URL");
    seed(PostgresBlobStore::connect(&postgres).await.unwrap(), &old, &tenant).await;
    let redis = server_url("META_MESSAGING_REDIS_URL");
    let prefix = format!("{{mmcli-{tenant}}}");
    seed(RedisBlobStore::connect(&redis).await.unwrap().prefix(prefix.clone()), &old, &tenant).await;
    for (url, prefix) in [(postgres.as_str(), ""), (redis.as_str(), prefix.as_str())] {
        let run = |keys: &str, args: &[&str]| {
            cli(
                &[
                    ("META_MESSAGING_VAULT_URL", url),
                    ("META_MESSAGING_VAULT_KEYS", keys),
                    ("META_MESSAGING_REDIS_PREFIX", prefix),
                ],
                args,
                "",
            )
        };
        let list = run(&old, &["vault", "list", "--tenant", &tenant]);
        assert_eq!(list.status, 0, "{url}: {}", list.stderr);
        assert_eq!(list.stdout.lines().count(), 2, "{url}: {}", list.stdout);
        assert!(
            list.stdout.contains(&format!("{tenant}\twhatsapp\t1065\taccess_token\tkey=1")),
            "{}",
            list.stdout
        );
        assert!(!list.stdout.contains("EAAG"));
        let deleted = run(&rotated, &["vault", "delete-tenant", &tenant, "--yes"]);
        assert!(
            deleted.stdout.contains("deleted 2 record(s)"),
            "{url}: {}{}",
            deleted.stdout,
            deleted.stderr
        );
        assert!(
            run(&rotated, &["vault", "delete-tenant", &format!("{tenant}-other"), "--yes"])
                .stdout
                .contains("deleted 1")
        );
    }
}

async fn dead_and_pending(queue: &dyn Queue, name: &str) -> i64 {
    let items: Vec<NewItem> = ["a", "b"]
        .iter()
        .map(|k| NewItem::new(format!("{name}-{k}"), *k, b"{\"secret\":\"text\"}".to_vec()))
        .collect();
    queue.enqueue(name, &items).await.unwrap();
    let claimed = queue.claim(name, "w", 1, std::time::Duration::from_secs(30)).await.unwrap();
    assert!(queue.fail(claimed[0].id, "w", "customer answered 410", Retry::Never).await.unwrap());
    claimed[0].id
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deliveries_list_and_replay_on_sqlite_and_postgres() {
    let dir = temp_dir("queue");
    let path = dir.join("queue.db");
    let sqlite_url = format!("sqlite:{}", path.display());
    let name = format!("cli-{:08x}", fastrand::u32(..));
    let sqlite: Arc<dyn Queue> = Arc::new(SqliteQueue::open(path.to_str().unwrap()).await.unwrap());
    let postgres_url = server_url("META_MESSAGING_POSTGRES_URL");
    let postgres: Arc<dyn Queue> = Arc::new(PostgresQueue::connect(&postgres_url).await.unwrap());
    for (url, queue) in [(sqlite_url.as_str(), sqlite), (postgres_url.as_str(), postgres)] {
        let dead = dead_and_pending(&*queue, &name).await;
        let run = |args: &[&str]| cli(&[("META_MESSAGING_QUEUE_URL", url)], args, "");
        let list = run(&["deliveries", "list", "--queue", &name]);
        assert_eq!(list.status, 0, "{url}: {}", list.stderr);
        assert!(list.stdout.contains(&format!("queue {name}: 1 pending, 0 done, 1 dead")), "{}", list.stdout);
        assert!(list.stdout.contains(&format!("{dead}\t{name}-a\tDead\tattempts=1")), "{}", list.stdout);
        assert!(list.stdout.contains("error=customer answered 410"));
        assert!(list.stdout.contains(&format!("{name}-b\tPending")));
        assert!(!list.stdout.contains("secret"), "payloads are never printed");
        let replayed = run(&["deliveries", "replay", "--queue", &name, &dead.to_string()]);
        assert_eq!(replayed.status, 0, "{}", replayed.stderr);
        assert_eq!(queue.counts(&name).await.unwrap(), (2, 0, 0));
        assert_eq!(queue.list(&name, ItemState::Dead, 10).await.unwrap().len(), 0);
        // Replaying what is not dead is an error that names the ids.
        let again = run(&["deliveries", "replay", "--queue", &name, &dead.to_string(), "999999999"]);
        assert_eq!(again.status, 1);
        assert!(again.stderr.contains(&format!("{dead} (not a dead letter")), "{}", again.stderr);
        assert!(again.stderr.contains("999999999 (not a dead letter"), "{}", again.stderr);
        // A delivered item is replayed only when asked for by name.
        let claimed = queue.claim(&name, "w", 1, std::time::Duration::from_secs(30)).await.unwrap();
        assert!(queue.complete(claimed[0].id, "w").await.unwrap());
        let done = claimed[0].id.to_string();
        let refused = run(&["deliveries", "replay", "--queue", &name, &done]);
        assert_eq!(refused.status, 1, "{}", refused.stdout);
        assert_eq!(queue.counts(&name).await.unwrap(), (1, 1, 0));
        let forced = run(&["deliveries", "replay", "--queue", &name, "--include-done", &done]);
        assert_eq!(forced.status, 0, "{}", forced.stderr);
        assert_eq!(queue.counts(&name).await.unwrap(), (2, 0, 0));
        // --all-dead replays every dead letter.
        let claimed = queue.claim(&name, "w", 10, std::time::Duration::from_secs(30)).await.unwrap();
        for item in &claimed {
            queue.fail(item.id, "w", "gone", Retry::Never).await.unwrap();
        }
        let all = run(&["deliveries", "replay", "--all-dead", "--queue", &name]);
        assert_eq!(all.stdout.lines().count(), 2, "{}{}", all.stdout, all.stderr);
        assert_eq!(queue.counts(&name).await.unwrap(), (2, 0, 0));
        // Recovery since a time: nothing enqueued after a future time, both since the epoch.
        let claimed = queue.claim(&name, "w", 10, std::time::Duration::from_secs(30)).await.unwrap();
        for item in &claimed {
            queue.fail(item.id, "w", "gone", Retry::Never).await.unwrap();
        }
        let future = (meta_messaging::Timestamp::now().unix_seconds() + 3600).to_string();
        let none = run(&["deliveries", "recover", "--queue", &name, "--since", &future]);
        assert_eq!((none.status, none.stdout.trim()), (0, "recovered 0 items"), "{}", none.stderr);
        assert_eq!(queue.counts(&name).await.unwrap(), (0, 0, 2));
        let since_epoch = run(&["deliveries", "recover", "--queue", &name, "--since", "0"]);
        assert_eq!(since_epoch.status, 0, "{}", since_epoch.stderr);
        let mut ids: Vec<i64> = claimed.iter().map(|i| i.id).collect();
        ids.sort_unstable();
        let expected: Vec<String> = ids.iter().map(|id| format!("recovered {id}")).collect();
        assert_eq!(since_epoch.stdout.lines().take(2).collect::<Vec<_>>(), expected, "in enqueue order");
        assert_eq!(queue.counts(&name).await.unwrap(), (2, 0, 0));
        let bad = run(&["deliveries", "recover", "--queue", &name, "--since", "yesterday"]);
        assert_eq!(bad.status, 2, "a usage error: {}", bad.stderr);
        // The attempt log of an item, as the worker records it.
        let item = queue.claim(&name, "w", 1, std::time::Duration::from_secs(30)).await.unwrap().remove(0);
        let attempt = Attempt::new(
            Timestamp::from_unix_millis(1_765_000_000_000),
            std::time::Duration::from_millis(42),
            AttemptOutcome::Retried,
        )
        .failure("destination answered 503", Some(503));
        assert!(queue.fail_logged(item.id, "w", "503", Retry::At(Timestamp::now()), &attempt).await.unwrap());
        let attempts = run(&["deliveries", "attempts", &item.id.to_string()]);
        assert_eq!(attempts.status, 0, "{}", attempts.stderr);
        assert_eq!(attempts.stdout.trim(), "1765000000000\t42ms\tretried\t503\tdestination answered 503");
        let none = run(&["deliveries", "attempts", "999999999"]);
        assert_eq!(none.status, 1);
        assert!(none.stderr.contains("no attempts recorded for item 999999999"), "{}", none.stderr);
        // Destinations: disabled and enabled by hand, listed with their queue's depth.
        let destination = format!("{name}-dest");
        let disabled = run(&["deliveries", "disable", &destination, "--reason", "customer asked"]);
        assert_eq!(disabled.status, 0, "{}", disabled.stderr);
        let twice = run(&["deliveries", "disable", &destination]);
        assert_eq!(twice.status, 1, "{}", twice.stdout);
        queue
            .enqueue(&format!("relay:{destination}"), &[NewItem::new("d1", "c", b"{}".to_vec())])
            .await
            .unwrap();
        let listed = run(&["deliveries", "destinations"]);
        assert_eq!(listed.status, 0, "{}", listed.stderr);
        let line =
            listed.stdout.lines().find(|l| l.starts_with(&format!("{destination}\t"))).unwrap_or_default();
        assert!(line.contains("\tdisabled since ") && line.contains("(customer asked)"), "{line}");
        assert!(line.contains("streak=0") && line.contains("pending=1\tdead=0"), "{line}");
        let enabled = run(&["deliveries", "enable", &destination]);
        assert_eq!((enabled.status, enabled.stdout.trim()), (0, format!("enabled {destination}").as_str()));
        let listed = run(&["deliveries", "destinations"]);
        assert!(
            listed.stdout.lines().any(|l| l.starts_with(&format!("{destination}\tenabled\t"))),
            "{}",
            listed.stdout
        );
    }
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn webhook_sign_verify_and_events() {
    let dir = temp_dir("webhook");
    let body_path = dir.join("body.json");
    let body = std::fs::read(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../tests/fixtures/webhooks/whatsapp/wa_batch_3_messages_2_statuses.json"
    ))
    .unwrap();
    std::fs::write(&body_path, &body).unwrap();
    let body_arg = body_path.to_str().unwrap();
    let env = [("META_APP_SECRET", "cli-app-secret")];
    let signed = cli(&env, &["webhook", "sign", body_arg], "");
    assert_eq!(signed.stdout.trim(), Verifier::new("cli-app-secret").sign(&body));
    let verified = cli(&env, &["webhook", "verify", body_arg, "--signature", signed.stdout.trim()], "");
    assert_eq!(verified.status, 0, "{}", verified.stderr);
    assert!(verified.stderr.contains("signature ok") && verified.stderr.contains("5 event(s)"));
    assert_eq!(
        verified.stdout.lines().filter(|l| l.starts_with("whatsapp.message.")).count(),
        3,
        "{}",
        verified.stdout
    );
    // A body changed by one byte, or read from stdin with a wrong secret, does not verify.
    let mut changed = body.clone();
    changed[10] ^= 1;
    std::fs::write(&body_path, &changed).unwrap();
    let tampered = cli(&env, &["webhook", "verify", body_arg, "--signature", signed.stdout.trim()], "");
    assert_eq!(tampered.status, 1);
    assert!(tampered.stderr.starts_with("error: the signature does not verify"), "{}", tampered.stderr);
    assert!(!tampered.stderr.contains("cli-app-secret"));
    let stdin = cli(
        &[("META_APP_SECRET", "other")],
        &["webhook", "verify", "-", "--signature", signed.stdout.trim()],
        std::str::from_utf8(&body).unwrap(),
    );
    assert_eq!(stdin.status, 1);
    let events = cli(&[], &["webhook", "events", "-"], std::str::from_utf8(&body).unwrap());
    assert_eq!(events.stdout.lines().count(), 5, "{}", events.stdout);
    // No secret configured: a clear error naming the variable.
    let missing = cli(&[], &["webhook", "sign", body_arg], "");
    assert_eq!(missing.status, 1);
    assert_eq!(missing.stderr.trim(), "error: META_APP_SECRET is not set (environment or --config file)");
    std::fs::remove_dir_all(dir).unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn send_and_token_commands_against_a_fake_graph() {
    let graph = FakeGraph::start().await;
    // The runs happen on blocking threads, which need the values for 'static.
    let uri: &'static str = Box::leak(graph.uri().into_boxed_str());
    let env = [
        ("META_GRAPH_URL", uri),
        ("META_ACCESS_TOKEN", "EAAG-cli-token"),
        ("META_PHONE_NUMBER_ID", "106540352242922"),
        ("META_APP_ID", "1234"),
        ("META_APP_SECRET", "cli-app-secret"),
    ];
    let text = tokio::task::spawn_blocking(move || {
        let env = env;
        let text = cli(&env, &["send", "text", "--to", "16505551234", "--text", "hello from the cli"], "");
        let template = cli(
            &env,
            &["send", "template", "--to", "16505551234", "--name", "order_update", "--language", "de"],
            "",
        );
        let debug = cli(&env, &["token", "debug"], "");
        let exchange = cli(&env, &["token", "exchange", "--token-stdin"], "EAAG-short\n");
        (text, template, debug, exchange)
    })
    .await
    .unwrap();
    let (text, template, debug, exchange) = text;
    assert_eq!(text.status, 0, "{}", text.stderr);
    assert!(text.stdout.starts_with("sent wamid."), "{}", text.stdout);
    assert_eq!(template.status, 0, "{}", template.stderr);
    let outbox = graph.outbox();
    assert_eq!(outbox.len(), 2);
    assert_eq!((outbox[0].platform, outbox[0].kind.as_str()), (Platform::WhatsApp, "text"));
    assert_eq!(outbox[0].body["text"]["body"], "hello from the cli");
    assert_eq!(outbox[1].body["template"]["name"], "order_update");
    assert_eq!(outbox[1].body["template"]["language"]["code"], "de");
    assert!(
        debug.stdout.contains("valid\ttrue") && debug.stdout.contains("scopes\twhatsapp_business_messaging"),
        "{}{}",
        debug.stdout,
        debug.stderr
    );
    assert!(exchange.stdout.trim().starts_with("EAAfakeLongLived"), "{}{}", exchange.stdout, exchange.stderr);

    // A Graph error exits 1 with Meta's reason, and never prints the token.
    graph.fail_next(FakeError::ExpiredToken);
    let failed = tokio::task::spawn_blocking(move || {
        cli(&env, &["send", "text", "--to", "16505551234", "--text", "x"], "")
    })
    .await
    .unwrap();
    assert_eq!(failed.status, 1);
    assert!(failed.stderr.starts_with("error: the send failed"), "{}", failed.stderr);
    assert!(!failed.stderr.contains("EAAG-cli-token") && !failed.stdout.contains("EAAG-cli-token"));
}

#[test]
fn configuration_comes_from_a_file_or_the_environment_and_errors_are_clear() {
    let dir = temp_dir("config");
    let config = dir.join("meta-messaging.env");
    let db = dir.join("vault.db");
    std::fs::write(
        &config,
        format!(
            "# the vault\nMETA_MESSAGING_VAULT_URL=sqlite://{}\nMETA_MESSAGING_VAULT_KEYS=\"{}\"\n",
            db.display(),
            two_keys().0
        ),
    )
    .unwrap();
    // A config file others can read is refused: it holds secrets.
    let shared = cli(&[], &["--config", config.to_str().unwrap(), "vault", "list"], "");
    let mode = std::os::unix::fs::PermissionsExt::mode(&std::fs::metadata(&config).unwrap().permissions());
    if mode & 0o077 != 0 {
        assert_eq!(shared.status, 1);
        assert!(shared.stderr.contains("chmod 600"), "{}", shared.stderr);
    }
    std::fs::set_permissions(&config, std::os::unix::fs::PermissionsExt::from_mode(0o600)).unwrap();
    let from_file = cli(&[], &["--config", config.to_str().unwrap(), "vault", "list"], "");
    assert_eq!(from_file.status, 0, "{}", from_file.stderr);
    assert!(from_file.stderr.contains("0 record(s)"));
    // The environment wins over the file.
    let overridden = cli(
        &[("META_MESSAGING_VAULT_KEYS", "1:not-base64")],
        &["--config", config.to_str().unwrap(), "vault", "list"],
        "",
    );
    assert_eq!(overridden.status, 1);
    assert_eq!(overridden.stderr.trim(), "error: META_MESSAGING_VAULT_KEYS: key 1 is not 32 bytes of base64");
    // A line it does not understand is never echoed: it may be a secret.
    std::fs::write(&config, "EAAG-pasted-secret=1\n").unwrap();
    let unknown = cli(&[], &["--config", config.to_str().unwrap(), "vault", "list"], "");
    assert_eq!(unknown.status, 1);
    assert!(unknown.stderr.contains(":1: not a known setting"), "{}", unknown.stderr);
    assert!(!unknown.stderr.contains("EAAG-pasted-secret"), "{}", unknown.stderr);
    let bad_url = cli(
        &[("META_MESSAGING_VAULT_URL", "mysql://x"), ("META_MESSAGING_VAULT_KEYS", "1:x")],
        &["vault", "list"],
        "",
    );
    assert!(
        bad_url.stderr.contains("must start with sqlite:, postgres:// or redis://"),
        "{}",
        bad_url.stderr
    );
    let no_queue = cli(&[], &["deliveries", "list"], "");
    assert_eq!(
        no_queue.stderr.trim(),
        "error: META_MESSAGING_QUEUE_URL is not set (environment or --config file)"
    );
    // Usage errors are clap's (exit 2).
    assert_eq!(cli(&[], &["vault", "frobnicate"], "").status, 2);
    std::fs::remove_dir_all(dir).unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tenant_erase_clears_the_vault_the_queue_and_the_windows_in_one_command() {
    use meta_messaging::pacing::WindowStore;
    let dir = temp_dir("erase");
    let (vault_path, queue_path) = (dir.join("vault.db"), dir.join("queue.db"));
    let (keys, _) = two_keys();
    seed(SqliteBlobStore::open(vault_path.to_str().unwrap()).await.unwrap(), &keys, "acme").await;
    let queue = SqliteQueue::open(queue_path.to_str().unwrap()).await.unwrap();
    let items = [
        NewItem::new("a", "c", b"{}".to_vec()).tenant("waba-acme"),
        NewItem::new("b", "c", b"{}".to_vec()).tenant("waba-globex"),
    ];
    queue.enqueue("inbox", &items).await.unwrap();
    let postgres = server_url("META_MESSAGING_POSTGRES_URL");
    let windows = meta_messaging::store::PostgresWindowStore::connect(&postgres).await.unwrap();
    let business = format!("phone-{:08x}", fastrand::u32(..));
    windows.record(&business, "16505551234", Timestamp::now()).await.unwrap();
    let identities_path = dir.join("identities.db");
    let identities =
        meta_messaging::store::SqliteIdentityStore::open(identities_path.to_str().unwrap()).await.unwrap();
    {
        use meta_messaging::identity::{IdentityStore, UserIdentity};
        let user = UserIdentity::new().phone("16505551234").user_id("US.13491208655302741918");
        identities.remember(&business, &user).await.unwrap();
    }
    let identity_url = format!("sqlite://{}", identities_path.display());
    let vault_url = format!("sqlite://{}", vault_path.display());
    let queue_url = format!("sqlite://{}", queue_path.display());
    let env = [
        ("META_MESSAGING_VAULT_URL", vault_url.as_str()),
        ("META_MESSAGING_VAULT_KEYS", keys.as_str()),
        ("META_MESSAGING_QUEUE_URL", queue_url.as_str()),
        ("META_MESSAGING_WINDOW_URL", postgres.as_str()),
        ("META_MESSAGING_IDENTITY_URL", identity_url.as_str()),
    ];
    // A configured store with nothing named to erase in it is refused, not skipped.
    let unnamed = cli(&env, &["tenant", "erase", "acme", "--yes"], "");
    assert_eq!(unnamed.status, 1);
    assert!(unnamed.stderr.contains("--account"), "{}", unnamed.stderr);
    let args = ["tenant", "erase", "acme", "--account", "waba-acme", "--business", &business];
    let declined = cli(&env, &args, "no\n");
    assert_eq!(declined.status, 1);
    assert_eq!(queue.counts("inbox").await.unwrap(), (2, 0, 0), "nothing erased without confirmation");
    let erased = cli(&env, &args, "acme\n");
    assert_eq!(erased.status, 0, "{}", erased.stderr);
    assert!(
        erased
            .stdout
            .contains("erased tenant acme: 2 vault record(s), 1 queue item(s), 1 messaging window(s)"),
        "{}",
        erased.stdout
    );
    assert_eq!(queue.counts("inbox").await.unwrap(), (1, 0, 0));
    assert_eq!(windows.last_inbound(&business, "16505551234").await.unwrap(), None);
    {
        use meta_messaging::identity::IdentityStore;
        assert_eq!(identities.by_phone(&business, "16505551234").await.unwrap(), None);
    }
    let listed = cli(&env, &["vault", "list"], "");
    assert!(!listed.stdout.contains("acme\t") && listed.stdout.contains("acme-other"), "{}", listed.stdout);
    // Nothing configured: a clear error.
    let nothing = cli(&[], &["tenant", "erase", "acme", "--yes"], "");
    assert_eq!(nothing.status, 1);
    assert!(nothing.stderr.contains("set at least one of"), "{}", nothing.stderr);
    std::fs::remove_dir_all(dir).unwrap();
}
