//! The `paced_sender` program with the in-process pacer (`PACER_STORE=memory`), driven from
//! outside. The shared (Redis) runs are in `tests/redis.rs`.

#![allow(clippy::unwrap_used)]

#[path = "common/pacing_check.rs"]
mod pacing_check;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_replica_in_memory_stays_within_the_limits() {
    let run =
        pacing_check::Run { throughput: 25, sends: 40, concurrency: 16, ..pacing_check::Run::default() };
    pacing_check::run_and_check(&run).await;
}
