//! Marketing messages on Messenger and calling permissions: requests checked against Meta's
//! "Marketing Messages" (opt-in, tokens), "Marketing Messages on Messenger: send messages"
//! (campaigns and sends through an ad account) and calling "Check permissions" pages, answers
//! parsed, the same flow on FakeGraph.

use meta_messaging::ErrorKind;
use meta_messaging::messenger::Message;
use meta_messaging::messenger::marketing::MessageCampaign;
use meta_messaging::messenger::message::{MarketingOptIn, OptInCta};
use meta_messaging::testing::FakeGraph;
use serde_json::json;
use wiremock::matchers::{body_json, method, path, query_param};
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::support::client;

const PAGE: &str = "496827783153891";
const PSID: &str = "24512345678901234";
const AD_ACCOUNT: &str = "act_1234567890";

fn ok(body: serde_json::Value) -> ResponseTemplate {
    ResponseTemplate::new(200).set_body_json(body)
}

#[tokio::test]
async fn the_opt_in_request_and_the_tokens_go_as_meta_shows_them() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path(format!("/v26.0/{PAGE}/messages")))
        .and(body_json(json!({"recipient": {"id": PSID}, "messaging_type": "RESPONSE",
            "message": {"attachment": {"type": "template", "payload": {"template_type": "notification_messages",
                "payload": "SPRING-2026", "title": "Spring offers", "image_url": "https://www.luckyshrub.com/spring.png",
                "notification_messages_timezone": "UTC", "notification_messages_cta_text": "SIGN_UP"}}}})))
        .respond_with(ok(json!({"recipient_id": PSID, "message_id": "m_opt1"})))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path(format!("/v26.0/{PAGE}/notification_message_tokens")))
        .respond_with(ok(json!({"data": [{"notification_messages_token": "7178504651785463412", "recipient_id": PSID,
            "notification_messages_reoptin": "ENABLED", "creation_timestamp": 1_767_225_600,
            "token_expiry_timestamp": 1_782_777_600, "user_token_status": "NOT_REFRESHED", "topic_title": "Spring offers",
            "notification_messages_timezone": "UTC", "next_eligible_time": 1_767_398_400}],
            "paging": {"cursors": {"before": "QVFIUm", "after": "QVFIUn"}}})))
        .expect(1)
        .mount(&server)
        .await;
    let page = client(&server).messenger(PAGE);
    let opt_in = MarketingOptIn::new("SPRING-2026")
        .title("Spring offers")
        .image_url("https://www.luckyshrub.com/spring.png")
        .timezone("UTC")
        .cta_text(OptInCta::SignUp);
    page.send(PSID, Message::marketing_opt_in(opt_in)).await.unwrap();
    let tokens = page.notification_message_tokens().await.unwrap();
    let token = &tokens.data[0];
    assert_eq!(token.notification_messages_token.as_deref(), Some("7178504651785463412"));
    assert_eq!(
        (token.next_eligible_time, token.topic_title.as_deref()),
        (Some(1_767_398_400), Some("Spring offers"))
    );

    let long = MarketingOptIn::new("X").title("t".repeat(66));
    assert_eq!(
        page.send(PSID, Message::marketing_opt_in(long)).await.unwrap_err().kind(),
        ErrorKind::Validation
    );
    let empty = MarketingOptIn::new("");
    assert_eq!(
        page.send(PSID, Message::marketing_opt_in(empty)).await.unwrap_err().kind(),
        ErrorKind::Validation
    );
}

#[tokio::test]
async fn a_campaign_is_created_and_a_message_sent_through_the_ad_account() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path(format!("/v26.0/{AD_ACCOUNT}/message_campaign")))
        .and(body_json(json!({"name": "Spring sale", "page_id": PAGE, "daily_budget": 5000,
            "start_time": "2026-03-01T00:00:00+0000", "end_time": "2026-03-31T00:00:00+0000"})))
        .respond_with(ok(json!({"id": "120210000000001"})))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path(format!("/v26.0/{AD_ACCOUNT}/messages")))
        .and(body_json(json!({"message_id": "120210000000001",
            "messenger_delivery_data": {"subscription_token": "7178504651785463412"},
            "message": {"text": "20% off all plants this week"}, "min_conversation_gap_seconds": 86_400})))
        .respond_with(ok(
            json!({"success": true, "marketing_message_tracking_id": "98ecd977-1b2c-4d5e-8f90-123456789abc"}),
        ))
        .expect(1)
        .mount(&server)
        .await;
    let page = client(&server).messenger(PAGE);
    let campaign = MessageCampaign::new("Spring sale")
        .daily_budget(5000)
        .schedule("2026-03-01T00:00:00+0000", "2026-03-31T00:00:00+0000");
    // The ad account's `act_` prefix is added when missing.
    let created = page.create_message_campaign("1234567890", &campaign).await.unwrap();
    assert_eq!(created.id.as_deref(), Some("120210000000001"));
    let sent = page
        .send_marketing_message(
            AD_ACCOUNT,
            "120210000000001",
            "7178504651785463412",
            Message::text("20% off all plants this week"),
            Some(86_400),
        )
        .await
        .unwrap();
    assert_eq!(sent.marketing_message_tracking_id.as_deref(), Some("98ecd977-1b2c-4d5e-8f90-123456789abc"));

    let both = MessageCampaign::new("x").daily_budget(1).lifetime_budget(2);
    assert_eq!(
        page.create_message_campaign(AD_ACCOUNT, &both).await.unwrap_err().kind(),
        ErrorKind::Validation
    );
    let no_token =
        page.send_marketing_message(AD_ACCOUNT, "120210000000001", "", Message::text("hi"), None).await;
    assert_eq!(no_token.unwrap_err().kind(), ErrorKind::Validation);
}

#[tokio::test]
async fn call_permissions_read_in_both_of_meta_shapes() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path(format!("/v26.0/{PAGE}/messenger_call_permissions")))
        .and(query_param("psid", PSID))
        .respond_with(ok(
            json!({"permission": {"status": "has_permission", "expiration_time": 1_745_343_479},
            "actions": [{"action_name": "send_call_permission_request", "can_perform": false,
                "limits": [{"time_period": "PT24H", "max_allowed": 2, "current_usage": 1}]},
                {"action_name": "start_call", "can_perform": true}]}),
        ))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path(format!("/v26.0/{PAGE}/messenger_call_permissions")))
        .and(query_param("psid", "999"))
        .respond_with(ok(json!({"data": [{"permission": {"status": "NO_PERMISSION"},
            "actions": [{"action_name": "start_call", "can_perform_action": false}]}]})))
        .expect(1)
        .mount(&server)
        .await;
    let page = client(&server).messenger(PAGE);
    let granted = page.call_permissions(PSID).await.unwrap();
    assert!(granted.granted());
    assert_eq!(granted.actions[1].can_perform_action, Some(true));
    assert_eq!(granted.permission.unwrap().expiration_time.map(|t| t.unix_seconds()), Some(1_745_343_479));
    let refused = page.call_permissions("999").await.unwrap();
    assert!(!refused.granted(), "{refused:?}");
    assert_eq!(refused.actions[0].can_perform_action, Some(false), "unwrapped from data[]");
    assert_eq!(page.call_permissions("").await.unwrap_err().kind(), ErrorKind::Validation);
}

#[tokio::test]
async fn fake_graph_runs_a_messenger_campaign_to_its_subscribers() {
    let fake = FakeGraph::start().await;
    let page = fake.client("EAAG-test").messenger(PAGE);
    let token = fake.subscribe(PAGE, PSID, "Spring offers");
    let tokens = page.notification_message_tokens().await.unwrap();
    assert_eq!(tokens.data[0].notification_messages_token.as_deref(), Some(token.as_str()));
    let campaign = page.create_message_campaign(AD_ACCOUNT, &MessageCampaign::new("Spring")).await.unwrap();
    let campaign = campaign.id.unwrap();
    let sent = page
        .send_marketing_message(AD_ACCOUNT, &campaign, &token, Message::text("20% off"), None)
        .await
        .unwrap();
    assert_eq!(sent.success, Some(true));
    let outbox = fake.outbox();
    let last = outbox.last().unwrap();
    assert_eq!(
        (last.to.as_str(), last.kind.as_str(), last.from.as_str()),
        (token.as_str(), "marketing_message", AD_ACCOUNT)
    );
    assert_eq!(last.body["message"]["text"], "20% off");
    assert!(!page.call_permissions(PSID).await.unwrap().granted());
}

/// Meta's Messenger calling webhooks: a Page entry's `calls[]`, one event each, with its own
/// dedupe key (a call's `connect` and `terminate` are two events).
#[test]
fn messenger_calls_are_events_with_their_own_keys() {
    use meta_messaging::webhook::{Event, parse};
    let body = crate::support::fixture("webhooks/messenger/msgr_calls_connect_terminate.json");
    let webhook = parse(&body).unwrap();
    let events: Vec<Event<'_>> = webhook.events().collect();
    let kinds: Vec<String> = events.iter().map(|e| e.kind().to_string()).collect();
    assert_eq!(kinds, ["messenger.call.connect", "messenger.call.terminate"]);
    let keys: Vec<String> = events.iter().map(|e| e.dedupe_key().unwrap()).collect();
    assert_eq!(keys[0], "messenger:call:fbcid.HBgLNDk2ODI3NzgzMTUzFQIAEhgUM0E2:connect:");
    assert_eq!(keys[1], "messenger:call:fbcid.HBgLNDk2ODI3NzgzMTUzFQIAEhgUM0E2:terminate:Completed");
    let Event::Messenger(meta_messaging::messenger::webhook::MessengerEvent::Call { call, .. }) = &events[1]
    else {
        panic!("{:?}", events[1])
    };
    assert_eq!((call.duration, call.status.as_deref()), (Some(115), Some("Completed")));
    assert_eq!(events[0].user_key(), Some(PSID), "the caller is the user");
}
