//! Liveness and readiness probes (public).

use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use actix_web::{web, HttpResponse};
use serde_json::json;
use utoipa::ToSchema;

use crate::database::Database;

/// `{"status": "ok"}`, or `{"status": "unavailable", "detail": "database unreachable"}`.
#[derive(ToSchema)]
pub struct Status {
    #[schema(example = "ok")]
    pub status: String,
    pub detail: Option<String>,
}

/// Whether the instance still takes new work: after SIGTERM it drains, so load balancers
/// see `/readyz` fail and move its traffic elsewhere before it stops.
#[derive(Default)]
pub struct Readiness {
    draining: AtomicBool,
}

impl Readiness {
    pub fn start_draining(&self) {
        self.draining.store(true, Ordering::SeqCst);
    }

    pub fn is_draining(&self) -> bool {
        self.draining.load(Ordering::Relaxed)
    }
}

/// How long readiness waits for the database before declaring it unreachable.
const DATABASE_CHECK_TIMEOUT: Duration = Duration::from_secs(2);

/// `GET /healthz`: the process is up. No I/O.
#[utoipa::path(get, path = "/healthz", tag = "service",
    responses((status = 200, body = Status)))]
pub async fn healthz() -> HttpResponse {
    HttpResponse::Ok().json(json!({ "status": "ok" }))
}

/// `GET /readyz`: the database answers within two seconds, and the instance is not
/// shutting down.
#[utoipa::path(get, path = "/readyz", tag = "service",
    responses((status = 200, body = Status),
              (status = 503, description = "Database unreachable, or shutting down", body = Status)))]
pub async fn readyz(
    database: web::Data<Database>,
    readiness: web::Data<Readiness>,
) -> HttpResponse {
    if readiness.is_draining() {
        return HttpResponse::ServiceUnavailable()
            .json(json!({ "status": "unavailable", "detail": "shutting down" }));
    }
    let check = database.run(|connection| Box::pin(sqlx::query("SELECT 1").execute(connection)));
    match tokio::time::timeout(DATABASE_CHECK_TIMEOUT, check).await {
        Ok(Ok(_)) => HttpResponse::Ok().json(json!({ "status": "ok" })),
        outcome => {
            let reason = match outcome {
                Ok(Err(error)) => error.to_string(),
                _ => "timed out".to_owned(),
            };
            tracing::warn!(%reason, "readiness check failed");
            HttpResponse::ServiceUnavailable()
                .json(json!({ "status": "unavailable", "detail": "database unreachable" }))
        }
    }
}
