//! Pacing, the messaging window and usage-aware backoff.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use meta_messaging::clock::ManualClock;
use meta_messaging::graph::UsageBackoff;
use meta_messaging::pacing::{Pacer, PacerConfig, PacingPolicy, WindowStatus, WindowTracker};
use meta_messaging::whatsapp::message::Message;
use meta_messaging::whatsapp::template::Template;
use meta_messaging::{Client, ErrorKind, Timestamp, webhook};
use serde_json::json;
use tokio::time::Instant;
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::support::{TOKEN, client, fast_retry, fixture};

const PHONE: &str = "106540352242922";

fn ms(d: Duration) -> u128 {
    d.as_millis()
}

#[tokio::test(start_paused = true)]
async fn throughput_burst_then_exact_spacing() {
    let pacer = Pacer::new(
        PacerConfig::default()
            .throughput(10)
            .throughput_burst(10)
            .pair_burst(100)
            .pair_interval(Duration::ZERO),
    );
    let start = Instant::now();
    let mut times = Vec::new();
    for i in 0..14 {
        pacer.admit(PHONE, &format!("user-{i}")).await.unwrap();
        times.push(ms(start.elapsed()));
    }
    // 10 per second with bursts of 10: a burst, then one every 100 ms.
    assert_eq!(times, [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 100, 200, 300, 400]);
}

#[tokio::test(start_paused = true)]
async fn without_a_burst_no_second_holds_more_than_the_throughput() {
    let pacer =
        Pacer::new(PacerConfig::default().throughput(10).pair_burst(100).pair_interval(Duration::ZERO));
    let start = Instant::now();
    let mut times = Vec::new();
    for i in 0..25 {
        pacer.admit(PHONE, &format!("user-{i}")).await.unwrap();
        times.push(ms(start.elapsed()));
    }
    // The default burst is 1: evenly spaced, so any second holds at most 10 (11 at its edge).
    assert_eq!(times, (0..25).map(|i| i * 100).collect::<Vec<u128>>());
    let most = times.iter().map(|t| times.iter().filter(|u| **u >= *t && **u < t + 1000).count()).max();
    assert_eq!(most, Some(10));
}

#[tokio::test(start_paused = true)]
async fn pair_limit_spaces_one_recipient_and_leaves_others_alone() {
    let pacer = Pacer::new(
        PacerConfig::default().throughput_burst(80).pair_interval(Duration::from_secs(6)).pair_burst(2),
    );
    let start = Instant::now();
    let busy = {
        let pacer = pacer.clone();
        tokio::spawn(async move {
            let mut times = Vec::new();
            for _ in 0..4 {
                pacer.admit(PHONE, "busy").await.unwrap();
                times.push(start.elapsed().as_secs());
            }
            times
        })
    };
    tokio::time::sleep(Duration::from_millis(10)).await;
    pacer.admit(PHONE, "other").await.unwrap();
    assert!(start.elapsed() < Duration::from_millis(20), "another recipient is not stalled");
    assert_eq!(busy.await.unwrap(), [0, 0, 6, 12], "two at once, then one per 6 s");
}

#[tokio::test(start_paused = true)]
async fn fail_fast_reports_when_to_retry() {
    let pacer = Pacer::new(PacerConfig::default().pair_burst(1).policy(PacingPolicy::FailFast));
    pacer.admit(PHONE, "u").await.unwrap();
    let err = pacer.admit(PHONE, "u").await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::RateLimited);
    assert_eq!(err.retry_after(), Some(Duration::from_secs(6)));
    assert!(err.to_string().contains("pair rate"), "{err}");
    let bounded = Pacer::new(
        PacerConfig::default()
            .throughput(1)
            .pair_interval(Duration::ZERO)
            .policy(PacingPolicy::Wait { max_wait: Duration::from_secs(2) }),
    );
    // Four sends at once at 1 per second: slots at 0, 1 and 2 s fit the 2-second bound, the
    // fourth (3 s away) is refused.
    let results = futures_util::future::join_all((0..4).map(|i| {
        let bounded = bounded.clone();
        async move { bounded.admit(PHONE, &format!("u{i}")).await }
    }))
    .await;
    assert!(results[..3].iter().all(Result::is_ok), "{results:?}");
    let err = results[3].as_ref().unwrap_err();
    assert!(err.is_rate_limited());
    assert_eq!(err.retry_after(), Some(Duration::from_secs(3)));
}

#[tokio::test(start_paused = true)]
async fn many_tasks_never_over_admit() {
    let pacer = Pacer::new(PacerConfig::default().throughput(50).pair_interval(Duration::ZERO));
    let start = Instant::now();
    let admitted = Arc::new(std::sync::Mutex::new(Vec::new()));
    let tasks: Vec<_> = (0..200)
        .map(|i| {
            let (pacer, admitted) = (pacer.clone(), Arc::clone(&admitted));
            tokio::spawn(async move {
                pacer.admit(PHONE, &format!("u{i}")).await.unwrap();
                admitted.lock().unwrap().push(start.elapsed());
            })
        })
        .collect();
    for task in tasks {
        task.await.unwrap();
    }
    let mut times = admitted.lock().unwrap().clone();
    times.sort();
    // In any window of one second at most burst (50) + 50 admissions.
    for (i, t) in times.iter().enumerate() {
        let within = times[i..].iter().take_while(|u| **u < *t + Duration::from_secs(1)).count();
        assert!(within <= 100, "{within} admissions within a second from {t:?}");
    }
    assert!(
        times.last().unwrap() >= &Duration::from_secs(2),
        "200 at 50/s after a burst of 50 take 3 s: {:?}",
        times.last()
    );
}

#[tokio::test(start_paused = true)]
async fn throughput_follows_lookups_and_upgrade_webhooks() {
    let pacer = Pacer::default();
    assert_eq!(pacer.throughput(PHONE), 80);
    let number: meta_messaging::whatsapp::account::PhoneNumber = serde_json::from_value(json!({
        "id": PHONE, "display_phone_number": "+1 555-078-3881", "throughput": {"level": "STANDARD"}
    }))
    .unwrap();
    pacer.apply_phone_number(&number).await;
    assert_eq!(pacer.throughput(PHONE), 80);
    let upgrade =
        webhook::parse(&fixture("corpus/webhooks/wa_phone_number_quality_update_throughput.json")).unwrap();
    let display = match &upgrade {
        webhook::Webhook::WhatsApp(p) => match &p.entries[0].changes[0].value {
            meta_messaging::whatsapp::webhook::WhatsAppChangeValue::PhoneNumberQuality(q) => {
                q.display_phone_number.clone().unwrap()
            }
            other => panic!("{other:?}"),
        },
        other => panic!("{other:?}"),
    };
    let number: meta_messaging::whatsapp::account::PhoneNumber =
        serde_json::from_value(json!({"id": PHONE, "display_phone_number": display})).unwrap();
    pacer.apply_phone_number(&number).await;
    assert_eq!(pacer.observe(&upgrade).await, 1);
    assert_eq!(pacer.throughput(PHONE), 1000);
    pacer.set_throughput(PHONE, 5000);
    assert_eq!(pacer.throughput(PHONE), 1000, "clamped");
}

fn wa_message(from: &str, at: i64) -> Vec<u8> {
    json!({"object": "whatsapp_business_account", "entry": [{"id": "1", "changes": [{"field": "messages", "value": {
        "metadata": {"phone_number_id": PHONE},
        "messages": [{"from": from, "id": format!("wamid.{at}"), "timestamp": at.to_string(), "type": "text", "text": {"body": "hi"}}]
    }}]}]})
    .to_string()
    .into_bytes()
}

#[tokio::test]
async fn window_edges() {
    let start = Timestamp::from_unix_seconds(1_763_800_000);
    let clock = ManualClock::new(start);
    let tracker = WindowTracker::in_memory().with_clock(Arc::new(clock.clone()));
    assert_eq!(
        tracker.status(PHONE, "16505551234").await.unwrap(),
        WindowStatus::Closed { last_inbound: None }
    );
    let recorded =
        tracker.observe(&webhook::parse(&wa_message("16505551234", 1_763_800_000)).unwrap()).await.unwrap();
    assert_eq!(recorded, 1);
    let closes = Timestamp::from_unix_seconds(1_763_800_000 + 86_400);
    assert_eq!(tracker.status(PHONE, "16505551234").await.unwrap(), WindowStatus::Open { closes_at: closes });
    clock.advance(Duration::from_secs(86_400) - Duration::from_millis(1));
    assert!(tracker.status(PHONE, "16505551234").await.unwrap().is_open(), "open until the last millisecond");
    clock.advance(Duration::from_millis(1));
    assert!(!tracker.status(PHONE, "16505551234").await.unwrap().is_open(), "closed at exactly 24 h");
    // An older message never shortens the window.
    tracker.record_inbound(PHONE, "16505551234", Timestamp::from_unix_seconds(1_763_700_000)).await.unwrap();
    assert_eq!(
        tracker.status(PHONE, "16505551234").await.unwrap(),
        WindowStatus::Closed { last_inbound: Some(start) }
    );
    assert!(tracker.human_agent_status(PHONE, "16505551234").await.unwrap().is_open());
    // Echoes and standby events do not open a Messenger window.
    let echo = webhook::parse(&fixture("webhooks/messenger/msgr_message_echo.json")).unwrap();
    assert_eq!(tracker.observe(&echo).await.unwrap(), 0);
    let standby = webhook::parse(&fixture("corpus/webhooks/msgr_standby_message.json")).unwrap();
    assert_eq!(tracker.observe(&standby).await.unwrap(), 0);
    let text = webhook::parse(&fixture("corpus/webhooks/msgr_message_text.json")).unwrap();
    assert_eq!(tracker.observe(&text).await.unwrap(), 1);
}

#[tokio::test]
async fn whatsapp_sends_outside_the_window_fail_before_the_request() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path(format!("/v26.0/{PHONE}/messages")))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"messages": [{"id": "wamid.x"}]})))
        .expect(2)
        .mount(&server)
        .await;
    let tracker = WindowTracker::in_memory();
    let wa = client(&server).whatsapp(PHONE).with_guard(tracker.clone()).with_guard(Pacer::default());
    let err = wa.send_text("+1 650-555-1234", "hello").await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::OutsideWindow);
    assert!(err.to_string().contains("template"), "{err}");
    wa.send("16505551234", Message::template(Template::new("hello_world", "en_US"))).await.unwrap();
    tracker
        .observe(&webhook::parse(&wa_message("16505551234", Timestamp::now().unix_seconds())).unwrap())
        .await
        .unwrap();
    wa.send_text("+1 650-555-1234", "hello again").await.unwrap();
}

#[tokio::test]
async fn messenger_window_rules() {
    use meta_messaging::messenger::message::{Message, MessageTag, UtilityTemplate};
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(json!({"recipient_id": "7", "message_id": "m_1"})),
        )
        .expect(2)
        .mount(&server)
        .await;
    let now = Timestamp::now();
    let clock = ManualClock::new(now);
    let tracker = WindowTracker::in_memory().with_clock(Arc::new(clock.clone()));
    tracker.record_inbound("496827783153891", "7", now).await.unwrap();
    clock.advance(Duration::from_secs(2 * 86_400));
    let page = client(&server).messenger("496827783153891").with_guard(tracker);
    assert_eq!(page.send_text("7", "late").await.unwrap_err().kind(), ErrorKind::OutsideWindow);
    page.send("7", Message::text("an agent").tag(MessageTag::HumanAgent)).await.unwrap();
    page.send("7", Message::utility_template(UtilityTemplate::new("order_update", "en"))).await.unwrap();
    clock.advance(Duration::from_secs(6 * 86_400));
    assert_eq!(
        page.send("7", Message::text("x").tag(MessageTag::HumanAgent)).await.unwrap_err().kind(),
        ErrorKind::OutsideWindow
    );
}

#[tokio::test]
async fn usage_headers_pause_one_business_id() {
    let server = MockServer::start().await;
    let hits = Arc::new(AtomicUsize::new(0));
    let counter = Arc::clone(&hits);
    Mock::given(method("GET"))
        .and(path("/v26.0/102290129340398/message_templates"))
        .respond_with(move |_: &wiremock::Request| {
            counter.fetch_add(1, Ordering::SeqCst);
            ResponseTemplate::new(200)
                .insert_header(
                    "x-business-use-case-usage",
                    r#"{"102290129340398":[{"type":"whatsapp_business_management","call_count":100,"total_cputime":10,"total_time":10,"estimated_time_to_regain_access":2}]}"#,
                )
                .set_body_json(json!({"data": []}))
        })
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/v26.0/999/phone_numbers"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"data": []})))
        .expect(1)
        .mount(&server)
        .await;
    let client = Client::builder()
        .access_token(TOKEN)
        .base_url(server.uri())
        .retry(fast_retry())
        .total_timeout(Duration::from_secs(5))
        .build()
        .unwrap();
    let waba = client.whatsapp_business_account("102290129340398");
    waba.templates().await.unwrap();
    let started = std::time::Instant::now();
    let err = waba.templates().await.unwrap_err();
    assert!(started.elapsed() < Duration::from_secs(1), "failed fast");
    assert!(err.is_rate_limited());
    let retry = err.retry_after().unwrap();
    assert!(retry > Duration::from_secs(100) && retry <= Duration::from_secs(120), "{retry:?}");
    assert_eq!(hits.load(Ordering::SeqCst), 1, "the paused call never reached Meta");
    client.whatsapp_business_account("999").phone_numbers().await.unwrap();
    // Without backoff the call goes through.
    let plain = Client::builder()
        .access_token(TOKEN)
        .base_url(server.uri())
        .usage_backoff(UsageBackoff::disabled())
        .build()
        .unwrap();
    plain.whatsapp_business_account("102290129340398").templates().await.unwrap();
    plain.whatsapp_business_account("102290129340398").templates().await.unwrap();
    assert_eq!(hits.load(Ordering::SeqCst), 3);
}

#[tokio::test]
async fn high_usage_spaces_calls() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(
            ResponseTemplate::new(200)
                .insert_header("x-app-usage", r#"{"call_count":97,"total_time":10,"total_cputime":10}"#)
                .set_body_json(json!({})),
        )
        .mount(&server)
        .await;
    let client = Client::builder()
        .access_token(TOKEN)
        .base_url(server.uri())
        .usage_backoff(UsageBackoff::default().slowdown(Duration::from_millis(150)))
        .build()
        .unwrap();
    let started = std::time::Instant::now();
    for _ in 0..4 {
        let _: serde_json::Value = client.get("me").await.unwrap();
    }
    assert!(started.elapsed() >= Duration::from_millis(300), "calls are spaced: {:?}", started.elapsed());
}

#[tokio::test]
async fn a_throughput_error_slows_the_number_down_for_every_sender_of_the_pacer() {
    use meta_messaging::testing::{FakeError, FakeGraph};
    let fake = FakeGraph::start().await;
    let pacer = Pacer::new(
        PacerConfig::default()
            .throughput_burst(80)
            .pair_interval(Duration::ZERO)
            .policy(PacingPolicy::FailFast),
    );
    let wa = fake.client("EAAG-test").whatsapp(PHONE).with_guard(pacer.clone());
    wa.send_text("16505551234", "before").await.unwrap();
    fake.fail_next(FakeError::Throughput);
    // The client retries the 130429 (Meta did not take the message); the pacer saw it.
    let _ = wa.send_text("16505551234", "hit the limit").await;
    let held = pacer.admit(PHONE, "16505559999").await.unwrap_err();
    let retry = held.retry_after().unwrap();
    assert!(retry > Duration::from_millis(500) && retry <= Duration::from_secs(1), "{retry:?}");
    // Another number is not held.
    pacer.admit("106540352240000", "16505559999").await.unwrap();
}

#[tokio::test]
async fn a_pair_rate_error_holds_that_recipient_alone() {
    use meta_messaging::testing::{FakeError, FakeGraph};
    let fake = FakeGraph::start().await;
    let pacer = Pacer::new(
        PacerConfig::default()
            .throughput_burst(80)
            .pair_interval(Duration::from_secs(2))
            .pair_burst(10)
            .policy(PacingPolicy::FailFast),
    );
    let wa = fake.client("EAAG-test").whatsapp(PHONE).with_guard(pacer.clone());
    fake.fail_next(FakeError::PairRateLimit);
    let _ = wa.send_text("16505551234", "too many").await;
    let held = pacer.admit(PHONE, "16505551234").await.unwrap_err();
    assert!(held.retry_after().unwrap() > Duration::from_secs(1), "{held:?}");
    // Others are not held.
    pacer.admit(PHONE, "16505559999").await.unwrap();
}
