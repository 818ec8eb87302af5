//! Token lifecycle endpoints and the refresher.

use std::sync::Arc;
use std::time::Duration;

use meta_messaging::clock::{Clock, ManualClock};
use meta_messaging::token::{
    Channel, DataKey, EncryptedTokenStore, InMemoryBlobStore, Keyring, RefreshMethod, RefreshOutcome,
    Refresher, SecretKind, TokenKey, TokenRecord, TokenStore,
};
use meta_messaging::{AccessToken, Client, Timestamp};
use serde_json::json;
use wiremock::matchers::{header, method, path, query_param};
use wiremock::{Mock, MockServer, Request, ResponseTemplate};

use crate::support::{fast_retry, fixture};

const APP_ID: &str = "1234567890";
const APP_SECRET: &str = "lifecycle-app-secret-77";

fn client(server: &MockServer) -> Client {
    Client::builder()
        .base_url(server.uri())
        .instagram_base_url(format!("{}/ig", server.uri()))
        .retry(fast_retry())
        .build()
        .unwrap()
}

fn no_auth_header() -> impl wiremock::Match {
    |r: &Request| !r.headers.contains_key("authorization")
}

#[tokio::test]
async fn code_exchange_long_lived_app_token_and_debug_token() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/v26.0/oauth/access_token"))
        .and(query_param("client_id", APP_ID))
        .and(query_param("client_secret", APP_SECRET))
        .and(query_param("code", "es-code-123"))
        .and(no_auth_header())
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(json!({"access_token": "EAAG-business", "token_type": "bearer"})),
        )
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/v26.0/oauth/access_token"))
        .and(query_param("grant_type", "fb_exchange_token"))
        .and(query_param("fb_exchange_token", "EAAG-short"))
        .and(query_param("client_secret", APP_SECRET))
        .respond_with(ResponseTemplate::new(200).set_body_json(
            json!({"access_token": "EAAG-long", "token_type": "bearer", "expires_in": 5_183_944}),
        ))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/v26.0/oauth/access_token"))
        .and(query_param("grant_type", "client_credentials"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(json!({"business_token": "1234567890|app-token", "token_type": "bearer"})),
        )
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/v26.0/debug_token"))
        .and(query_param("input_token", "EAAG-long"))
        .and(header("authorization", format!("Bearer {APP_ID}|{APP_SECRET}").as_str()))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"data": {
            "app_id": "1234567890", "type": "SYSTEM_USER", "application": "Gateway",
            "data_access_expires_at": 1_771_000_000, "expires_at": 0, "is_valid": true, "issued_at": 1_763_000_000,
            "scopes": ["whatsapp_business_messaging", "whatsapp_business_management"],
            "granular_scopes": [{"scope": "whatsapp_business_messaging", "target_ids": ["102290129340398"]}, {"scope": "business_management"}],
            "user_id": 100_000_123_456_789_u64
        }})))
        .expect(1)
        .mount(&server)
        .await;
    let oauth = client(&server).oauth(APP_ID, APP_SECRET);
    let business = oauth.exchange_code("es-code-123").await.unwrap();
    assert_eq!(business.access_token.expose_secret(), "EAAG-business");
    let long = oauth.exchange_long_lived(&AccessToken::new("EAAG-short")).await.unwrap();
    let now = Timestamp::from_unix_seconds(1_763_800_000);
    assert_eq!(long.expires_at(now), Some(Timestamp::from_unix_seconds(1_763_800_000 + 5_183_944)));
    assert!(
        !format!("{long:?} {oauth:?}").contains("EAAG-long") && !format!("{oauth:?}").contains(APP_SECRET)
    );
    let app = oauth.app_access_token().await.unwrap();
    assert_eq!(app.access_token.expose_secret(), "1234567890|app-token");
    let info = oauth.debug_token(&long.access_token).await.unwrap().data;
    assert!(info.is_valid);
    assert_eq!(info.expires_at, None, "0 means never");
    assert_eq!(info.data_access_expires_at, Some(Timestamp::from_unix_seconds(1_771_000_000)));
    assert_eq!(info.granular_scopes[0].target_ids, ["102290129340398"]);
    assert!(info.granular_scopes[1].target_ids.is_empty());
    assert_eq!(info.user_id.as_deref(), Some("100000123456789"));
}

#[tokio::test]
async fn instagram_refresh_and_revoke() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/ig/v26.0/refresh_access_token"))
        .and(query_param("grant_type", "ig_refresh_token"))
        .and(query_param("access_token", "IGAA-old"))
        .and(no_auth_header())
        .respond_with(ResponseTemplate::new(200).set_body_json(
            json!({"access_token": "IGAA-new", "token_type": "bearer", "expires_in": 5_184_000}),
        ))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("DELETE"))
        .and(path("/v26.0/100000123456789/permissions"))
        .and(header("authorization", "Bearer EAAG-user"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"success": true})))
        .expect(1)
        .mount(&server)
        .await;
    let oauth = client(&server).oauth(APP_ID, APP_SECRET);
    let refreshed = oauth.refresh_instagram_token(&AccessToken::new("IGAA-old")).await.unwrap();
    assert_eq!((refreshed.access_token.expose_secret(), refreshed.expires_in), ("IGAA-new", Some(5_184_000)));
    oauth.revoke(&AccessToken::new("EAAG-user"), "100000123456789").await.unwrap();
}

#[tokio::test]
async fn exchange_errors_hide_the_secrets_in_the_query() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(400).set_body_string(format!(
            r#"{{"error":{{"message":"Invalid code es-code-SECRET for client_secret {APP_SECRET}","type":"OAuthException","code":100}}}}"#
        )))
        .mount(&server)
        .await;
    let err = client(&server).oauth(APP_ID, APP_SECRET).exchange_code("es-code-SECRET").await.unwrap_err();
    let shown = format!("{err} {err:?}");
    assert!(!shown.contains(APP_SECRET) && !shown.contains("es-code-SECRET"), "{shown}");
}

/// Instagram Login end to end (Business Login for Instagram): the redirect's code for a
/// short-lived token on `api.instagram.com`, that for a long-lived one on `graph.instagram.com`,
/// then a refresh; responses as in Meta's Instagram Platform reference.
#[tokio::test]
async fn instagram_login_code_long_lived_exchange_and_refresh() {
    const IG_APP_ID: &str = "990602627938098";
    const IG_APP_SECRET: &str = "instagram-app-secret-31";
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/oauth/access_token"))
        .and(no_auth_header())
        .and(|r: &Request| {
            r.headers
                .get("content-type")
                .and_then(|v| v.to_str().ok())
                .is_some_and(|v| v.starts_with("multipart/form-data"))
        })
        .and(|r: &Request| {
            let body = String::from_utf8_lossy(&r.body);
            let field =
                |name: &str, value: &str| body.contains(&format!("name=\"{name}\"\r\n\r\n{value}\r\n"));
            field("client_id", IG_APP_ID)
                && field("client_secret", IG_APP_SECRET)
                && field("grant_type", "authorization_code")
                && field("redirect_uri", "https://example.com/ig/callback")
                && field("code", "AQBx-code")
        })
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"data": [{
            "access_token": "IGQWRshort", "user_id": "17841400000000000",
            "permissions": "instagram_business_basic,instagram_business_manage_messages"
        }]})))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/ig/v26.0/access_token"))
        .and(no_auth_header())
        .and(query_param("grant_type", "ig_exchange_token"))
        .and(query_param("client_secret", IG_APP_SECRET))
        .and(query_param("access_token", "IGQWRshort"))
        .respond_with(ResponseTemplate::new(200).set_body_json(
            json!({"access_token": "IGQWRlong", "token_type": "bearer", "expires_in": 5_183_944}),
        ))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/ig/v26.0/refresh_access_token"))
        .and(query_param("grant_type", "ig_refresh_token"))
        .and(query_param("access_token", "IGQWRlong"))
        .respond_with(ResponseTemplate::new(200).set_body_json(
            json!({"access_token": "IGQWRlonger", "token_type": "bearer", "expires_in": 5_184_000}),
        ))
        .expect(1)
        .mount(&server)
        .await;
    let client = Client::builder()
        .base_url(server.uri())
        .instagram_base_url(format!("{}/ig", server.uri()))
        .instagram_oauth_base_url(server.uri())
        .retry(fast_retry())
        .build()
        .unwrap();
    let oauth = client.oauth(IG_APP_ID, IG_APP_SECRET);
    let request = oauth.exchange_instagram_code("AQBx-code#_", "https://example.com/ig/callback");
    let shown = format!("{request:?}");
    assert!(!shown.contains(IG_APP_SECRET) && !shown.contains("AQBx-code"), "{shown}");
    let short = request.await.unwrap();
    assert_eq!(short.access_token.expose_secret(), "IGQWRshort");
    assert_eq!(short.user_id.as_deref(), Some("17841400000000000"));
    assert_eq!(short.permissions, ["instagram_business_basic", "instagram_business_manage_messages"]);
    assert!(!format!("{short:?}").contains("IGQWRshort"));
    let long = oauth.exchange_instagram_long_lived(&short.access_token).await.unwrap();
    assert_eq!((long.access_token.expose_secret(), long.expires_in), ("IGQWRlong", Some(5_183_944)));
    let renewed = oauth.refresh_instagram_token(&long.access_token).await.unwrap();
    assert_eq!(renewed.access_token.expose_secret(), "IGQWRlonger");
}

#[test]
fn the_older_flat_code_exchange_answer_parses_too() {
    let token: meta_messaging::token::InstagramToken =
        serde_json::from_str(r#"{"access_token":"IGQVJ","user_id":17841400000000000}"#).unwrap();
    assert_eq!(
        (token.access_token.expose_secret(), token.user_id.as_deref()),
        ("IGQVJ", Some("17841400000000000"))
    );
    assert!(serde_json::from_str::<meta_messaging::token::InstagramToken>(r#"{"data":[]}"#).is_err());
}

/// `appsecret_proof` comes from the secret of the app that issued the token, per host: the
/// Facebook app's on `graph.facebook.com`, the Instagram app's on `graph.instagram.com`, and
/// none there when only the Facebook app's secret is known.
#[tokio::test]
async fn appsecret_proof_uses_the_secret_of_each_host_s_app() {
    use hmac::{Hmac, Mac};
    let proof = |secret: &str, token: &str| {
        let mut mac = Hmac::<sha2::Sha256>::new_from_slice(secret.as_bytes()).unwrap();
        mac.update(token.as_bytes());
        mac.finalize().into_bytes().iter().map(|b| format!("{b:02x}")).collect::<String>()
    };
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/v26.0/me"))
        .and(query_param("appsecret_proof", proof("fb-secret", "TOKEN-1")))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"id": "1"})))
        .expect(2)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/ig/v26.0/me"))
        .and(query_param("appsecret_proof", proof("ig-secret", "TOKEN-1")))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"id": "2"})))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/ig/v26.0/me"))
        .and(wiremock::matchers::query_param_is_missing("appsecret_proof"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"id": "3"})))
        .expect(1)
        .mount(&server)
        .await;
    let builder = || {
        Client::builder()
            .base_url(server.uri())
            .instagram_base_url(format!("{}/ig", server.uri()))
            .access_token("TOKEN-1")
            .app_secret("fb-secret")
            .retry(fast_retry())
    };
    let both = builder().instagram_app_secret("ig-secret").build().unwrap();
    let facebook_only = builder().build().unwrap();
    let get = |client: &Client, host| client.get::<serde_json::Value>("me").host(host);
    use meta_messaging::graph::Host;
    assert_eq!(get(&both, Host::Facebook).await.unwrap()["id"], "1");
    assert_eq!(get(&both, Host::Instagram).await.unwrap()["id"], "2");
    assert_eq!(get(&facebook_only, Host::Facebook).await.unwrap()["id"], "1");
    assert_eq!(get(&facebook_only, Host::Instagram).await.unwrap()["id"], "3");
}

fn record(
    tenant: &str,
    secret: &str,
    expires_in_days: i64,
    refresh: RefreshMethod,
    now: Timestamp,
) -> TokenRecord {
    let key = TokenKey::new(tenant, Channel::Instagram, "17841400000000000", SecretKind::AccessToken);
    let mut record = TokenRecord::new(key, secret)
        .expires_at(Timestamp::from_unix_millis(now.unix_millis() + expires_in_days * 86_400_000));
    record.metadata.refresh = refresh;
    record
}

#[tokio::test]
async fn the_refresher_renews_reports_and_leaves_the_rest() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/v26.0/oauth/access_token"))
        .and(query_param("fb_exchange_token", "EAAG-expiring"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(json!({"access_token": "EAAG-renewed", "expires_in": 5_184_000})),
        )
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/ig/v26.0/refresh_access_token"))
        .and(query_param("access_token", "IGAA-expiring"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(json!({"access_token": "IGAA-renewed", "expires_in": 5_184_000})),
        )
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/v26.0/oauth/access_token"))
        .and(query_param("fb_exchange_token", "EAAG-revoked"))
        .respond_with(
            ResponseTemplate::new(400).set_body_bytes(fixture("errors/190_460_password_changed.json")),
        )
        .expect(1)
        .mount(&server)
        .await;
    let now = Timestamp::from_unix_seconds(1_763_800_000);
    let clock = ManualClock::new(now);
    let store: Arc<dyn TokenStore> = Arc::new(EncryptedTokenStore::new(
        InMemoryBlobStore::default(),
        Keyring::new(1, DataKey::generate()),
    ));
    store.put(record("fb", "EAAG-expiring", 3, RefreshMethod::FacebookExchange, now)).await.unwrap();
    store.put(record("ig", "IGAA-expiring", 6, RefreshMethod::InstagramRefresh, now)).await.unwrap();
    store.put(record("dead", "EAAG-revoked", 1, RefreshMethod::FacebookExchange, now)).await.unwrap();
    store.put(record("system", "EAAG-system", 2, RefreshMethod::None, now)).await.unwrap();
    store.put(record("later", "EAAG-later", 30, RefreshMethod::FacebookExchange, now)).await.unwrap();

    let oauth = client(&server).oauth(APP_ID, APP_SECRET);
    let refresher = Refresher::new(Arc::clone(&store), oauth).with_clock(Arc::new(clock.clone()));
    let report = refresher.run_once().await.unwrap();
    assert_eq!(report.outcomes.len(), 4, "the 30-day token is not due: {report:?}");
    assert_eq!(report.refreshed(), 2);
    let reauth: Vec<&str> = report.needs_reauth().map(|i| i.key.tenant.as_str()).collect();
    assert_eq!(reauth, ["dead"]);
    assert!(
        report
            .outcomes
            .iter()
            .any(|o| matches!(o, RefreshOutcome::NotRefreshable(i) if i.key.tenant == "system"))
    );

    let key = |tenant: &str| {
        TokenKey::new(tenant, Channel::Instagram, "17841400000000000", SecretKind::AccessToken)
    };
    let fb = store.get(&key("fb")).await.unwrap().unwrap();
    assert_eq!(fb.secret.expose_secret(), "EAAG-renewed");
    assert_eq!(fb.metadata.expires_at, Some(now.saturating_add(Duration::from_secs(5_184_000))));
    assert_eq!(store.get(&key("ig")).await.unwrap().unwrap().secret.expose_secret(), "IGAA-renewed");
    assert_eq!(store.get(&key("dead")).await.unwrap().unwrap().secret.expose_secret(), "EAAG-revoked");

    // A month later, the renewed tokens are due again; the dead one is still reported.
    clock.advance(Duration::from_secs(55 * 86_400));
    let due: Vec<String> = store
        .expiring_before(clock.now().saturating_add(Duration::from_secs(7 * 86_400)))
        .await
        .unwrap()
        .into_iter()
        .map(|i| i.key.tenant)
        .collect();
    assert!(due.contains(&"fb".to_owned()) && due.contains(&"ig".to_owned()), "{due:?}");
}

#[tokio::test]
async fn a_renewal_that_does_not_extend_keeps_the_known_expiry_and_asks_for_a_login() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/v26.0/oauth/access_token"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"access_token": "EAAG-renewed"})))
        .mount(&server)
        .await;
    let now = Timestamp::from_unix_seconds(1_763_800_000);
    let store: Arc<dyn TokenStore> = Arc::new(EncryptedTokenStore::new(
        InMemoryBlobStore::default(),
        Keyring::new(1, DataKey::generate()),
    ));
    store.put(record("fb", "EAAG-expiring", 3, RefreshMethod::FacebookExchange, now)).await.unwrap();
    let refresher = Refresher::new(Arc::clone(&store), client(&server).oauth(APP_ID, APP_SECRET))
        .with_clock(Arc::new(ManualClock::new(now)));
    // An answer that does not push the expiry back is stored but reported: the customer must
    // log in again before the known expiry.
    let report = refresher.run_once().await.unwrap();
    assert_eq!(report.refreshed(), 0);
    assert!(matches!(report.outcomes[0], RefreshOutcome::NotExtended(_)), "{:?}", report.outcomes);
    assert_eq!(report.needs_reauth().count(), 1);
    let key = TokenKey::new("fb", Channel::Instagram, "17841400000000000", SecretKind::AccessToken);
    let renewed = store.get(&key).await.unwrap().unwrap();
    assert_eq!(renewed.secret.expose_secret(), "EAAG-renewed");
    assert_eq!(
        renewed.metadata.expires_at,
        Some(now.saturating_add(Duration::from_secs(3 * 86_400))),
        "still due for refresh"
    );
}
