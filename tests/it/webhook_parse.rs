//! Every webhook fixture parses into the events its oracle lists.

use meta_messaging::Platform;
use meta_messaging::webhook::{self, Event, Webhook};
use serde_json::Value;

use crate::support::{fixture, fixture_json};

/// Checks one parsed body against its oracle entry.
fn check(file: &str, body: &[u8], expected: &Value) {
    let parsed = webhook::parse(body).unwrap_or_else(|e| panic!("{file}: {e}"));
    assert_eq!(parsed.object(), expected["object"], "{file}: object");
    let entries = match &parsed {
        Webhook::WhatsApp(p) => p.entries.len(),
        Webhook::Messenger(p) | Webhook::Instagram(p) => p.entries.len(),
        other => panic!("{file}: unexpected {other:?}"),
    };
    assert_eq!(entries as u64, expected["entries"].as_u64().unwrap(), "{file}: entries");
    match &parsed {
        Webhook::WhatsApp(p) => {
            let changes: usize = p.entries.iter().map(|e| e.changes.len()).sum();
            assert_eq!(changes as u64, expected["changes"].as_u64().unwrap(), "{file}: changes");
            let (mut messages, mut statuses) = (0, 0);
            for change in p.entries.iter().flat_map(|e| &e.changes) {
                if let Some(v) = change.value.as_messages() {
                    messages += v.messages.len();
                    statuses += v.statuses.len();
                }
            }
            assert_eq!(messages as u64, expected["messages"].as_u64().unwrap(), "{file}: messages");
            assert_eq!(statuses as u64, expected["statuses"].as_u64().unwrap(), "{file}: statuses");
        }
        Webhook::Messenger(p) | Webhook::Instagram(p) => {
            let changes: usize = p.entries.iter().map(|e| e.changes.len()).sum();
            let items: usize = p.entries.iter().map(|e| e.messaging.len() + e.standby.len()).sum();
            assert_eq!(changes as u64, expected["changes"].as_u64().unwrap(), "{file}: changes");
            assert_eq!(items as u64, expected["messaging"].as_u64().unwrap(), "{file}: messaging");
        }
        _ => unreachable!(),
    }
    let events: Vec<Event<'_>> = parsed.events().collect();
    let want = expected["events"].as_array().unwrap();
    let got: Vec<String> = events.iter().map(|e| e.kind().to_string()).collect();
    let want_kinds: Vec<&str> = want.iter().map(|e| e["kind"].as_str().unwrap()).collect();
    assert_eq!(got, want_kinds, "{file}: kinds");
    for (i, (event, want)) in events.iter().zip(want).enumerate() {
        let kind = want["kind"].as_str().unwrap();
        assert!(event.kind() == kind, "{file}#{i}: kind compares with str");
        let check_str = |key: &str, got: Option<&str>| {
            if let Some(expected) = want.get(key) {
                assert_eq!(got, expected.as_str(), "{file}#{i} {kind}: {key}");
            }
        };
        check_str("sender", event.sender());
        check_str("recipient", event.recipient());
        check_str("message_id", event.message_id());
        check_str("text", event.text());
        if let Some(ts) = want.get("timestamp_ms") {
            assert_eq!(
                event.timestamp().map(|t| t.unix_millis()),
                ts.as_i64(),
                "{file}#{i} {kind}: timestamp"
            );
        }
    }
}

fn run_oracle(dir: &str, platform: Platform) -> usize {
    let oracle = fixture_json(&format!("webhooks/{dir}/ORACLE.json"));
    let mut checked = 0;
    for (file, expected) in oracle.as_object().unwrap() {
        let path = if expected.get("corpus").and_then(Value::as_bool) == Some(true) {
            format!("corpus/webhooks/{file}")
        } else {
            format!("webhooks/{dir}/{file}")
        };
        let body = fixture(&path);
        check(file, &body, expected);
        assert_eq!(webhook::parse(&body).unwrap().platform(), Some(platform));
        checked += 1;
    }
    checked
}

#[test]
fn whatsapp_fixtures_match_the_oracle() {
    assert!(run_oracle("whatsapp", Platform::WhatsApp) >= 70);
}

#[test]
fn messenger_fixtures_match_the_oracle() {
    assert!(run_oracle("messenger", Platform::Messenger) >= 35);
}

#[test]
fn instagram_fixtures_match_the_oracle() {
    assert!(run_oracle("instagram", Platform::Instagram) >= 30);
}

#[test]
fn every_fixture_file_has_an_oracle_entry() {
    for dir in ["whatsapp", "messenger", "instagram"] {
        let oracle = fixture_json(&format!("webhooks/{dir}/ORACLE.json"));
        let folder = crate::support::fixture_path(&format!("webhooks/{dir}"));
        for file in std::fs::read_dir(folder).unwrap() {
            let name = file.unwrap().file_name().into_string().unwrap();
            if name != "ORACLE.json" {
                assert!(oracle.get(&name).is_some(), "{dir}/{name} has no oracle entry");
            }
        }
    }
}

#[test]
fn typed_models_carry_the_content() {
    use meta_messaging::whatsapp::webhook::{InboundContent, MessageType, WhatsAppChangeValue};
    let parsed = webhook::parse(&fixture("corpus/webhooks/wa_message_location_place.json")).unwrap();
    let Webhook::WhatsApp(payload) = &parsed else { panic!() };
    let value = payload.entries[0].changes[0].value.as_messages().unwrap();
    let message = &value.messages[0];
    assert_eq!(message.kind, MessageType::Location);
    let InboundContent::Location(location) = &message.content else { panic!("{:?}", message.content) };
    assert!(location.latitude.is_some() && location.name.is_some());

    let parsed = webhook::parse(&fixture("corpus/webhooks/wa_template_status_update_rejected.json")).unwrap();
    let Webhook::WhatsApp(payload) = &parsed else { panic!() };
    let WhatsAppChangeValue::TemplateStatus(update) = &payload.entries[0].changes[0].value else { panic!() };
    assert_eq!(update.event.as_deref(), Some("REJECTED"));
    assert!(update.message_template_id.as_deref().is_some_and(|id| id.bytes().all(|b| b.is_ascii_digit())));
}

#[test]
fn unknown_kinds_keep_their_raw_json() {
    use meta_messaging::messenger::webhook::MessagingEvent;
    use meta_messaging::whatsapp::webhook::{InboundContent, WhatsAppChangeValue};
    let parsed = webhook::parse(&fixture("corpus/webhooks/msgr_unknown_event_type.json")).unwrap();
    let Webhook::Messenger(payload) = &parsed else { panic!() };
    let MessagingEvent::Unknown { key, raw } = &payload.entries[0].messaging[0].event else { panic!() };
    assert_eq!(key, "some_new_event");
    assert_eq!(raw.to_value(), serde_json::json!({"foo": "bar", "n": 1}));

    let parsed = webhook::parse(&fixture("corpus/webhooks/wa_calls_connect.json")).unwrap();
    let Webhook::WhatsApp(payload) = &parsed else { panic!() };
    let change = &payload.entries[0].changes[0];
    assert_eq!(change.field, meta_messaging::whatsapp::webhook::Field::Calls);
    // The `calls` field is modelled now: its SDP (with CRLFs) comes through typed.
    let WhatsAppChangeValue::Calls(calls) = &change.value else { panic!("{:?}", change.value) };
    assert!(
        calls.calls[0]
            .session
            .as_ref()
            .and_then(|s| s.sdp.as_deref())
            .is_some_and(|sdp| sdp.contains("\r\n"))
    );
    // A field this version does not know keeps its raw JSON.
    let unknown = br#"{"object":"whatsapp_business_account","entry":[{"id":"1","changes":[{"field":"some_future_field","value":{"calls":[1]}}]}]}"#;
    let Webhook::WhatsApp(payload) = webhook::parse(unknown).unwrap() else { panic!() };
    let WhatsAppChangeValue::Unknown(raw) = &payload.entries[0].changes[0].value else { panic!() };
    assert!(raw.get().contains("\"calls\""));

    let parsed = webhook::parse(&fixture("webhooks/whatsapp/wa_unknown_type_hologram.json")).unwrap();
    let event = parsed.events().next().unwrap();
    assert!(event.kind() == "whatsapp.message.hologram");
    let Event::WhatsApp(meta_messaging::whatsapp::webhook::WhatsAppEvent::Message { message, .. }) = event
    else {
        panic!()
    };
    let InboundContent::Unknown(raw) = &message.content else { panic!("{:?}", message.content) };
    assert!(raw.get().starts_with('{'));
}

#[test]
fn key_order_does_not_matter() {
    // `type` after the content, `field` before `value`, `entry` before `object`.
    let body = br#"{"entry":[{"changes":[{"field":"messages","value":{"messages":[
        {"text":{"body":"late type"},"timestamp":"1763800000","id":"wamid.A","from":"1","type":"text"}]}}],"id":"9"}],
        "object":"whatsapp_business_account"}"#;
    let parsed = webhook::parse(body).unwrap();
    let event = parsed.events().next().unwrap();
    assert_eq!(event.kind().to_string(), "whatsapp.message.text");
    assert_eq!(event.text(), Some("late type"));

    let body = br#"{"object":"whatsapp_business_account","entry":[{"id":"9","changes":[
        {"value":{"event":"APPROVED","message_template_id":12345678901234567,"message_template_name":"x"},
         "field":"message_template_status_update"}]}]}"#;
    let parsed = webhook::parse(body).unwrap();
    let Webhook::WhatsApp(payload) = &parsed else { panic!() };
    let meta_messaging::whatsapp::webhook::WhatsAppChangeValue::TemplateStatus(update) =
        &payload.entries[0].changes[0].value
    else {
        panic!()
    };
    assert_eq!(update.message_template_id.as_deref(), Some("12345678901234567"));
}

#[test]
fn one_odd_element_does_not_fail_the_batch() {
    let body =
        br#"{"object":"whatsapp_business_account","entry":[{"id":"9","changes":[{"field":"messages","value":{
        "metadata":{"phone_number_id":"55"},
        "messages":[
            {"from":"1","id":"wamid.OK1","timestamp":"1763800000","type":"text","text":{"body":"fine"}},
            {"from":"2","id":"wamid.ODD","timestamp":"1763800001","type":"text","text":"not an object"},
            null,
            {"from":"3","id":"wamid.OK2","timestamp":"1763800002","type":"text","text":{"body":"also fine"}}],
        "statuses":[{"id":"wamid.S","status":"read","timestamp":{"bad":true},"recipient_id":"1"}]}}]}]}"#;
    let parsed = webhook::parse(body).unwrap();
    let events: Vec<_> = parsed.events().collect();
    let kinds: Vec<String> = events.iter().map(|e| e.kind().to_string()).collect();
    assert_eq!(
        kinds,
        [
            "whatsapp.message.text",
            "whatsapp.message.text",
            "whatsapp.message.unknown",
            "whatsapp.message.text",
            "whatsapp.status.read"
        ]
    );
    assert_eq!(events[0].text(), Some("fine"));
    assert_eq!(events[1].message_id(), Some("wamid.ODD"), "the odd message keeps its id");
    assert_eq!(events[1].text(), None);
    assert_eq!(events[3].text(), Some("also fine"));
    assert_eq!(events[4].message_id(), Some("wamid.S"));
    assert_eq!(events[4].recipient(), Some("1"));
}

#[test]
fn unsupported_objects_are_values_not_errors() {
    for object in ["user", "permissions", "application"] {
        let body =
            format!(r#"{{"object":"{object}","entry":[{{"id":"1","time":1,"changed_fields":["email"]}}]}}"#);
        let parsed = webhook::parse(body.as_bytes()).unwrap();
        let Webhook::Unsupported(u) = &parsed else { panic!("{parsed:?}") };
        assert_eq!(u.object, object);
        assert_eq!(u.raw.get(), body);
        assert_eq!(parsed.events().count(), 0);
        assert_eq!(parsed.platform(), None);
    }
}

#[test]
fn dedupe_keys_are_stable_and_distinct() {
    let body = fixture("webhooks/whatsapp/wa_batch_3_messages_2_statuses.json");
    let parsed = webhook::parse(&body).unwrap();
    let keys: Vec<String> = parsed.events().filter_map(|e| e.dedupe_key()).collect();
    assert_eq!(keys.len(), 5);
    let unique: std::collections::HashSet<_> = keys.iter().collect();
    assert_eq!(unique.len(), 5);
    assert!(keys[0].starts_with("whatsapp:message:wamid."));
    assert!(keys[3].starts_with("whatsapp:status:wamid.") && keys[3].rsplit(':').next().is_some());
    let again: Vec<String> = webhook::parse(&body).unwrap().events().filter_map(|e| e.dedupe_key()).collect();
    assert_eq!(keys, again);
}

#[tokio::test]
async fn redeliveries_are_dropped() {
    let dedupe = webhook::InMemoryDeduplicator::default();
    let body = fixture("webhooks/whatsapp/wa_batch_3_messages_2_statuses.json");
    let parsed = webhook::parse(&body).unwrap();
    assert_eq!(webhook::new_events(&dedupe, &parsed).await.unwrap().len(), 5);
    assert!(webhook::new_events(&dedupe, &parsed).await.unwrap().is_empty());
    // Events without a key always pass.
    let errors = webhook::parse(&fixture("webhooks/whatsapp/wa_errors_value_only.json")).unwrap();
    assert_eq!(webhook::new_events(&dedupe, &errors).await.unwrap().len(), 2);
    assert_eq!(webhook::new_events(&dedupe, &errors).await.unwrap().len(), 2);
}

#[test]
fn business_capability_updates_type_meta_s_integers() {
    use meta_messaging::whatsapp::webhook::WhatsAppChangeValue;
    let body = fixture("webhooks/whatsapp/wa_business_capability_update_tier.json");
    let Webhook::WhatsApp(payload) = webhook::parse(&body).unwrap() else { panic!("not whatsapp") };
    let WhatsAppChangeValue::BusinessCapability(update) = &payload.entries[0].changes[0].value else {
        panic!("not typed: {:?}", payload.entries[0].changes[0].value)
    };
    assert_eq!(update.max_daily_conversations_per_business, Some(2000));
    assert_eq!(update.max_phone_numbers_per_waba, Some(25));
    // Unlimited is -1.
    let unlimited = br#"{"object":"whatsapp_business_account","entry":[{"id":"1","changes":[{"field":"business_capability_update","value":{"max_daily_conversations_per_business":-1}}]}]}"#;
    let Webhook::WhatsApp(payload) = webhook::parse(unlimited).unwrap() else { panic!("not whatsapp") };
    let WhatsAppChangeValue::BusinessCapability(update) = &payload.entries[0].changes[0].value else {
        panic!("not typed")
    };
    assert_eq!(update.max_daily_conversations_per_business, Some(-1));
}

#[test]
fn business_scoped_ids_preferences_and_identity_are_kept() {
    use meta_messaging::whatsapp::webhook::{InboundContent, WhatsAppChangeValue};
    let whatsapp = |file: &str| {
        let Webhook::WhatsApp(payload) =
            webhook::parse(&fixture(&format!("webhooks/whatsapp/{file}"))).unwrap()
        else {
            panic!("{file}: not whatsapp")
        };
        payload
    };
    let payload = whatsapp("wa_system_user_changed_user_id_parent.json");
    let message = &payload.entries[0].changes[0].value.as_messages().unwrap().messages[0];
    let InboundContent::System(system) = &message.content else { panic!("{:?}", message.content) };
    assert_eq!(system.parent_user_id.as_deref(), Some("US.ENT.11815799212886844830"));
    assert_eq!(system.previous_user_id.as_deref(), Some("US.10239842093842093842"));

    // Both spellings Meta uses for the recipient's parent id land in one field.
    let payload = whatsapp("wa_status_parent_recipient_user_id.json");
    let status = &payload.entries[0].changes[0].value.as_messages().unwrap().statuses[0];
    assert_eq!(status.recipient_parent_user_id.as_deref(), Some("US.ENT.11815799212886844830"));
    let other = String::from_utf8(fixture("webhooks/whatsapp/wa_status_parent_recipient_user_id.json"))
        .unwrap()
        .replace("parent_recipient_user_id", "recipient_parent_user_id");
    let Webhook::WhatsApp(payload) = webhook::parse(other.as_bytes()).unwrap() else { panic!() };
    let status = &payload.entries[0].changes[0].value.as_messages().unwrap().statuses[0];
    assert_eq!(status.recipient_parent_user_id.as_deref(), Some("US.ENT.11815799212886844830"));

    let payload = whatsapp("wa_user_preferences_signup.json");
    let WhatsAppChangeValue::UserPreferences(update) = &payload.entries[0].changes[0].value else { panic!() };
    assert_eq!(update.user_preferences[0].signup_id.as_deref(), Some("1198437529381746"));
    assert_eq!(update.user_preferences[0].value.as_deref(), Some("signup"));

    let payload = whatsapp("wa_text_identity_acknowledged.json");
    let message = &payload.entries[0].changes[0].value.as_messages().unwrap().messages[0];
    let identity = message.identity.as_ref().and_then(|i| i.get()).expect("identity typed");
    assert_eq!(identity.acknowledged, Some(true));
    assert_eq!(identity.hash.as_deref(), Some("Sjvjlx8G6Z0="));
    assert_eq!(identity.created_timestamp.map(|t| t.unix_millis()), Some(1_763_800_000_000));
    assert_eq!(message.text(), Some("Olá"));
}

#[test]
fn handover_roles_and_instagram_shares_are_typed() {
    use meta_messaging::messenger::webhook::{AttachmentType, MessagingEvent};
    let page = |dir: &str, file: &str| {
        let parsed = webhook::parse(&fixture(&format!("webhooks/{dir}/{file}"))).unwrap();
        let (Webhook::Messenger(payload) | Webhook::Instagram(payload)) = parsed else { panic!("{file}") };
        payload
    };
    let payload = page("messenger", "msgr_handover_app_roles.json");
    let MessagingEvent::AppRoles(roles) = &payload.entries[0].messaging[0].event else { panic!() };
    assert_eq!(roles["263902037430900"], ["secondary_receiver"]);
    let payload = page("messenger", "msgr_handover_pass_thread_control.json");
    let MessagingEvent::PassThreadControl(control) = &payload.entries[0].messaging[0].event else { panic!() };
    assert!(control.new_owner_app_id.is_some());

    let payload = page("instagram", "ig_message_ig_post.json");
    let MessagingEvent::Message(message) = &payload.entries[0].messaging[0].event else { panic!() };
    let attachment = &message.attachments[0];
    assert_eq!(attachment.kind, AttachmentType::IgPost);
    let post = attachment.payload.as_ref().unwrap();
    assert_eq!(post.ig_post_media_id.as_deref(), Some("18139494541428835"));
    assert_eq!(post.title.as_deref(), Some("Build a workspace you love"));

    let payload = page("instagram", "ig_message_ig_story.json");
    let MessagingEvent::Message(message) = &payload.entries[0].messaging[0].event else { panic!() };
    let story = message.attachments[0].payload.as_ref().unwrap();
    assert_eq!(message.attachments[0].kind, AttachmentType::IgStory);
    assert_eq!(story.story_media_id.as_deref(), Some("3712283746209384571"));
    assert!(story.story_media_url.as_deref().is_some_and(|u| u.starts_with("https://lookaside.fbsbx.com/")));
}

#[test]
fn a_flow_reply_decodes_its_response_json() {
    use meta_messaging::whatsapp::webhook::InboundContent;
    #[derive(serde::Deserialize)]
    struct Appointment {
        appointment_date: String,
        consent: bool,
    }
    let parsed =
        webhook::parse(&fixture("webhooks/whatsapp/wa_interactive_nfm_reply_flow_escaped.json")).unwrap();
    let Webhook::WhatsApp(payload) = &parsed else { panic!() };
    let message = &payload.entries[0].changes[0].value.as_messages().unwrap().messages[0];
    let InboundContent::Interactive(reply) = &message.content else { panic!("{:?}", message.content) };
    let flow = reply.nfm_reply.as_ref().unwrap();
    assert_eq!(flow.flow_token().as_deref(), Some("FT-7c1e9a42/appointment/2025-11"));
    let fields = flow.response().unwrap();
    assert_eq!(fields["department"], "Zahnmedizin");
    assert!(fields["notes"].as_str().unwrap().contains('📞'), "escapes decoded");
    let typed: Appointment = flow.response_as().unwrap();
    assert_eq!((typed.appointment_date.as_str(), typed.consent), ("2025-11-28", true));
}
