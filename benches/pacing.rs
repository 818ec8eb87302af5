//! One admission on the Redis-shared pacer, beside a floor of one Redis round trip (`EVALSHA`
//! of a trivial script) measured in the same run. Budget: at most 1.3x the floor. Also prints
//! the admitted rate one replica sustains (sequential admissions, no waiting).
//!
//! Needs a Redis server: `META_MESSAGING_REDIS_URL=redis://127.0.0.1:6379 cargo bench --bench
//! pacing --features redis`. Without the feature or the URL it says so and measures nothing.

#[cfg(feature = "redis")]
fn main() {
    use std::hint::black_box;
    use std::time::{Duration, Instant};

    use meta_messaging::pacing::{Admission, PacerConfig, Reservation, SharedLimits};
    use meta_messaging::store::RedisLimits;

    const BUDGET: f64 = 1.3;
    const ROUNDS: usize = 15;
    const PER_ROUND: usize = 2000;

    let Ok(url) = std::env::var("META_MESSAGING_REDIS_URL") else {
        println!("pacing bench: META_MESSAGING_REDIS_URL is not set; nothing measured");
        return;
    };
    if std::env::args().any(|a| a == "--test" || a == "--list") {
        return;
    }
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
    let prefix = format!("{{mmbench-{:016x}}}", fastrand::u64(..));
    // Both sides on one connection manager: the difference is the reservation alone.
    let (limits, mut floor_connection, trivial) = runtime.block_on(async {
        let client = redis::Client::open(url.as_str()).expect("url");
        let connection = client.get_connection_manager().await.expect("redis");
        let limits = RedisLimits::from_connection(connection.clone()).prefix(&prefix);
        (limits, connection, redis::Script::new("return 1"))
    });
    // Meta's pair rate (one per 6 s, bursts of 5) and the highest throughput, for 100 numbers
    // taken in turn and recipients that rotate: every admission is answered "now" and measures
    // one reservation, on keys as warm as a sending replica's.
    let config = PacerConfig::default().throughput(1000);
    let mut phone = 0u64;
    let mut admit = || {
        phone += 1;
        let number = format!("1065403{:08}", phone % 100);
        let recipient = format!("1650555{:04}", phone % 9973);
        let reservation = Reservation::new(&number, &recipient, &config);
        let admission = runtime.block_on(limits.reserve(black_box(&reservation))).expect("reserve");
        assert!(matches!(admission, Admission::After(_)));
    };
    let mut floor = || {
        let one: i64 = runtime.block_on(trivial.invoke_async(&mut floor_connection)).expect("evalsha");
        black_box(one);
    };
    // Warm both (scripts loaded, connections open), and run admissions until the keyspace is in
    // its steady state: pair keys live 7 s (a 6 s interval plus a second), so new ones stop
    // growing the server's tables only after that.
    let warm_until = Instant::now() + Duration::from_secs(8);
    while Instant::now() < warm_until {
        admit();
        floor();
    }
    let (mut ours, mut theirs) = (Vec::new(), Vec::new());
    let time = |f: &mut dyn FnMut()| {
        let start = Instant::now();
        for _ in 0..PER_ROUND {
            f();
        }
        start.elapsed()
    };
    for round in 0..ROUNDS {
        if round % 2 == 0 {
            ours.push(time(&mut admit));
            theirs.push(time(&mut floor));
        } else {
            theirs.push(time(&mut floor));
            ours.push(time(&mut admit));
        }
    }
    ours.sort();
    theirs.sort();
    let (ours, theirs) = (ours[ROUNDS / 2], theirs[ROUNDS / 2]);
    let per = |d: Duration| d.as_secs_f64() * 1e6 / f64::from(u32::try_from(PER_ROUND).unwrap_or(u32::MAX));
    let ratio = ours.as_secs_f64() / theirs.as_secs_f64();
    println!("\nshared pacer admission on Redis vs one EVALSHA round trip (budget {BUDGET:.1}x):");
    println!(
        "  floor {:>6.1} µs  admission {:>6.1} µs  ratio {ratio:.2}x  {}  ({:.0} admissions/s from one replica)",
        per(theirs),
        per(ours),
        if ratio <= BUDGET { "within budget" } else { "OVER BUDGET" },
        1e6 / per(ours)
    );
    runtime.block_on(async {
        let keys: Vec<String> = redis::cmd("KEYS")
            .arg(format!("{prefix}*"))
            .query_async(&mut floor_connection)
            .await
            .expect("keys");
        for chunk in keys.chunks(1000) {
            let _: i64 = redis::cmd("DEL").arg(chunk).query_async(&mut floor_connection).await.expect("del");
        }
    });
}

#[cfg(not(feature = "redis"))]
fn main() {
    println!("pacing bench: build with --features redis");
}
