//! Helpers shared by the real-server suites (`postgres.rs`, `redis.rs`).

use std::net::SocketAddr;
use std::sync::Arc;

use meta_messaging::token::{
    BlobStore, Channel, DataKey, EncryptedTokenStore, Keyring, SecretKind, TokenKey, TokenRecord, TokenStore,
};
use meta_messaging::webhook::Deduplicator;

use tokio::io::AsyncWriteExt;
use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio::task::JoinHandle;

/// A TCP proxy in front of a server, which a test cuts (every connection closed, the port
/// refused) and restores on the same port, to simulate an outage.
pub(crate) struct Proxy {
    /// The local port clients connect to.
    pub(crate) port: u16,
    upstream: SocketAddr,
    cut: watch::Sender<bool>,
    task: Option<JoinHandle<()>>,
}

impl Proxy {
    /// Starts forwarding an ephemeral port on 127.0.0.1 to `upstream`.
    pub(crate) async fn start(upstream: SocketAddr) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let (cut, signal) = watch::channel(false);
        let task = Some(tokio::spawn(serve(listener, upstream, signal)));
        Self { port, upstream, cut, task }
    }

    /// The server "goes away": open connections die, new ones are refused.
    pub(crate) async fn cut(&mut self) {
        self.cut.send(true).unwrap();
        if let Some(task) = self.task.take() {
            task.await.unwrap();
        }
    }

    /// The server "comes back" on the same port.
    pub(crate) async fn restore(&mut self) {
        let listener = TcpListener::bind(("127.0.0.1", self.port)).await.unwrap();
        let (cut, signal) = watch::channel(false);
        self.cut = cut;
        self.task = Some(tokio::spawn(serve(listener, self.upstream, signal)));
    }
}

async fn serve(listener: TcpListener, upstream: SocketAddr, cut: watch::Receiver<bool>) {
    loop {
        let mut cut = cut.clone();
        let accepted = tokio::select! {
            accepted = listener.accept() => accepted,
            _ = cut.changed() => return,
        };
        let Ok((mut inbound, _)) = accepted else { return };
        tokio::spawn(async move {
            if let Ok(mut outbound) = tokio::net::TcpStream::connect(upstream).await {
                tokio::select! {
                    _ = tokio::io::copy_bidirectional(&mut inbound, &mut outbound) => {}
                    _ = cut.changed() => {}
                }
            }
            let _ = inbound.shutdown().await;
        });
    }
}

/// The first address of `url`'s host and port.
pub(crate) async fn upstream_of(url: &str, default_port: u16) -> SocketAddr {
    let url: url::Url = url.parse().unwrap();
    tokio::net::lookup_host((url.host_str().unwrap(), url.port().unwrap_or(default_port)))
        .await
        .unwrap()
        .next()
        .unwrap()
}

/// `url` pointed at 127.0.0.1:`port` instead.
pub(crate) fn through(url: &str, port: u16) -> String {
    let mut url: url::Url = url.parse().unwrap();
    url.set_host(Some("127.0.0.1")).unwrap();
    url.set_port(Some(port)).unwrap();
    url.to_string()
}

/// Two replicas (separate connections to one server) write the same records while one of them
/// re-seals everything under a new key: nothing is lost, and every record opens afterwards.
pub(crate) async fn race_replicas<B: BlobStore + 'static>(blobs_a: B, blobs_b: B) {
    let old_key = DataKey::generate();
    let new_key = DataKey::generate();
    let ring_a = Keyring::new(1, old_key.clone());
    ring_a.add(2, new_key.clone()).unwrap();
    let ring_b = Keyring::new(1, old_key);
    ring_b.add(2, new_key).unwrap();
    let a = Arc::new(EncryptedTokenStore::new(blobs_a, ring_a));
    let b = Arc::new(EncryptedTokenStore::new(blobs_b, ring_b));
    let key =
        |i: usize| TokenKey::new("race", Channel::WhatsApp, format!("asset-{i}"), SecretKind::AccessToken);
    for i in 0..40 {
        a.put(TokenRecord::new(key(i), format!("v0-{i}"))).await.unwrap();
    }
    b.keyring().unwrap().promote(2).unwrap();

    let mut tasks = Vec::new();
    for writer in 0..8usize {
        let store = if writer % 2 == 0 { Arc::clone(&a) } else { Arc::clone(&b) };
        tasks.push(tokio::spawn(async move {
            for i in (writer..40).step_by(8) {
                store.put(TokenRecord::new(key(i), format!("v1-{i}"))).await.unwrap();
                let read = store.get(&key(i)).await.unwrap().expect("a record never disappears");
                assert!(read.secret.expose_secret().ends_with(&format!("-{i}")));
            }
        }));
    }
    let resealer = Arc::clone(&b);
    tasks.push(tokio::spawn(async move {
        resealer.reseal_all().await.unwrap();
    }));
    for task in tasks {
        task.await.unwrap();
    }
    // Whatever key each record ended under, both replicas open it, with the last write.
    for i in 0..40 {
        for store in [&a, &b] {
            let record = store.get(&key(i)).await.unwrap().unwrap();
            assert_eq!(record.secret.expose_secret(), format!("v1-{i}"));
        }
    }
    b.reseal_all().await.unwrap();
    let left = b.blobs().sealed_with_other_key(2, None, 100).await.unwrap();
    assert!(left.is_empty(), "after a quiet re-seal every record is under key 2");
}

/// `racers` tasks, alternating between two replicas, claim each of five events: exactly one
/// wins each.
pub(crate) async fn race_dedupe<D: Deduplicator + Clone + 'static>(
    first: D,
    second: D,
    racers: usize,
    tag: &str,
) {
    for event in 0..5 {
        let key = format!("whatsapp:wamid.{tag}{event}");
        let tasks: Vec<_> = (0..racers)
            .map(|i| {
                let dedupe = if i % 2 == 0 { first.clone() } else { second.clone() };
                let key = key.clone();
                tokio::spawn(async move { dedupe.first_seen(&key).await.unwrap() })
            })
            .collect();
        let mut winners = 0;
        for task in tasks {
            winners += usize::from(task.await.unwrap());
        }
        assert_eq!(winners, 1, "event {event}: exactly one replica processes it");
    }
}

/// Two-phase dedupe across two replicas: a claim blocks the other replica, a release lets
/// Meta's redelivery through, a commit makes the key a duplicate for good.
pub(crate) async fn two_phase<D: Deduplicator>(first: &D, second: &D, tag: &str) {
    let key = format!("whatsapp:wamid.{tag}");
    assert!(first.claim(&key).await.unwrap());
    assert!(!second.claim(&key).await.unwrap(), "claimed elsewhere: a duplicate");
    first.release(&key).await.unwrap();
    assert!(second.claim(&key).await.unwrap(), "released: the redelivery is processed");
    second.commit(&key).await.unwrap();
    assert!(!first.claim(&key).await.unwrap());
    assert!(!first.first_seen(&key).await.unwrap());
}
