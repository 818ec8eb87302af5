//! Helpers shared by the real-server suites (`postgres.rs`, `redis.rs`).

use std::net::SocketAddr;

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
