//! Whether the database answers, checked on a connection of the probe's own: readiness
//! must not wait behind requests for a pooled connection (a busy pool on a slow database
//! is no outage), and a check that gets no answer ends with its timeout.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use sqlx::postgres::PgConnectOptions;
use sqlx::{ConnectOptions, PgConnection};

use super::{Database, APPLICATION_NAME};

/// How often the database is asked.
const PROBE_INTERVAL: Duration = Duration::from_millis(500);

/// When the database last answered the probe.
pub struct Reachability {
    origin: Instant,
    /// Milliseconds from `origin` to the last answer.
    last_answer_ms: AtomicU64,
}

impl Reachability {
    /// How long the database has gone without answering (zero right after an answer).
    pub fn unanswered_for(&self) -> Duration {
        let last = Duration::from_millis(self.last_answer_ms.load(Ordering::Relaxed));
        self.origin.elapsed().saturating_sub(last)
    }

    fn answered(&self) {
        let now = self.origin.elapsed().as_millis() as u64;
        self.last_answer_ms.store(now, Ordering::Relaxed);
    }
}

/// Starts asking the database at `options` (`SELECT 1`, each within `timeout`) on the
/// database thread, for as long as the service runs. Counts as answered at start: the
/// service has just connected to run its migrations.
pub fn spawn(
    database: &Database,
    options: PgConnectOptions,
    timeout: Duration,
) -> Arc<Reachability> {
    let options = options.application_name(&format!("{APPLICATION_NAME} readiness"));
    let reachability = Arc::new(Reachability {
        origin: Instant::now(),
        last_answer_ms: AtomicU64::new(0),
    });
    database.spawn_background(probe_forever(options, timeout, Arc::clone(&reachability)));
    reachability
}

async fn probe_forever(
    options: PgConnectOptions,
    timeout: Duration,
    reachability: Arc<Reachability>,
) {
    let mut connection: Option<PgConnection> = None;
    let mut failing = false;
    loop {
        match tokio::time::timeout(timeout, ask(&options, &mut connection)).await {
            Ok(Ok(())) => {
                reachability.answered();
                if std::mem::take(&mut failing) {
                    tracing::info!("the database answers the readiness probe again");
                }
            }
            outcome => {
                // Its state is unknown: dropping it closes the socket, so nothing lingers.
                connection = None;
                if !std::mem::replace(&mut failing, true) {
                    let reason = match outcome {
                        Ok(Err(error)) => error.to_string(),
                        _ => format!("no answer within {timeout:?}"),
                    };
                    tracing::warn!(%reason, "the database does not answer the readiness probe");
                }
            }
        }
        tokio::time::sleep(PROBE_INTERVAL).await;
    }
}

/// `SELECT 1` as a simple query (nothing prepared, so a transaction pooler carries it),
/// connecting first when needed.
async fn ask(
    options: &PgConnectOptions,
    connection: &mut Option<PgConnection>,
) -> Result<(), sqlx::Error> {
    let open = match connection {
        Some(open) => open,
        None => connection.insert(options.connect().await?),
    };
    sqlx::Executor::execute(open, "SELECT 1").await?;
    Ok(())
}
