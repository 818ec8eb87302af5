//! `deliveries`: what the durable queues hold, replaying dead letters, and recovering a queue
//! since a time.

use std::sync::Arc;

use clap::Subcommand;
use meta_messaging::Timestamp;
use meta_messaging::delivery::{INBOX_QUEUE, Item, ItemState, Queue};
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
    let url = config.require(QUEUE_URL)?;
    if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        Ok(Arc::new(PostgresQueue::connect(&url).await?))
    } else if let Some(path) = url.strip_prefix("sqlite://").or_else(|| url.strip_prefix("sqlite:")) {
        Ok(Arc::new(SqliteQueue::open(path).await?))
    } else {
        Err(CliError(format!("{QUEUE_URL} must start with sqlite: or postgres://")))
    }
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
    let queue = open(config).await?;
    match command {
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
