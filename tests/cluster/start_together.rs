//! Three instances started at the same moment on an empty database.

use crate::helpers::{TestDatabase, TestIssuer};
use crate::{instance_env, start_instances};

/// How many migrations the repository holds.
fn migrations() -> i64 {
    std::fs::read_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/migrations"))
        .unwrap()
        .filter(|entry| {
            entry
                .as_ref()
                .is_ok_and(|e| e.file_name().to_string_lossy().ends_with(".up.sql"))
        })
        .count() as i64
}

/// All three come up and the migrations are applied once (sqlx's advisory lock makes
/// the others wait, then find them applied); then one new subject reaching all three at
/// once gives one user row.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn three_instances_started_together_migrate_once_and_map_a_subject_to_one_row() {
    let issuer = TestIssuer::start().await;
    let database = TestDatabase::create().await;
    let vars = instance_env(&issuer, &database, &[("HTTP_WORKERS", "1")]);
    let (_, services) = start_instances(&vars, 3).await;
    for service in &services {
        service.wait_until_ready().await;
    }

    let pool = sqlx::PgPool::connect(&database.url).await.unwrap();
    let (applied, succeeded): (i64, i64) =
        sqlx::query_as("SELECT count(*), count(*) FILTER (WHERE success) FROM _sqlx_migrations")
            .fetch_one(&pool)
            .await
            .unwrap();
    assert_eq!((applied, succeeded), (migrations(), migrations()));
    let seeded: i64 = sqlx::query_scalar("SELECT count(*) FROM users")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(seeded, 1, "the seed migration ran once");

    let token = issuer.token("auth0|everywhere");
    let http = reqwest::Client::new();
    let requests = services.iter().flat_map(|service| {
        (0..10).map(|_| {
            http.get(format!("http://{}/api/private", service.address))
                .bearer_auth(&token)
                .send()
        })
    });
    for response in futures_util::future::join_all(requests).await {
        assert_eq!(response.unwrap().status(), 200);
    }
    let rows: i64 = sqlx::query_scalar("SELECT count(*) FROM users WHERE sub = 'auth0|everywhere'")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(rows, 1);
}
