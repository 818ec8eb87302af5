//! Cursor pagination as a stream.

use futures_util::TryStreamExt;
use meta_messaging::ErrorKind;
use meta_messaging::graph::Page;
use serde_json::{Value, json};
use wiremock::matchers::{header, method, path, query_param, query_param_is_missing};
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::support::{TOKEN, client};

#[tokio::test]
async fn three_pages_by_cursor() {
    let server = MockServer::start().await;
    let base = format!("{}/v26.0/102290129340398/message_templates", server.uri());
    let page = |ids: &[u32], after: Option<&str>| {
        let mut body = json!({"data": ids.iter().map(|i| json!({"id": i.to_string()})).collect::<Vec<_>>()});
        if let Some(after) = after {
            body["paging"] = json!({
                "cursors": {"before": "B", "after": after},
                "next": format!("{base}?access_token={TOKEN}&limit=3&after={after}")
            });
        } else {
            body["paging"] = json!({"cursors": {"before": "B", "after": "END"}});
        }
        ResponseTemplate::new(200).set_body_json(body)
    };
    let templates = || path("/v26.0/102290129340398/message_templates");
    let bearer = format!("Bearer {TOKEN}");
    let auth = || header("authorization", bearer.as_str());
    Mock::given(method("GET"))
        .and(templates())
        .and(auth())
        .and(query_param_is_missing("after"))
        .and(query_param("limit", "3"))
        .respond_with(page(&[1, 2, 3], Some("QVFIUk1")))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(templates())
        .and(auth())
        .and(query_param("after", "QVFIUk1"))
        .and(query_param("limit", "3"))
        .respond_with(page(&[4, 5, 6], Some("QVFIUk2")))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(templates())
        .and(auth())
        .and(query_param("after", "QVFIUk2"))
        .respond_with(page(&[7], None))
        .expect(1)
        .mount(&server)
        .await;

    let ids: Vec<String> = client(&server)
        .get::<Page<Value>>("102290129340398/message_templates")
        .query("limit", 3)
        .items()
        .map_ok(|item| item["id"].as_str().unwrap().to_owned())
        .try_collect()
        .await
        .unwrap();
    assert_eq!(ids, ["1", "2", "3", "4", "5", "6", "7"]);
}

#[tokio::test]
async fn next_links_without_cursors_are_followed_without_the_token_in_the_url() {
    let server = MockServer::start().await;
    let next = format!("{}/v26.0/1/edge?access_token={TOKEN}&offset=2", server.uri());
    Mock::given(method("GET"))
        .and(path("/v26.0/1/edge"))
        .and(query_param_is_missing("offset"))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(json!({"data": [1, 2], "paging": {"next": next}})),
        )
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/v26.0/1/edge"))
        .and(query_param("offset", "2"))
        .and(query_param_is_missing("access_token"))
        .and(header("authorization", format!("Bearer {TOKEN}").as_str()))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"data": [3]})))
        .expect(1)
        .mount(&server)
        .await;
    let pages: Vec<Page<u32>> =
        client(&server).get::<Page<u32>>("1/edge").pages().try_collect().await.unwrap();
    assert_eq!(pages.len(), 2);
    assert_eq!(pages[1].data, [3]);
}

#[tokio::test]
async fn a_next_link_to_another_host_is_refused() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "data": [1], "paging": {"next": "https://evil.example/steal?x=1"}
        })))
        .expect(1)
        .mount(&server)
        .await;
    let mut items = client(&server).get::<Page<u32>>("1/edge").items();
    assert_eq!(items.try_next().await.unwrap(), Some(1));
    let err = items.try_next().await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Config);
    assert!(!err.to_string().contains("evil"), "{err}");
}

#[tokio::test]
async fn an_error_ends_the_stream() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(
            ResponseTemplate::new(400).set_body_json(json!({"error": {"code": 100, "message": "bad"}})),
        )
        .mount(&server)
        .await;
    let mut pages = client(&server).get::<Page<u32>>("1/edge").pages();
    assert_eq!(pages.try_next().await.unwrap_err().kind(), ErrorKind::InvalidRequest);
    assert!(pages.try_next().await.unwrap().is_none());
}
