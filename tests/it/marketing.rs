//! The marketing governor: `131049` holds shared by replicas, and the portfolio's budget.

use std::collections::HashSet;
use std::sync::Arc;
use std::time::Duration;

use meta_messaging::Timestamp;
use meta_messaging::clock::{Clock, ManualClock};
use meta_messaging::graph::ErrorKind;
use meta_messaging::pacing::{InMemoryLimits, MarketingGovernor};
use meta_messaging::testing::{FakeError, FakeGraph};
use meta_messaging::whatsapp::account::MessagingLimitTier;
use meta_messaging::whatsapp::{Message, Template, WhatsApp};

const PHONE: &str = "106540352242922";

/// Meta's answer to a marketing message a user has had enough of
/// (<https://developers.facebook.com/docs/whatsapp/cloud-api/support/error-codes/>, 131049), as
/// the fake server sends it.
fn ecosystem_limit() -> FakeError {
    FakeError::MarketingLimit
}

fn sale() -> Message {
    Message::template(Template::new("spring_sale", "en_US"))
}

fn recipient(i: usize) -> String {
    format!("1650{:07}", 5_550_000 + i)
}

/// Two replicas of one tenant: each its own handle and governor, one shared store and clock.
fn replicas(fake: &FakeGraph, clock: &ManualClock, store: &Arc<InMemoryLimits>) -> [WhatsApp; 2] {
    let replica = || {
        let governor =
            MarketingGovernor::new("portfolio-1", Arc::clone(store)).clock(Arc::new(clock.clone()));
        fake.client("EAAG-test").whatsapp(PHONE).with_guard(governor)
    };
    [replica(), replica()]
}

#[tokio::test]
async fn a_campaign_never_resends_into_a_131049_within_24_hours_across_replicas() {
    let fake = FakeGraph::start().await;
    let clock = ManualClock::new(Timestamp::from_unix_seconds(1_800_000_000));
    let store = Arc::new(InMemoryLimits::default());
    let replicas = replicas(&fake, &clock, &store);

    // First pass: 1,000 recipients over both replicas; Meta refuses one in ten with 131049.
    let mut refused = HashSet::new();
    for i in 0..1_000 {
        if i % 10 == 3 {
            fake.fail_next(ecosystem_limit());
        }
        match replicas[i % 2].send_marketing(recipient(i), sale()).await {
            Ok(_) => {}
            Err(error) => {
                assert_eq!(error.api_error().map(|e| e.code()), Some(131_049), "{error}");
                refused.insert(recipient(i));
            }
        }
    }
    assert_eq!(refused.len(), 100);
    assert_eq!(fake.take_outbox().len(), 900);

    // Second pass, 23 hours later, each recipient through the other replica: the held ones
    // are refused before any request, the others go.
    clock.advance(Duration::from_secs(23 * 3600));
    let requests = fake.request_count();
    for i in 0..1_000 {
        let outcome = replicas[(i + 1) % 2].send_marketing(recipient(i), sale()).await;
        if refused.contains(&recipient(i)) {
            let error = outcome.unwrap_err();
            assert_eq!(error.kind(), ErrorKind::Undeliverable, "{error}");
            assert!(error.api_error().is_none(), "refused locally, not by Meta");
            let wait = error.retry_after().unwrap();
            assert!(wait <= Duration::from_secs(3600) && wait > Duration::from_secs(3500), "{wait:?}");
        } else {
            outcome.unwrap();
        }
    }
    assert_eq!(fake.request_count() - requests, 900, "no request went to a held recipient");
    let resent: HashSet<String> = fake.take_outbox().into_iter().map(|m| m.to).collect();
    assert!(resent.is_disjoint(&refused));

    // A utility template or a reply to a held recipient is not marketing: it goes.
    let held = refused.iter().next().unwrap().clone();
    replicas[0].send(held.as_str(), sale()).await.expect("send() templates are not held by default");

    // After 24 hours they are reachable again.
    clock.advance(Duration::from_secs(2 * 3600));
    replicas[1].send_marketing(held.as_str(), sale()).await.unwrap();
}

#[tokio::test]
async fn a_failed_status_webhook_with_131049_holds_the_recipient_by_phone_and_bsuid() {
    let fake = FakeGraph::start().await;
    let clock = ManualClock::new(Timestamp::from_unix_seconds(1_800_000_000));
    let store = Arc::new(InMemoryLimits::default());
    let governor = MarketingGovernor::new("portfolio-1", Arc::clone(&store)).clock(Arc::new(clock.clone()));
    // A failed status as Meta sends it for 131049 (status webhook reference:
    // https://developers.facebook.com/docs/whatsapp/cloud-api/webhooks/payload-examples#message-failed),
    // with the BSUID field of the 2026 usernames rollout.
    let body = br#"{"object":"whatsapp_business_account","entry":[{"id":"102290129340398","changes":[{"value":{
        "messaging_product":"whatsapp","metadata":{"display_phone_number":"15550783881","phone_number_id":"106540352242922"},
        "statuses":[{"id":"wamid.HBgLMTY1MDM4Nzk0MzkVAgARGBJDQjZCMzlEQUE4OTJBMTE4RTUA","status":"failed",
          "timestamp":"1800000100","recipient_id":"16505551234","recipient_user_id":"US.13491208655302741918",
          "errors":[{"code":131049,"title":"This message was not delivered to maintain healthy ecosystem engagement.",
            "message":"This message was not delivered to maintain healthy ecosystem engagement.",
            "error_data":{"details":"In order to maintain a healthy ecosystem engagement, the message failed to be delivered."},
            "href":"https://developers.facebook.com/docs/whatsapp/cloud-api/support/error-codes/"}]},
          {"id":"wamid.OTHER","status":"failed","timestamp":"1800000100","recipient_id":"16505559999",
          "errors":[{"code":131026,"title":"Message undeliverable"}]}]},"field":"messages"}]}]}"#;
    let webhook = meta_messaging::webhook::parse(body).unwrap();
    assert_eq!(governor.observe_webhook(&webhook).await.unwrap(), 1, "only the 131049 status");

    let wa = fake.client("EAAG-test").whatsapp(PHONE).with_guard(governor.clone());
    let by_phone = wa.send_marketing("+1 650 555 1234", sale()).await.unwrap_err();
    assert_eq!(by_phone.kind(), ErrorKind::Undeliverable);
    let by_bsuid = wa
        .send_marketing(meta_messaging::whatsapp::Recipient::user_id("US.13491208655302741918"), sale())
        .await
        .unwrap_err();
    assert_eq!(by_bsuid.kind(), ErrorKind::Undeliverable);
    wa.send_marketing("16505559999", sale()).await.expect("131026 is not a marketing hold");
    assert_eq!(fake.outbox().len(), 1);

    // Another tenant's governor on the same store does not see the hold.
    let other = MarketingGovernor::new("portfolio-2", store).clock(Arc::new(clock));
    let theirs = fake.client("EAAG-other").whatsapp(PHONE).with_guard(other);
    theirs.send_marketing("16505551234", sale()).await.unwrap();
}

#[tokio::test]
async fn the_portfolio_budget_counts_unique_recipients_across_replicas() {
    let fake = FakeGraph::start().await;
    let clock = ManualClock::new(Timestamp::from_unix_seconds(1_800_000_000));
    let store = Arc::new(InMemoryLimits::default());
    let governors: Vec<MarketingGovernor> = (0..2)
        .map(|_| {
            MarketingGovernor::new("portfolio-1", Arc::clone(&store))
                .clock(Arc::new(clock.clone()))
                .portfolio_limit(10)
        })
        .collect();
    let handles: Vec<WhatsApp> =
        governors.iter().map(|g| fake.client("EAAG-test").whatsapp(PHONE).with_guard(g.clone())).collect();

    let mut refused = 0;
    for i in 0..15 {
        match handles[i % 2].send(recipient(i), sale()).await {
            Ok(_) => {}
            Err(error) => {
                assert_eq!(error.kind(), ErrorKind::RateLimited, "{error}");
                assert!(error.retry_after().unwrap() <= Duration::from_secs(24 * 3600));
                refused += 1;
            }
        }
    }
    assert_eq!(refused, 5, "ten unique recipients in 24 hours, whichever replica sends");
    // A recipient already reached is not counted twice; a reply in a conversation is not counted.
    handles[1].send(recipient(0), sale()).await.unwrap();
    handles[1].send(recipient(14), Message::text("Thanks for writing!")).await.unwrap();
    // The window rolls.
    clock.advance(Duration::from_secs(24 * 3600 + 1));
    handles[0].send(recipient(14), sale()).await.unwrap();

    // The budget from the number's tier.
    governors[0].apply_limit(&MessagingLimitTier::Tier250);
    assert_eq!(governors[0].limit(), Some(250));
    governors[0].apply_limit(&MessagingLimitTier::Unlimited);
    assert_eq!(governors[0].limit(), None);
}

#[tokio::test]
async fn erasing_a_tenant_forgets_its_holds_and_the_recipients_it_reached() {
    use meta_messaging::delivery::TenantErasure;
    use meta_messaging::pacing::{MarketingStore, REACH_WINDOW, Reach};

    let fake = FakeGraph::start().await;
    let clock = ManualClock::new(Timestamp::from_unix_seconds(1_800_000_000));
    let store = Arc::new(InMemoryLimits::default());
    let governor =
        |scope: &str| MarketingGovernor::new(scope, Arc::clone(&store)).clock(Arc::new(clock.clone()));
    let (ours, theirs) = (governor("portfolio-1"), governor("portfolio-2"));
    ours.hold("16505551234").await.unwrap();
    theirs.hold("16505551234").await.unwrap();
    store.reach("portfolio-1", "16505559999", clock.now(), REACH_WINDOW, 10).await.unwrap();

    let report = TenantErasure::new("acme").portfolio("portfolio-1").marketing(&*store).run().await.unwrap();
    assert_eq!(report.marketing, 2, "one hold and one recipient reached");
    let wa = |g: &MarketingGovernor| fake.client("EAAG-test").whatsapp(PHONE).with_guard(g.clone());
    wa(&ours).send_marketing("16505551234", sale()).await.expect("its hold is gone");
    let kept = wa(&theirs).send_marketing("16505551234", sale()).await.unwrap_err();
    assert_eq!(kept.kind(), ErrorKind::Undeliverable, "another tenant's hold is kept");
    // Its budget starts again from nothing.
    for i in 0..10 {
        let reach = store
            .reach("portfolio-1", &format!("1650555{i:04}"), clock.now(), REACH_WINDOW, 10)
            .await
            .unwrap();
        assert_eq!(reach, Reach::Counted);
    }
}
