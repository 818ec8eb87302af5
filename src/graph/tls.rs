//! The TLS every reqwest client of this crate uses (Graph calls and relay destinations).
//!
//! With the `rustls` feature (the default) connections use rustls on the *ring* provider, with
//! the operating system's trust store (`rustls-platform-verifier`). The provider is given to
//! each client, never installed process-wide, so a program that picks another provider for its
//! own clients is not affected. *ring* builds in seconds; AWS-LC, reqwest's default provider,
//! needs `CMake` and a C build several times longer (see README, "Build footprint").
//! With only `native-tls`, the platform's library is used (OpenSSL on Linux).

/// A `reqwest` client builder with this crate's TLS, for clients of your own: posting to your
/// endpoint in tests, or a client you tune (proxy, pool) and hand to
/// [`ClientBuilder::http_client`](crate::ClientBuilder::http_client).
///
/// With the `rustls` feature, `reqwest` is built without a crypto provider of its own (so
/// AWS-LC is not compiled): a `reqwest::Client::new()` in a program whose `reqwest` has no
/// provider feature either panics when built. Start from this builder instead, or install a
/// provider (`rustls::crypto::ring::default_provider().install_default()`).
///
/// ```
/// let http = meta_messaging::graph::http_client_builder()?.build()?;
/// # let _ = http;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
///
/// # Errors
///
/// [`ErrorKind::Config`](crate::ErrorKind::Config) when the TLS configuration cannot be set up
/// (the system holds no CA certificates).
#[cfg_attr(not(feature = "rustls"), allow(clippy::unnecessary_wraps))] // fails only with rustls
pub fn http_client_builder() -> super::Result<reqwest::ClientBuilder> {
    let builder = reqwest::Client::builder();
    #[cfg(feature = "rustls")]
    let builder = builder.tls_backend_preconfigured(rustls_config().map_err(super::Error::config)?);
    Ok(builder)
}

/// rustls on *ring* with the platform verifier; ALPN offers HTTP/2 when the `http2` feature is on.
#[cfg(feature = "rustls")]
fn rustls_config() -> Result<rustls::ClientConfig, String> {
    use rustls_platform_verifier::BuilderVerifierExt;

    let provider = std::sync::Arc::new(rustls::crypto::ring::default_provider());
    let mut config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .and_then(BuilderVerifierExt::with_platform_verifier)
        .map_err(|error| format!("TLS setup failed: {error}"))?
        .with_no_client_auth();
    config.alpn_protocols = if cfg!(feature = "http2") {
        vec![b"h2".to_vec(), b"http/1.1".to_vec()]
    } else {
        vec![b"http/1.1".to_vec()]
    };
    Ok(config)
}

#[cfg(all(test, feature = "rustls"))]
mod tests {
    use super::*;

    #[test]
    fn the_config_uses_ring_and_offers_the_enabled_protocols() {
        let config = rustls_config().unwrap();
        let expected: &[&[u8]] = if cfg!(feature = "http2") { &[b"h2", b"http/1.1"] } else { &[b"http/1.1"] };
        assert_eq!(config.alpn_protocols, expected);
        // *ring*'s suites, not AWS-LC's: the provider is this config's own, not a process default.
        assert!(
            config
                .crypto_provider()
                .cipher_suites
                .iter()
                .any(|s| format!("{s:?}").contains("TLS13_AES_256_GCM"))
        );
        assert!(rustls::crypto::CryptoProvider::get_default().is_none(), "nothing installed process-wide");
    }
}
