//! The Groups API: exact requests of Meta's Groups reference, its answers, and the four groups
//! webhooks.

use meta_messaging::ErrorKind;
use meta_messaging::webhook::{self, Webhook};
use meta_messaging::whatsapp::groups::{JoinApprovalMode, NewGroup};
use meta_messaging::whatsapp::webhook::WhatsAppChangeValue;
use meta_messaging::whatsapp::{Message, Recipient};
use serde_json::json;
use wiremock::matchers::{body_json, method, path, query_param};
use wiremock::{Mock, MockServer, Request, ResponseTemplate};

use crate::support::client;

const PHONE: &str = "106540352242922";
const GROUP: &str = "Y2FwaV9ncm91cDoxNzA1NTU1MDEzOToxMjAzNjMzOTQzMjAzMjY3NDg";

fn answer(status: u16, body: serde_json::Value) -> ResponseTemplate {
    ResponseTemplate::new(status).set_body_json(body)
}

#[tokio::test]
async fn groups_are_created_read_shared_updated_and_deleted() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path(format!("/v26.0/{PHONE}/groups")))
        .and(body_json(json!({"messaging_product": "whatsapp", "subject": "Lucky Shrub VIPs",
            "description": "Early access to new succulents", "join_approval_mode": "approval_required"})))
        .respond_with(answer(200, json!({"messaging_product": "whatsapp"})))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path(format!("/v26.0/{PHONE}/groups")))
        .and(query_param("limit", "25"))
        .respond_with(answer(200, json!({"data": {"groups": [{"id": GROUP, "subject": "Lucky Shrub VIPs", "created_at": "1755548877"}]},
            "paging": {"cursors": {"after": "MTAx", "before": "NDMy"}, "next": "https://graph.facebook.com/next"}})))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path(format!("/v26.0/{GROUP}")))
        .and(query_param("fields", "subject,description,participants,total_participant_count,suspended,creation_timestamp,join_approval_mode"))
        .respond_with(answer(200, json!({"messaging_product": "whatsapp", "id": GROUP, "subject": "Lucky Shrub VIPs",
            "creation_timestamp": 683_731_200, "suspended": false, "description": "Early access", "total_participant_count": 6,
            "participants": [{"wa_id": "2228675309"}], "join_approval_mode": "auto_approve"})))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path(format!("/v26.0/{GROUP}/invite_link")))
        .respond_with(answer(
            200,
            json!({"messaging_product": "whatsapp", "invite_link": "https://chat.whatsapp.com/AbCdEf"}),
        ))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path(format!("/v26.0/{GROUP}/invite_link")))
        .and(body_json(json!({"messaging_product": "whatsapp"})))
        .respond_with(answer(
            200,
            json!({"messaging_product": "whatsapp", "invite_link": "https://chat.whatsapp.com/GhIjKl"}),
        ))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path(format!("/v26.0/{GROUP}")))
        .and(|r: &Request| {
            let body = String::from_utf8_lossy(&r.body);
            body.contains("name=\"messaging_product\"\r\n\r\nwhatsapp\r\n")
                && body.contains("name=\"subject\"\r\n\r\nVIP club\r\n")
                && !body.contains("name=\"description\"")
        })
        .respond_with(answer(200, json!({"messaging_product": "whatsapp"})))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("DELETE"))
        .and(path(format!("/v26.0/{GROUP}/participants")))
        .and(body_json(json!({"messaging_product": "whatsapp", "participants": [{"user": "+17865347866"}, {"user": "16505551234"}]})))
        .respond_with(answer(200, json!({"messaging_product": "whatsapp"})))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("DELETE"))
        .and(path(format!("/v26.0/{GROUP}")))
        .respond_with(answer(200, json!({"messaging_product": "whatsapp"})))
        .expect(1)
        .mount(&server)
        .await;
    let wa = client(&server).whatsapp(PHONE);
    let new = NewGroup::new("Lucky Shrub VIPs")
        .description("Early access to new succulents")
        .join_approval_mode(JoinApprovalMode::ApprovalRequired);
    assert_eq!(wa.create_group(&new).await.unwrap().messaging_product.as_deref(), Some("whatsapp"));
    let list = wa.groups(Some(25), None).await.unwrap();
    assert_eq!(
        (list.groups[0].id.as_ref().map(|g| g.as_str()), list.after.as_deref()),
        (Some(GROUP), Some("MTAx"))
    );
    let group = wa.group(GROUP).await.unwrap();
    assert_eq!(
        (group.total_participant_count, group.participants[0].wa_id.as_deref()),
        (Some(6), Some("2228675309"))
    );
    assert_eq!(group.join_approval_mode, Some(JoinApprovalMode::AutoApprove));
    assert!(wa.group_invite_link(GROUP).await.unwrap().invite_link.unwrap().ends_with("AbCdEf"));
    assert!(wa.reset_group_invite_link(GROUP).await.unwrap().invite_link.unwrap().ends_with("GhIjKl"));
    wa.update_group(GROUP, Some("VIP club"), None).await.unwrap();
    wa.remove_group_participants(GROUP, ["+17865347866", "16505551234"]).await.unwrap();
    wa.delete_group(GROUP).await.unwrap();
    assert_eq!(
        wa.update_group_picture(GROUP, Vec::<u8>::new()).await.unwrap_err().kind(),
        ErrorKind::Validation
    );
}

#[tokio::test]
async fn a_group_picture_is_uploaded_as_meta_s_sample_shows() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path(format!("/v26.0/{GROUP}")))
        .and(|r: &Request| {
            let body = String::from_utf8_lossy(&r.body);
            body.contains("name=\"messaging_product\"\r\n\r\nwhatsapp\r\n")
                && body.contains("name=\"file\"; filename=\"group.jpg\"")
                && body.contains("Content-Type: image/jpeg")
        })
        .respond_with(answer(200, json!({"messaging_product": "whatsapp"})))
        .expect(1)
        .mount(&server)
        .await;
    client(&server).whatsapp(PHONE).update_group_picture(GROUP, &b"\xff\xd8\xff\xe0jpeg"[..]).await.unwrap();
}

#[tokio::test]
async fn join_requests_and_local_checks() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path(format!("/v26.0/{GROUP}/join_requests")))
        .respond_with(answer(200, json!({"data": [{"join_request_id": "MTY0", "wa_id": "16505551234", "creation_timestamp": "1755548877"}]})))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path(format!("/v26.0/{GROUP}/join_requests")))
        .and(body_json(json!({"messaging_product": "whatsapp", "join_requests": ["MTY0"]})))
        .respond_with(answer(
            200,
            json!({"messaging_product": "whatsapp", "approved_join_requests": ["MTY0"]}),
        ))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("DELETE"))
        .and(path(format!("/v26.0/{GROUP}/join_requests")))
        .and(body_json(json!({"messaging_product": "whatsapp", "join_requests": ["MTY1"]})))
        .respond_with(answer(200, json!({"messaging_product": "whatsapp", "rejected_join_requests": [],
            "failed_join_requests": [{"join_request_id": "MTY1", "errors": [{"code": 131_000, "message": "Something went wrong"}]}]})))
        .expect(1)
        .mount(&server)
        .await;
    let wa = client(&server).whatsapp(PHONE);
    assert_eq!(wa.group_join_requests(GROUP).await.unwrap().data[0].join_request_id.as_deref(), Some("MTY0"));
    assert_eq!(wa.approve_join_requests(GROUP, ["MTY0"]).await.unwrap().approved_join_requests, ["MTY0"]);
    assert_eq!(wa.reject_join_requests(GROUP, ["MTY1"]).await.unwrap().failed_join_requests.len(), 1);

    let sent = server.received_requests().await.unwrap().len();
    assert_eq!(wa.create_group(&NewGroup::new("")).await.unwrap_err().kind(), ErrorKind::Validation);
    assert_eq!(
        wa.create_group(&NewGroup::new("x".repeat(129))).await.unwrap_err().kind(),
        ErrorKind::Validation
    );
    let nine = (0..9).map(|i| format!("1650555000{i}"));
    assert_eq!(wa.remove_group_participants(GROUP, nine).await.unwrap_err().kind(), ErrorKind::Validation);
    assert_eq!(
        wa.remove_group_participants(GROUP, Vec::<String>::new()).await.unwrap_err().kind(),
        ErrorKind::Validation
    );
    assert_eq!(
        wa.approve_join_requests(GROUP, Vec::<String>::new()).await.unwrap_err().kind(),
        ErrorKind::Validation
    );
    assert_eq!(server.received_requests().await.unwrap().len(), sent, "refused before sending");
}

#[tokio::test]
async fn messages_go_to_a_group() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path(format!("/v26.0/{PHONE}/messages")))
        .and(body_json(json!({"messaging_product": "whatsapp", "recipient_type": "group", "to": GROUP,
            "type": "text", "text": {"body": "New arrivals this Friday!"}})))
        .respond_with(answer(200, json!({"messaging_product": "whatsapp", "contacts": [{"input": GROUP}], "messages": [{"id": "wamid.G"}]})))
        .expect(1)
        .mount(&server)
        .await;
    client(&server)
        .whatsapp(PHONE)
        .send(Recipient::group(GROUP), Message::text("New arrivals this Friday!"))
        .await
        .unwrap();
}

#[test]
fn groups_webhooks_are_typed() {
    let change = |field: &str, group: serde_json::Value| {
        json!({"field": field, "value": {"messaging_product": "whatsapp",
            "metadata": {"display_phone_number": "15550199342", "phone_number_id": PHONE}, "groups": [group]}})
    };
    let body = json!({"object": "whatsapp_business_account", "entry": [{"id": "102290129340398", "changes": [
        change("group_lifecycle_update", json!({"timestamp": "1755548877", "group_id": GROUP, "type": "group_create",
            "request_id": "req-1", "subject": "test invite link", "invite_link": "https://chat.whatsapp.com/LINK_ID",
            "join_approval_mode": "auto_approve"})),
        change("group_participants_update", json!({"timestamp": "1755548900", "group_id": GROUP,
            "type": "group_participants_add", "reason": "invite_link", "added_participants": [{"wa_id": "16505551234"},
            {"user_id": "US.13491208655302741918", "parent_user_id": "US.ENT.11815799212886844830", "username": "sheena.n"}]})),
        change("group_settings_update", json!({"timestamp": "1755548950", "group_id": GROUP, "type": "group_settings_update",
            "request_id": "req-2", "group_subject": {"text": "VIP club", "update_successful": true}})),
        change("group_status_update", json!({"timestamp": "1755549000", "type": "group_suspend", "group_id": GROUP}))
    ]}]});
    let Webhook::WhatsApp(payload) = webhook::parse(body.to_string().as_bytes()).unwrap() else { panic!() };
    let kinds: Vec<_> = payload.entries[0]
        .changes
        .iter()
        .map(|c| match &c.value {
            WhatsAppChangeValue::Groups(update) => update.groups[0].kind.clone().unwrap(),
            other => panic!("not typed: {other:?}"),
        })
        .collect();
    assert_eq!(kinds, ["group_create", "group_participants_add", "group_settings_update", "group_suspend"]);
    let WhatsAppChangeValue::Groups(created) = &payload.entries[0].changes[0].value else { panic!() };
    assert_eq!(created.groups[0].invite_link.as_deref(), Some("https://chat.whatsapp.com/LINK_ID"));
    assert_eq!(created.groups[0].group_id.as_ref().map(|g| g.as_str()), Some(GROUP));
    // Participants by phone and by business-scoped id (a username user, no phone).
    let WhatsAppChangeValue::Groups(joined) = &payload.entries[0].changes[1].value else { panic!() };
    let members = &joined.groups[0].added_participants;
    assert_eq!(members[0].wa_id.as_deref(), Some("16505551234"));
    let user = members[1].user();
    assert_eq!(user.user_id.as_deref(), Some("US.13491208655302741918"));
    assert_eq!(user.username.as_deref(), Some("sheena.n"));
    assert_eq!(user.phone, None);
}
