//! `deliveries`: what the durable queues hold, replaying dead letters, and recovering a queue
//! since a time.

use std::sync::Arc;

use clap::Subcommand;
use meta_messaging::Timestamp;
use meta_messaging::delivery::{
    DestinationState, DestinationStore, INBOX_QUEUE, Item, ItemState, Queue, relay_queue,
};
use meta_messaging::store::{PostgresQueue, SqliteQueue};

use crate::config::{Config, QUEUE_URL};
use crate::{CliError, CliResult};

#[derive(Subcommand)]
pub(crate) enum DeliveriesCommand {
    /// Counts items by state and lists the pending items and the dead letters (id, key,
    /// attempts, last error, size: never the payload).
    List {
        /// The queue (the webhook inbox by default).
        #[arg(long, default_value = INBOX_QUEUE)]
        queue: String,
        /// The most items listed per state.
        #[arg(long, default_value_t = 50)]
        limit: usize,
    },
    /// Moves dead letters back to pending, due now, with their attempts reset. Items already
    /// delivered (done) are refused unless --include-done: replaying them delivers twice.
    Replay {
        /// Item ids (dead letters of --queue).
        ids: Vec<i64>,
        /// Every dead letter of the queue instead.
        #[arg(long, conflicts_with = "ids")]
        all_dead: bool,
        /// Also replay done items among the ids (they are delivered again).
        #[arg(long)]
        include_done: bool,
        /// The queue the items are in.
        #[arg(long, default_value = INBOX_QUEUE)]
        queue: String,
    },
    /// Lists the destinations: enabled or disabled (since when, why), last success, failure
    /// streak, rate and the depth of their relay queue (`relay:<name>`).
    Destinations,
    /// Enables a disabled destination: its waiting items are delivered again.
    Enable {
        /// The destination id.
        name: String,
    },
    /// Disables a destination: its items wait (spending no attempts) until it is enabled.
    Disable {
        /// The destination id.
        name: String,
        /// Why (shown by `deliveries destinations`).
        #[arg(long, default_value = "disabled by an operator")]
        reason: String,
    },
    /// Lists an item's attempts, oldest first: when, how long, the outcome, a coarse reason and
    /// the status a destination answered (never what it answered with).
    Attempts {
        /// The item id (from `deliveries list`).
        id: i64,
    },
    /// Replays the dead letters enqueued since a time, oldest first (after a destination's
    /// outage: what died during it is sent again). With --include-done, the items delivered
    /// since then go again too.
    Recover {
        /// Unix time in seconds: items enqueued at or after it.
        #[arg(long)]
        since: i64,
        /// Also replay the done items since then (they are delivered again).
        #[arg(long)]
        include_done: bool,
        /// The queue (a destination's relay queue is `relay:<destination>`).
        #[arg(long, default_value = INBOX_QUEUE)]
        queue: String,
    },
}

pub(crate) async fn open(config: &Config) -> Result<Arc<dyn Queue>, CliError> {
    Ok(open_both(config).await?.0)
}

/// The queue, and the destinations' store that lives beside its items.
async fn open_both(config: &Config) -> Result<(Arc<dyn Queue>, Arc<dyn DestinationStore>), CliError> {
    let url = config.require(QUEUE_URL)?;
    if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        let queue = Arc::new(PostgresQueue::connect(&url).await?);
        Ok((Arc::clone(&queue) as Arc<dyn Queue>, queue))
    } else if let Some(path) = url.strip_prefix("sqlite://").or_else(|| url.strip_prefix("sqlite:")) {
        let queue = Arc::new(SqliteQueue::open(path).await?);
        Ok((Arc::clone(&queue) as Arc<dyn Queue>, queue))
    } else {
        Err(CliError(format!("{QUEUE_URL} must start with sqlite: or postgres://")))
    }
}

fn print_destination(state: &DestinationState, (pending, dead): (u64, u64)) {
    let at = |t: Option<Timestamp>| t.map_or_else(|| "-".to_owned(), |t| t.unix_seconds().to_string());
    let health = match (&state.disabled_at, &state.disabled_reason) {
        (Some(since), reason) => {
            format!("disabled since {} ({})", since.unix_seconds(), reason.as_deref().unwrap_or("-"))
        }
        (None, _) => "enabled".to_owned(),
    };
    let rate = state.rate.map_or_else(
        || "-".to_owned(),
        |(interval, burst)| format!("{:.1}/s burst {burst}", 1.0 / interval.as_secs_f64().max(1e-3)),
    );
    println!(
        "{}\t{health}\tlast_success={}\tstreak={}\trate={rate}\tpending={pending}\tdead={dead}",
        state.name,
        at(state.last_success),
        state.failure_streak,
    );
}

fn print_item(item: &Item) {
    println!(
        "{}\t{}\t{:?}\tattempts={}\tbytes={}\tcreated={}\terror={}",
        item.id,
        item.key,
        item.state,
        item.attempts,
        item.payload.len(),
        item.created_at.unix_seconds(),
        item.last_error.as_deref().unwrap_or("-"),
    );
}

pub(crate) async fn run(command: DeliveriesCommand, config: &Config) -> CliResult {
    let (queue, destinations) = open_both(config).await?;
    match command {
        DeliveriesCommand::Destinations => {
            for state in destinations.destinations().await? {
                let (pending, _, dead) = queue.counts(&relay_queue(&state.name)).await?;
                print_destination(&state, (pending, dead));
            }
        }
        DeliveriesCommand::Enable { name } => {
            if !destinations.enable(&name).await? {
                return Err(CliError(format!("destination {name} is not disabled")));
            }
            println!("enabled {name}");
        }
        DeliveriesCommand::Disable { name, reason } => {
            if !destinations.disable(&name, &reason, Timestamp::now()).await? {
                return Err(CliError(format!("destination {name} is disabled already")));
            }
            println!("disabled {name}");
        }
        DeliveriesCommand::List { queue: name, limit } => {
            let (pending, done, dead) = queue.counts(&name).await?;
            println!("queue {name}: {pending} pending, {done} done, {dead} dead");
            for state in [ItemState::Pending, ItemState::Dead] {
                for item in queue.list(&name, state, limit).await? {
                    print_item(&item);
                }
            }
        }
        DeliveriesCommand::Replay { ids, all_dead, include_done, queue: name } => {
            let dead: std::collections::HashSet<i64> =
                queue.dead_letters(&name, usize::MAX).await?.into_iter().map(|item| item.id).collect();
            let ids = if all_dead {
                let mut all: Vec<i64> = dead.iter().copied().collect();
                all.sort_unstable();
                all
            } else if ids.is_empty() {
                return Err(CliError("give item ids, or --all-dead".to_owned()));
            } else {
                ids
            };
            let mut missing = Vec::new();
            for id in &ids {
                if !include_done && !dead.contains(id) {
                    missing.push(format!(
                        "{id} (not a dead letter of {name}; --include-done replays done items)"
                    ));
                    continue;
                }
                if queue.replay(*id).await? {
                    println!("replayed {id}");
                } else {
                    missing.push(id.to_string());
                }
            }
            if !missing.is_empty() {
                return Err(CliError(format!(
                    "not replayed (no such item, or pending already): {}",
                    missing.join(", ")
                )));
            }
        }
        DeliveriesCommand::Attempts { id } => {
            let log = queue.attempt_log(id).await?;
            if log.is_empty() {
                return Err(CliError(format!("no attempts recorded for item {id}")));
            }
            for attempt in &log {
                println!(
                    "{}\t{}ms\t{}\t{}\t{}",
                    attempt.at.unix_millis(),
                    attempt.latency.as_millis(),
                    attempt.outcome,
                    attempt.status.map_or_else(|| "-".to_owned(), |status| status.to_string()),
                    attempt.category.as_deref().unwrap_or("-"),
                );
            }
        }
        DeliveriesCommand::Recover { since, include_done, queue: name } => {
            let recovered =
                queue.recover_since(&name, Timestamp::from_unix_seconds(since), include_done).await?;
            for id in &recovered {
                println!("recovered {id}");
            }
            println!("recovered {} items", recovered.len());
        }
    }
    Ok(())
}
