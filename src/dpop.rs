//! What DPoP needs from Postgres so that every instance agrees: the proofs already
//! accepted (a proof replayed to another instance is refused) and the nonce key.
//!
//! Every DPoP request records its proof, so the record is batched: requests that arrive
//! while the batch before is in flight go together in one `INSERT ... SELECT FROM unnest`
//! (one statement, one round trip, one commit for many proofs). `scripts/bench`'s W1D
//! measures the difference.

use std::collections::HashSet;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use actix_auth0::{FirstSight, ProofId, SeenProofs, SeenProofsError};
use actix_web::web;
use chrono::{DateTime, Utc};
use sqlx::PgConnection;
use tokio::sync::{mpsc, oneshot, Semaphore};

use crate::database::Database;

/// Expired proofs are deleted this often.
const PURGE_EVERY: Duration = Duration::from_secs(60);
/// The most proofs in one statement.
const MAX_BATCH: usize = 512;
/// Batches in flight at once; more requests wait and join the next batch. One: the
/// statement's cost is mostly per statement, so fewer, fuller batches win (W1D measured
/// 15-20% more requests/s than with two in flight, and Postgres spent ~39 µs per proof
/// against ~51).
const BATCHES_IN_FLIGHT: usize = 1;

/// A proof waiting for its batch, and where to say whether it was new.
struct Sighting {
    id: ProofId,
    expires_at: DateTime<Utc>,
    fresh: oneshot::Sender<Result<bool, String>>,
}

/// Seen proofs in `dpop_seen_proofs`, one row (a hash) per accepted proof.
pub struct PostgresSeenProofs {
    sightings: mpsc::UnboundedSender<Sighting>,
}

impl PostgresSeenProofs {
    /// The store, with its batcher and a task that deletes expired rows, both on the
    /// database thread.
    pub fn new(database: web::Data<Database>) -> Self {
        let (sightings, queue) = mpsc::unbounded_channel();
        database.spawn_background(batch(database.clone(), queue));
        let purger = database.clone();
        database.spawn_background(async move {
            let mut every = tokio::time::interval(PURGE_EVERY);
            loop {
                every.tick().await;
                let purged = purger
                    .run(|connection| Box::pin(purge_expired(connection)))
                    .await;
                if let Err(error) = purged {
                    tracing::warn!(%error, "could not delete expired DPoP proofs");
                }
            }
        });
        Self { sightings }
    }
}

impl SeenProofs for PostgresSeenProofs {
    fn first_sight(&self, id: ProofId, expires_at: SystemTime) -> FirstSight<'_> {
        let (fresh, answer) = oneshot::channel();
        let sighting = Sighting {
            id,
            expires_at: expires_at.into(),
            fresh,
        };
        let queued = self.sightings.send(sighting);
        Box::pin(async move {
            let unavailable = || SeenProofsError("the proof batcher has stopped".into());
            queued.map_err(|_| unavailable())?;
            answer
                .await
                .map_err(|_| unavailable())?
                .map_err(SeenProofsError)
        })
    }
}

/// Takes what is queued (up to [`MAX_BATCH`]) whenever a batch may start, and records it.
async fn batch(database: web::Data<Database>, mut queue: mpsc::UnboundedReceiver<Sighting>) {
    let in_flight = Arc::new(Semaphore::new(BATCHES_IN_FLIGHT));
    while let Ok(permit) = in_flight.clone().acquire_owned().await {
        let Some(first) = queue.recv().await else {
            return;
        };
        let mut sightings = vec![first];
        while sightings.len() < MAX_BATCH {
            match queue.try_recv() {
                Ok(sighting) => sightings.push(sighting),
                Err(_) => break,
            }
        }
        let database = database.clone();
        tokio::spawn(async move {
            answer(&database, sightings).await;
            drop(permit);
        });
    }
}

/// Records `sightings` in one statement and tells each whether its proof was new. A proof
/// twice in one batch is new at most once.
async fn answer(database: &Database, sightings: Vec<Sighting>) {
    let mut unique = HashSet::with_capacity(sightings.len());
    let (mut ids, mut expiries) = (Vec::new(), Vec::new());
    for sighting in &sightings {
        if unique.insert(sighting.id) {
            ids.push(sighting.id.0.to_vec());
            expiries.push(sighting.expires_at);
        }
    }
    let recorded = database
        .run(move |connection| Box::pin(record(connection, ids, expiries)))
        .await;
    match recorded {
        Ok(new) => {
            let mut new: HashSet<Vec<u8>> = new.into_iter().collect();
            for sighting in sightings {
                // Only the first sighting of an id takes it out.
                let fresh = new.remove(&sighting.id.0[..]);
                let _ = sighting.fresh.send(Ok(fresh));
            }
        }
        Err(error) => {
            let error = error.to_string();
            for sighting in sightings {
                let _ = sighting.fresh.send(Err(error.clone()));
            }
        }
    }
}

/// Inserts `ids`, taking over rows whose proofs have expired; the ids that were new.
async fn record(
    connection: &mut PgConnection,
    ids: Vec<Vec<u8>>,
    expiries: Vec<DateTime<Utc>>,
) -> Result<Vec<Vec<u8>>, sqlx::Error> {
    sqlx::query_scalar!(
        r#"INSERT INTO dpop_seen_proofs (id, expires_at)
           SELECT * FROM unnest($1::bytea[], $2::timestamptz[])
           ON CONFLICT (id) DO UPDATE SET expires_at = EXCLUDED.expires_at
           WHERE dpop_seen_proofs.expires_at < now()
           RETURNING id"#,
        &ids,
        &expiries,
    )
    .fetch_all(connection)
    .await
}

async fn purge_expired(connection: &mut PgConnection) -> Result<(), sqlx::Error> {
    sqlx::query!("DELETE FROM dpop_seen_proofs WHERE expires_at < now()")
        .execute(connection)
        .await
        .map(drop)
}

/// The nonce key the migration generated, shared by every instance.
pub async fn nonce_key(connection: &mut PgConnection) -> Result<Vec<u8>, sqlx::Error> {
    sqlx::query_scalar!("SELECT key FROM dpop_nonce_key")
        .fetch_one(connection)
        .await
}
