//! The Calling API: settings, call actions, permissions and the `calls` webhook, with the
//! requests and answers of Meta's Calling guides.

use meta_messaging::ErrorKind;
use meta_messaging::webhook::{self, Webhook};
use meta_messaging::whatsapp::Message;
use meta_messaging::whatsapp::calling::{CallHours, CallingSettings, FeatureStatus, Holiday, WeeklyHours};
use meta_messaging::whatsapp::webhook::WhatsAppChangeValue;
use serde_json::json;
use wiremock::matchers::{body_json, method, path, query_param};
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::support::client;

const PHONE: &str = "436666719526789";
const CALL: &str = "wacid.ABGGFjFVU2AfAgo6V-Hc5eCgK5Gh";
const SDP: &str = "v=0\r\no=- 7669997803033704573 2 IN IP4 127.0.0.1\r\ns=-\r\n";

fn call_action(body: serde_json::Value, answer: serde_json::Value) -> Mock {
    Mock::given(method("POST"))
        .and(path(format!("/v26.0/{PHONE}/calls")))
        .and(body_json(body))
        .respond_with(ResponseTemplate::new(200).set_body_json(answer))
        .expect(1)
}

#[tokio::test]
async fn calls_are_started_answered_and_ended() {
    let server = MockServer::start().await;
    call_action(
        json!({"messaging_product": "whatsapp", "to": "16315553601", "action": "connect",
               "session": {"sdp_type": "offer", "sdp": SDP}, "biz_opaque_callback_data": "ticket-8841"}),
        json!({"messaging_product": "whatsapp", "calls": [{"id": "wacid.ABGGFjFVU2AfAgo6V"}]}),
    )
    .mount(&server)
    .await;
    for action in ["pre_accept", "accept"] {
        call_action(
            json!({"messaging_product": "whatsapp", "call_id": CALL, "action": action,
                   "session": {"sdp_type": "answer", "sdp": SDP}}),
            json!({"messaging_product": "whatsapp", "success": true}),
        )
        .mount(&server)
        .await;
    }
    for action in ["reject", "terminate"] {
        call_action(
            json!({"messaging_product": "whatsapp", "call_id": CALL, "action": action}),
            json!({"messaging_product": "whatsapp", "success": true}),
        )
        .mount(&server)
        .await;
    }
    let wa = client(&server).whatsapp(PHONE);
    let started = wa.start_call("16315553601", SDP, Some("ticket-8841".into())).await.unwrap();
    assert_eq!(started.call_id().map(|c| c.as_str()), Some("wacid.ABGGFjFVU2AfAgo6V"));
    wa.pre_accept_call(CALL, SDP).await.unwrap();
    wa.accept_call(CALL, SDP, None).await.unwrap();
    wa.reject_call(CALL).await.unwrap();
    wa.terminate_call(CALL).await.unwrap();
    let too_long = wa.accept_call(CALL, SDP, Some("x".repeat(513))).await.unwrap_err();
    assert_eq!(too_long.kind(), ErrorKind::Validation);
}

#[tokio::test]
async fn settings_and_permissions() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path(format!("/v26.0/{PHONE}/settings")))
        .and(body_json(json!({"calling": {"status": "ENABLED",
            "call_hours": {"status": "ENABLED", "timezone_id": "America/Manaus",
                "weekly_operating_hours": [{"day_of_week": "MONDAY", "open_time": "0400", "close_time": "1020"}],
                "holiday_schedule": [{"date": "2026-01-01", "start_time": "0000", "end_time": "2359"}]},
            "callback_permission_status": "ENABLED"}})))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"success": true})))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path(format!("/v26.0/{PHONE}/settings")))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"calling": {
            "status": "ENABLED", "call_icon_visibility": "DEFAULT", "callback_permission_status": "ENABLED",
            "call_hours": {"status": "ENABLED", "timezone_id": "America/Manaus",
                "weekly_operating_hours": [{"day_of_week": "MONDAY", "open_time": "0400", "close_time": "1020"}]},
            "restrictions": {"restrictions_list": [{"type": "RESTRICTED_BUSINESS_INITIATED_CALLING",
                "reason": "low pickup rate", "expiration": 1_754_072_386}]}}})))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path(format!("/v26.0/{PHONE}/call_permissions")))
        .and(query_param("user_wa_id", "16315553601"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"messaging_product": "whatsapp",
            "permission": {"status": "temporary", "expiration_time": 1_745_343_479},
            "actions": [{"action_name": "send_call_permission_request", "can_perform_action": true,
                "limits": [{"time_period": "PT24H", "max_allowed": 1, "current_usage": 0}]},
                {"action_name": "start_call", "can_perform_action": false,
                "limits": [{"time_period": "PT24H", "max_allowed": 5, "current_usage": 5, "limit_expiration_time": 1_745_622_600}]}]})))
        .expect(1)
        .mount(&server)
        .await;
    let wa = client(&server).whatsapp(PHONE);
    let hours = CallHours::new("America/Manaus", [WeeklyHours::new("MONDAY", "0400", "1020")])
        .holidays([Holiday::new("2026-01-01", "0000", "2359")]);
    let settings = CallingSettings::new()
        .status(FeatureStatus::Enabled)
        .call_hours(hours.clone())
        .callback_permission(FeatureStatus::Enabled);
    wa.update_calling_settings(&settings).await.unwrap();
    let read = wa.calling_settings().await.unwrap().calling.unwrap();
    assert_eq!(read.call_hours.unwrap().weekly_operating_hours[0].close_time, "1020");
    assert!(read.restrictions.is_some());
    let permissions = wa.call_permissions("16315553601").await.unwrap();
    assert_eq!(permissions.permission.unwrap().status.as_deref(), Some("temporary"));
    assert_eq!(permissions.actions[1].can_perform_action, Some(false));

    let three = CallHours::new("America/Manaus", vec![WeeklyHours::new("MONDAY", "0800", "0900"); 3]);
    let err = wa.update_calling_settings(&CallingSettings::new().call_hours(three)).await.unwrap_err();
    assert_eq!(err.validation_error().unwrap().field(), "calling.call_hours.weekly_operating_hours");
}

#[test]
fn the_call_permission_request_is_meta_s_interactive_message() {
    let message = Message::call_permission_request(Some(
        "We would like to call you to help support your query on Order No: ON-12853.".into(),
    ));
    assert!(message.validate().is_ok());
    assert_eq!(message.kind(), "interactive");
}

#[tokio::test]
async fn the_call_permission_request_is_sent_as_meta_shows() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path(format!("/v26.0/{PHONE}/messages")))
        .and(body_json(json!({"messaging_product": "whatsapp", "recipient_type": "individual", "to": "16315553601",
            "type": "interactive", "interactive": {"type": "call_permission_request",
            "action": {"name": "call_permission_request"},
            "body": {"text": "We would like to call you to help support your query on Order No: ON-12853."}}})))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"messaging_product": "whatsapp",
            "contacts": [{"input": "16315553601", "wa_id": "16315553601"}], "messages": [{"id": "wamid.X"}]})))
        .expect(1)
        .mount(&server)
        .await;
    let message = Message::call_permission_request(Some(
        "We would like to call you to help support your query on Order No: ON-12853.".into(),
    ));
    client(&server).whatsapp(PHONE).send("16315553601", message).await.unwrap();
}

#[test]
fn calls_webhooks_are_typed() {
    let body = json!({"object": "whatsapp_business_account", "entry": [{"id": "102290129340398", "changes": [{
        "field": "calls", "value": {"messaging_product": "whatsapp",
            "metadata": {"phone_number_id": PHONE, "display_phone_number": "13175551399"},
            "calls": [{"id": CALL, "to": "13175551399", "from": "16315553601", "event": "connect",
                "timestamp": "1671644824", "direction": "USER_INITIATED", "session": {"sdp_type": "offer", "sdp": SDP}}]}},
        {"field": "calls", "value": {"messaging_product": "whatsapp",
            "metadata": {"phone_number_id": PHONE, "display_phone_number": "13175551399"},
            "calls": [{"id": CALL, "to": "16315553601", "from": "13175551399", "event": "terminate",
                "direction": "BUSINESS_INITIATED", "timestamp": "1749197480", "status": "Completed",
                "start_time": "1671644824", "end_time": "1671644944", "duration": 480,
                "biz_opaque_callback_data": "ticket-8841"}]}}]}]});
    let Webhook::WhatsApp(payload) = webhook::parse(body.to_string().as_bytes()).unwrap() else { panic!() };
    let changes = &payload.entries[0].changes;
    let WhatsAppChangeValue::Calls(connect) = &changes[0].value else { panic!("{:?}", changes[0].value) };
    assert_eq!(connect.calls[0].session.as_ref().unwrap().sdp.as_deref(), Some(SDP));
    assert_eq!(connect.calls[0].direction.as_deref(), Some("USER_INITIATED"));
    let WhatsAppChangeValue::Calls(terminate) = &changes[1].value else { panic!() };
    assert_eq!(
        (terminate.calls[0].duration, terminate.calls[0].status.as_deref()),
        (Some(480), Some("Completed"))
    );
    assert_eq!(terminate.calls[0].end_time.map(|t| t.unix_millis()), Some(1_671_644_944_000));

    // One event per call, and per call status, with its own kind and dedupe key.
    let parsed = webhook::parse(body.to_string().as_bytes()).unwrap();
    let events: Vec<_> = parsed.events().collect();
    let kinds: Vec<String> = events.iter().map(|e| e.kind().to_string()).collect();
    assert_eq!(kinds, ["whatsapp.call.connect", "whatsapp.call.terminate"]);
    assert_eq!((events[0].sender(), events[0].recipient()), (Some("16315553601"), Some("13175551399")));
    assert_eq!(events[0].message_id(), Some(CALL));
    assert_ne!(events[0].dedupe_key(), events[1].dedupe_key());
    assert_eq!(events[0].dedupe_key().as_deref(), Some(format!("whatsapp:call:{CALL}:connect").as_str()));

    let statuses = json!({"object": "whatsapp_business_account", "entry": [{"id": "1", "changes": [{"field": "calls",
        "value": {"messaging_product": "whatsapp", "metadata": {"phone_number_id": PHONE},
            "statuses": [{"id": "wacid.HBgL", "type": "call", "status": "RINGING", "timestamp": "1749197000",
                          "recipient_id": "12185552828"}]}}]}]});
    let parsed = webhook::parse(statuses.to_string().as_bytes()).unwrap();
    let event = parsed.events().next().unwrap();
    assert_eq!(event.kind().to_string(), "whatsapp.call_status.ringing");
    assert_eq!((event.recipient(), event.message_id()), (Some("12185552828"), Some("wacid.HBgL")));
}
