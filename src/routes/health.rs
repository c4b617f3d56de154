//! Liveness and readiness probes (public).

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use actix_web::{web, HttpResponse};
use serde_json::json;
use utoipa::ToSchema;

use crate::database::probe::Reachability;

/// `{"status": "ok"}`, or `{"status": "unavailable", "detail": "database unreachable"}`.
#[derive(ToSchema)]
pub struct Status {
    #[schema(example = "ok")]
    pub status: String,
    pub detail: Option<String>,
}

/// Whether the instance still takes new work: not after SIGTERM (it drains, so load
/// balancers see `/readyz` fail and move its traffic elsewhere before it stops), and not
/// once the database has been unreachable for longer than `grace`. A busy pool is no
/// reason: the database is asked on a connection of the probe's own.
pub struct Readiness {
    draining: AtomicBool,
    database: Arc<Reachability>,
    grace: Duration,
}

impl Readiness {
    pub fn new(database: Arc<Reachability>, grace: Duration) -> Self {
        Self {
            draining: AtomicBool::new(false),
            database,
            grace,
        }
    }

    pub fn start_draining(&self) {
        self.draining.store(true, Ordering::SeqCst);
    }

    pub fn is_draining(&self) -> bool {
        self.draining.load(Ordering::Relaxed)
    }
}

/// `GET /healthz`: the process is up. No I/O.
#[utoipa::path(get, path = "/healthz", tag = "service",
    responses((status = 200, body = Status)))]
pub async fn healthz() -> HttpResponse {
    HttpResponse::Ok().json(json!({ "status": "ok" }))
}

/// `GET /readyz`: the instance is not shutting down, and the database has answered its
/// probe within `READINESS_DATABASE_GRACE_SECS`. No I/O: it never waits.
#[utoipa::path(get, path = "/readyz", tag = "service",
    responses((status = 200, body = Status),
              (status = 503, description = "Database unreachable for longer than the grace period, or shutting down", body = Status)))]
pub async fn readyz(readiness: web::Data<Readiness>) -> HttpResponse {
    let unavailable = |detail: &str| {
        HttpResponse::ServiceUnavailable()
            .json(json!({ "status": "unavailable", "detail": detail }))
    };
    if readiness.is_draining() {
        return unavailable("shutting down");
    }
    if readiness.database.unanswered_for() > readiness.grace {
        return unavailable("database unreachable");
    }
    HttpResponse::Ok().json(json!({ "status": "ok" }))
}
