//! Prometheus metrics, served on a listener of their own (`METRICS_ADDR`, off by default;
//! never the public port). The layers record through the `metrics` facade; without
//! `METRICS_ADDR` no recorder is installed and recording costs next to nothing.

use std::sync::OnceLock;

use actix_web::{web, HttpResponse};
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};

use actix_auth0::Authenticator;

use crate::database::Database;
use crate::users::UserDirectory;

/// Request latency buckets, in seconds: sub-millisecond answers up to the 8 s deadline.
const LATENCY_BUCKETS: [f64; 14] = [
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];

static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();
/// How often histogram samples are folded into buckets (and memory released).
const UPKEEP_INTERVAL: std::time::Duration = std::time::Duration::from_secs(5);

/// The process's recorder, installed on first call (apps sharing a test process share it).
pub fn install() -> PrometheusHandle {
    HANDLE
        .get_or_init(|| {
            let builder = PrometheusBuilder::new();
            // Only an empty bucket list is refused, and this one is a constant.
            let builder = builder
                .set_buckets_for_metric(
                    Matcher::Full("http_request_duration_seconds".into()),
                    &LATENCY_BUCKETS,
                )
                .unwrap_or_else(|_| PrometheusBuilder::new());
            let recorder = builder.build_recorder();
            let handle = recorder.handle();
            // Histogram samples pile up until upkeep folds them into their buckets.
            let upkeep = handle.clone();
            let spawned = std::thread::Builder::new()
                .name("metrics-upkeep".into())
                .spawn(move || loop {
                    std::thread::sleep(UPKEEP_INTERVAL);
                    upkeep.run_upkeep();
                });
            if let Err(error) = spawned {
                tracing::warn!(%error, "cannot start the metrics upkeep thread");
            }
            if metrics::set_global_recorder(recorder).is_err() {
                tracing::warn!("another metrics recorder was installed first");
            }
            handle
        })
        .clone()
}

/// Whether metrics are recorded: callers skip building per-request labels otherwise.
pub fn enabled() -> bool {
    HANDLE.get().is_some()
}

/// `GET /metrics`: the pool's and caches' figures (sizes, hits and misses) are read now,
/// off the request path, then everything is rendered.
pub async fn scrape(
    handle: web::Data<PrometheusHandle>,
    database: web::Data<Database>,
    authenticator: web::Data<Authenticator>,
    users: web::Data<UserDirectory>,
) -> HttpResponse {
    let pool = database.pool_status();
    metrics::gauge!("db_pool_connections").set(pool.open as f64);
    metrics::gauge!("db_pool_idle_connections").set(pool.idle as f64);
    metrics::gauge!("db_pool_waiting_requests").set(pool.waiting as f64);
    let tokens = authenticator.cached_tokens().await;
    metrics::gauge!("token_cache_entries").set(tokens as f64);
    metrics::gauge!("user_cache_entries").set(users.cached_users().await as f64);
    for (name, stats) in [
        (
            "token_cache_requests_total",
            authenticator.token_cache_stats(),
        ),
        ("user_cache_requests_total", users.cache_stats()),
    ] {
        metrics::counter!(name, "result" => "hit").absolute(stats.hits);
        metrics::counter!(name, "result" => "miss").absolute(stats.misses);
    }
    HttpResponse::Ok()
        .content_type("text/plain; version=0.0.4")
        .body(handle.render())
}
