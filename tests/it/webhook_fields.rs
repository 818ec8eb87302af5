//! Every field the crate subscribes to has a model, and nothing in a fixture is dropped: each
//! value Meta sent is either in a typed field or kept raw on the parsed body.

use std::path::PathBuf;

use meta_messaging::webhook::{Webhook, parse};
use meta_messaging::whatsapp::webhook::{AlertState, FlowWebhookEvent, StateSyncAction, WhatsAppChangeValue};
use serde_json::Value;

use crate::support::fixture;

/// The model of a change value, by name (`Unknown` when the field fell back to raw JSON).
fn model(value: &WhatsAppChangeValue) -> &'static str {
    use WhatsAppChangeValue as V;
    match value {
        V::Messages(_) => "Messages",
        V::TemplateStatus(_) => "TemplateStatus",
        V::TemplateQuality(_) => "TemplateQuality",
        V::TemplateComponents(_) => "TemplateComponents",
        V::TemplateCategory(_) => "TemplateCategory",
        V::PhoneNumberQuality(_) => "PhoneNumberQuality",
        V::PhoneNumberName(_) => "PhoneNumberName",
        V::Account(_) => "Account",
        V::AccountReview(_) => "AccountReview",
        V::BusinessCapability(_) => "BusinessCapability",
        V::Security(_) => "Security",
        V::UserPreferences(_) => "UserPreferences",
        V::Calls(_) => "Calls",
        V::Groups(_) => "Groups",
        V::MessageEchoes(_) => "MessageEchoes",
        V::Username(_) => "Username",
        V::UserId(_) => "UserId",
        V::Flows(_) => "Flows",
        V::History(_) => "History",
        V::AppStateSync(_) => "AppStateSync",
        V::AccountAlert(_) => "AccountAlert",
        V::PartnerSolution(_) => "PartnerSolution",
        V::PaymentConfiguration(_) => "PaymentConfiguration",
        V::AutomaticEvents(_) => "AutomaticEvents",
        V::Handover(_) => "Handover",
        V::Standby(_) => "Standby",
        V::Unknown(_) => "Unknown",
        _ => "unlisted",
    }
}

fn whatsapp_values(file: &str) -> Vec<WhatsAppChangeValue> {
    let body = fixture(&format!("webhooks/whatsapp/{file}"));
    match parse(&body).unwrap() {
        Webhook::WhatsApp(payload) => {
            payload.entries.into_iter().flat_map(|e| e.changes).map(|c| c.value).collect()
        }
        other => panic!("{file}: {other:?}"),
    }
}

/// Each subscribed field, a fixture from Meta's page (see the `source` in ORACLE.json), and the
/// model it must parse into.
const FIELDS: &[(&str, &str, &str)] = &[
    ("messages", "wa_group_status_read.json", "Messages"),
    ("message_template_quality_update", "wa_message_template_quality_update_yellow.json", "TemplateQuality"),
    ("message_template_status_update", "wa_template_status_disabled.json", "TemplateStatus"),
    ("message_template_status_update", "wa_template_status_unpaused.json", "TemplateStatus"),
    ("message_template_status_update", "wa_template_status_rejected_invalid_format.json", "TemplateStatus"),
    (
        "message_template_components_update",
        "wa_message_template_components_update_buttons.json",
        "TemplateComponents",
    ),
    ("account_update", "wa_account_update_partner_removed_coexistence.json", "Account"),
    ("account_alerts", "wa_account_alerts.json", "AccountAlert"),
    ("partner_solutions", "wa_partner_solutions.json", "PartnerSolution"),
    ("payment_configuration_update", "wa_payment_configuration_update.json", "PaymentConfiguration"),
    ("flows", "wa_flows_status_change.json", "Flows"),
    ("flows", "wa_flows_client_error_rate.json", "Flows"),
    ("flows", "wa_flows_endpoint_error_rate.json", "Flows"),
    ("flows", "wa_flows_endpoint_latency.json", "Flows"),
    ("flows", "wa_flows_endpoint_availability.json", "Flows"),
    ("history", "wa_history_chunk.json", "History"),
    ("history", "wa_history_declined.json", "History"),
    ("smb_app_state_sync", "wa_smb_app_state_sync.json", "AppStateSync"),
    ("smb_message_echoes", "wa_smb_message_echoes_bsuid.json", "MessageEchoes"),
    ("calls", "wa_calls_connect_contacts.json", "Calls"),
    ("automatic_events", "wa_automatic_events_purchase.json", "AutomaticEvents"),
    ("messaging_handovers", "wa_messaging_handovers_control_passed.json", "Handover"),
    ("messaging_handovers", "wa_messaging_handovers_control_taken.json", "Handover"),
    ("standby", "wa_standby_inbound_message.json", "Standby"),
    ("standby", "wa_standby_message_echo.json", "Standby"),
];

#[test]
fn every_documented_field_has_a_model() {
    for (field, file, want) in FIELDS {
        let values = whatsapp_values(file);
        assert!(!values.is_empty(), "{file}");
        for value in &values {
            assert_eq!(model(value), *want, "{field} in {file}");
        }
    }
}

/// Conversation Routing: Meta's `messaging_handovers` and `standby` examples.
#[test]
fn conversation_routing_notices_are_typed() {
    use WhatsAppChangeValue as V;
    use meta_messaging::whatsapp::webhook::RoutingRole;
    let [V::Handover(passed)] = &whatsapp_values("wa_messaging_handovers_control_passed.json")[..] else {
        panic!()
    };
    assert!(!passed.is_taken());
    let change = passed.change().unwrap();
    assert_eq!(
        (change.previous_owner_role.clone(), change.new_owner_role.clone()),
        (Some(RoutingRole::AiAgent), Some(RoutingRole::Escalation))
    );
    let summary = change.conversation_context.as_ref().and_then(|c| c.summary.as_ref());
    assert_eq!(summary.and_then(|s| s.text.as_deref()), Some("AI-generated summary string"));
    assert_eq!(passed.sender.as_ref().and_then(|s| s.phone_number.as_deref()), Some("16505551234"));
    assert_eq!(passed.timestamp.map(|t| t.unix_seconds()), Some(1_750_101_000));
    let [V::Handover(taken)] = &whatsapp_values("wa_messaging_handovers_control_taken.json")[..] else {
        panic!()
    };
    assert!(taken.is_taken());
    assert_eq!(taken.change().unwrap().metadata.as_deref(), Some("Human agent stepping in"));

    let [V::Standby(inbound)] = &whatsapp_values("wa_standby_inbound_message.json")[..] else { panic!() };
    let content = inbound.standby.as_ref().unwrap();
    assert_eq!(content.value.messages[0].text(), Some("Test standby message"));
    assert_eq!(content.value.contacts.len(), 1);
    let [V::Standby(echo)] = &whatsapp_values("wa_standby_message_echo.json")[..] else { panic!() };
    let sent = &echo.standby.as_ref().unwrap().message_echoes[0];
    assert_eq!(sent.message.as_ref().unwrap()["text"]["body"], "Our agent will reply shortly");
}

#[test]
fn the_new_models_read_meta_examples() {
    use WhatsAppChangeValue as V;
    let [V::Flows(latency)] = &whatsapp_values("wa_flows_endpoint_latency.json")[..] else { panic!() };
    assert_eq!(latency.event, Some(FlowWebhookEvent::EndpointLatency));
    assert_eq!(
        (latency.p50_latency, latency.p90_latency, latency.requests_count),
        (Some(500), Some(8000), Some(34))
    );
    assert_eq!(latency.alert_state, Some(AlertState::Activated));
    let [V::Flows(errors)] = &whatsapp_values("wa_flows_client_error_rate.json")[..] else { panic!() };
    assert_eq!(errors.error_rate, Some(14.28));
    assert_eq!(errors.errors[1].error_type.as_deref(), Some("PUBLIC_KEY_MISSING"));
    assert_eq!(errors.errors[0].error_count, Some(2));
    let [V::Flows(status)] = &whatsapp_values("wa_flows_status_change.json")[..] else { panic!() };
    assert_eq!(status.new_status.as_ref().map(|s| s.as_str()), Some("PUBLISHED"));

    let [V::History(chunk)] = &whatsapp_values("wa_history_chunk.json")[..] else { panic!() };
    let progress = chunk.history[0].metadata.unwrap();
    assert_eq!((progress.phase, progress.chunk_order, progress.progress), (Some(0), Some(1), Some(55)));
    let thread = &chunk.history[0].threads[0];
    assert_eq!(thread.id.as_deref(), Some("16505551234"));
    assert_eq!(thread.messages.len(), 3);
    assert_eq!(thread.messages[0].history_context.as_ref().unwrap().status.as_deref(), Some("READ"));
    assert_eq!(thread.messages[2].text(), Some("Thanks!"));
    assert!(!chunk.declined());
    let [V::History(declined)] = &whatsapp_values("wa_history_declined.json")[..] else { panic!() };
    assert!(declined.declined());

    let [V::AppStateSync(sync)] = &whatsapp_values("wa_smb_app_state_sync.json")[..] else { panic!() };
    assert_eq!(sync.state_sync[0].action, Some(StateSyncAction::Add));
    assert_eq!(sync.state_sync[0].contact.as_ref().unwrap().full_name.as_deref(), Some("Pablo Morales"));
    assert_eq!(sync.state_sync[1].action, Some(StateSyncAction::Remove));

    let [V::Account(removed)] = &whatsapp_values("wa_account_update_partner_removed_coexistence.json")[..]
    else {
        panic!()
    };
    let disconnection = removed.disconnection_info.as_ref().unwrap();
    assert_eq!(disconnection.reason.as_deref(), Some("PRIMARY_INACTIVITY"));
    assert_eq!(removed.waba_info.as_ref().unwrap().owner_business_id.as_deref(), Some("2329417887457253"));
    let [V::Account(tier)] = &whatsapp_values("wa_account_update_volume_based_pricing_tier_update.json")[..]
    else {
        panic!()
    };
    assert_eq!(tier.volume_tier_info.as_ref().unwrap().tier.as_deref(), Some("25000001:50000000"));
    let [V::Account(intl)] =
        &whatsapp_values("wa_account_update_auth_intl_price_eligibility_update.json")[..]
    else {
        panic!()
    };
    let eligibility = intl.auth_international_rate_eligibility.as_ref().unwrap();
    assert_eq!(eligibility.exception_countries[0].country_code.as_deref(), Some("ID"));
    let [V::Account(location)] =
        &whatsapp_values("wa_account_update_business_primary_location_country_update.json")[..]
    else {
        panic!()
    };
    assert_eq!(location.country.as_deref(), Some("IN"));
    let [V::Account(cert)] =
        &whatsapp_values("wa_account_update_partner_client_certification_status_update.json")[..]
    else {
        panic!()
    };
    assert_eq!(cert.partner_client_certification_info.as_ref().unwrap().status.as_deref(), Some("APPROVED"));

    let [V::AccountAlert(alert)] = &whatsapp_values("wa_account_alerts.json")[..] else { panic!() };
    assert_eq!(
        alert.alert_info.as_ref().unwrap().alert_type.as_deref(),
        Some("INCREASED_CAPABILITIES_ELIGIBILITY_DEFERRED")
    );
    let [V::PaymentConfiguration(payment)] = &whatsapp_values("wa_payment_configuration_update.json")[..]
    else {
        panic!()
    };
    assert_eq!(payment.status.as_deref(), Some("Needs Testing"));
    assert_eq!(
        payment.state(),
        Some(meta_messaging::whatsapp::webhook::PaymentConfigurationStatus::NeedsTesting)
    );
    assert_eq!(payment.created_timestamp.map(|t| t.unix_seconds()), Some(1_748_827_100));
    let [V::PartnerSolution(solution)] = &whatsapp_values("wa_partner_solutions.json")[..] else { panic!() };
    assert_eq!(solution.solution_status.as_deref(), Some("INITIATED"));
    let [V::AutomaticEvents(auto)] = &whatsapp_values("wa_automatic_events_purchase.json")[..] else {
        panic!()
    };
    let purchase = &auto.automatic_events[0];
    assert_eq!(purchase.event_name.as_deref(), Some("Purchase"));
    assert_eq!(purchase.custom_data.as_ref().unwrap().value, Some(25000.0));
    let [V::Calls(calls)] = &whatsapp_values("wa_calls_status_ringing.json")[..] else { panic!() };
    let ringing = &calls.statuses[0];
    assert_eq!((ringing.status.as_deref(), ringing.kind.as_deref()), (Some("RINGING"), Some("call")));
    assert_eq!(ringing.recipient_id.as_deref(), Some("12125551679"));
    assert_eq!(ringing.biz_opaque_callback_data.as_deref(), Some("campaign_7f3a"));
    let [V::MessageEchoes(echoes)] = &whatsapp_values("wa_smb_message_echoes_bsuid.json")[..] else {
        panic!()
    };
    let echo = &echoes.message_echoes[0];
    assert_eq!(echo.to_user_id.as_deref(), Some("US.13491208655302741918"));
    assert_eq!(echoes.user_of(echo).key(), Some("US.13491208655302741918"));
}

#[test]
fn template_changes_are_typed() {
    use WhatsAppChangeValue as V;
    let [V::TemplateStatus(disabled)] = &whatsapp_values("wa_template_status_disabled.json")[..] else {
        panic!()
    };
    assert_eq!(disabled.disable_info.unwrap().disable_date.map(|t| t.unix_seconds()), Some(1_751_234_563));
    let [V::TemplateStatus(unpaused)] = &whatsapp_values("wa_template_status_unpaused.json")[..] else {
        panic!()
    };
    let other = unpaused.other_info.as_ref().unwrap();
    assert_eq!(other.description.as_deref(), Some("Your WhatsApp message template has been unpaused."));
    let [V::TemplateStatus(rejected)] =
        &whatsapp_values("wa_template_status_rejected_invalid_format.json")[..]
    else {
        panic!()
    };
    assert!(rejected.rejection_info.as_ref().unwrap().recommendation.is_some());
    let [V::TemplateComponents(edited)] =
        &whatsapp_values("wa_message_template_components_update_buttons.json")[..]
    else {
        panic!()
    };
    assert_eq!(
        edited.message_template_buttons[1].message_template_button_phone_number.as_deref(),
        Some("+5511987650000")
    );
}

/// Every string and number of `value`, with where it is.
fn leaves(value: &Value, path: &str, out: &mut Vec<(String, String)>) {
    match value {
        Value::Object(map) => map.iter().for_each(|(k, v)| {
            out.push((format!("{path}.{k}#key"), k.clone()));
            leaves(v, &format!("{path}.{k}"), out);
        }),
        Value::Array(items) => {
            items.iter().enumerate().for_each(|(i, v)| leaves(v, &format!("{path}[{i}]"), out));
        }
        Value::String(text) if !text.is_empty() => out.push((path.to_owned(), text.clone())),
        Value::Number(n) => out.push((path.to_owned(), n.to_string())),
        _ => {}
    }
}

fn webhook_fixtures() -> Vec<PathBuf> {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures");
    let mut files = Vec::new();
    for dir in
        ["webhooks/whatsapp", "webhooks/messenger", "webhooks/instagram", "corpus/webhooks", "identity"]
    {
        for entry in std::fs::read_dir(root.join(dir)).unwrap() {
            let path = entry.unwrap().path();
            if path.extension().is_some_and(|e| e == "json") && !path.ends_with("ORACLE.json") {
                files.push(path);
            }
        }
    }
    files
}

/// Keys read under another name, or constants the models do not repeat: `object` (the parsed
/// body's variant), `messaging_product` (always `whatsapp`), `type` (the models' `kind`),
/// `parent_recipient_user_id` (the other spelling of `recipient_parent_user_id`).
const RENAMED: &[&str] = &["object", "messaging_product", "type", "parent_recipient_user_id"];

#[test]
fn nothing_a_fixture_holds_is_dropped() {
    let (mut checked, mut dropped) = (0, Vec::new());
    for path in webhook_fixtures() {
        let body = std::fs::read(&path).unwrap();
        let Ok(webhook) = parse(&body) else { continue };
        // Enum values show as their variant names (`smb_app_state_sync` as `SmbAppStateSync`):
        // both sides are compared in lower case without `_`.
        let normalize = |text: &str| text.to_lowercase().replace('_', "");
        let seen = normalize(&format!("{webhook:?}"));
        let mut values = Vec::new();
        leaves(&serde_json::from_slice(&body).unwrap(), "", &mut values);
        for (at, text) in values {
            // Rust's Debug escapes quotes, controls and some non-ASCII characters; strings are
            // compared on their first plain ASCII run.
            let plain: String = text
                .chars()
                .take_while(|c| c.is_ascii() && !matches!(c, '"' | '\\') && !c.is_control())
                .collect();
            if plain.len() < 4
                || at == ".object"
                || (at.ends_with("#key") && RENAMED.contains(&text.as_str()))
            {
                continue;
            }
            if !seen.contains(&normalize(&plain)) {
                dropped.push(format!("{}: {at} = {text:?}", path.file_name().unwrap().to_string_lossy()));
            }
        }
        checked += 1;
    }
    assert!(dropped.is_empty(), "neither modelled nor kept:\n{}", dropped.join("\n"));
    assert!(checked >= 100, "only {checked} fixtures");
}

#[test]
fn page_feed_changes_are_typed() {
    use meta_messaging::messenger::webhook::MessengerChangeValue;
    let body = fixture("webhooks/messenger/msgr_feed_comment.json");
    let Webhook::Messenger(page) = parse(&body).unwrap() else { panic!() };
    let MessengerChangeValue::Feed(feed) = &page.entries[0].changes[0].value else { panic!() };
    assert_eq!((feed.item.as_deref(), feed.verb.as_deref()), (Some("comment"), Some("add")));
    assert_eq!(feed.published, Some(true));
    assert_eq!(feed.from.as_ref().unwrap().name.as_deref(), Some("Marta Sousa"));
    assert_eq!(feed.created_time.map(|t| t.unix_seconds()), Some(1_697_001_234));
}
