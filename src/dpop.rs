//! What DPoP needs from Postgres so that every instance agrees: the proofs already
//! accepted (a proof replayed to another instance is refused) and the nonce key.

use std::time::{Duration, SystemTime};

use actix_auth0::{FirstSight, ProofId, SeenProofs, SeenProofsError};
use actix_web::web;
use chrono::{DateTime, Utc};
use sqlx::PgConnection;

use crate::database::Database;

/// Expired proofs are deleted this often.
const PURGE_EVERY: Duration = Duration::from_secs(60);

/// Seen proofs in `dpop_seen_proofs`, one row (a hash) per accepted proof.
pub struct PostgresSeenProofs {
    database: web::Data<Database>,
}

impl PostgresSeenProofs {
    /// The store, and a task on the database thread that deletes expired rows.
    pub fn new(database: web::Data<Database>) -> Self {
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
        Self { database }
    }
}

impl SeenProofs for PostgresSeenProofs {
    fn first_sight(&self, id: ProofId, expires_at: SystemTime) -> FirstSight<'_> {
        let expires_at = DateTime::<Utc>::from(expires_at);
        Box::pin(async move {
            self.database
                .run(move |connection| Box::pin(record(connection, id, expires_at)))
                .await
                .map_err(|error| SeenProofsError(error.to_string()))
        })
    }
}

/// Inserts `id`, or takes over a row whose proof has expired; whether it was new.
async fn record(
    connection: &mut PgConnection,
    id: ProofId,
    expires_at: DateTime<Utc>,
) -> Result<bool, sqlx::Error> {
    let done = sqlx::query!(
        r#"INSERT INTO dpop_seen_proofs (id, expires_at) VALUES ($1, $2)
           ON CONFLICT (id) DO UPDATE SET expires_at = EXCLUDED.expires_at
           WHERE dpop_seen_proofs.expires_at < now()"#,
        &id.0[..],
        expires_at,
    )
    .execute(connection)
    .await?;
    Ok(done.rows_affected() == 1)
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
