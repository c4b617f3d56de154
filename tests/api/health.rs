use std::time::{Duration, Instant};

use serde_json::json;
use todo_api::database::MIGRATOR;

use crate::helpers::*;

#[tokio::test]
async fn healthz_answers_ok_with_a_request_id() {
    let app = spawn_app().await;
    let response = app.get("/healthz").send().await.unwrap();
    let request_id = response.headers()["x-request-id"]
        .to_str()
        .unwrap()
        .to_owned();
    let parsed = uuid::Uuid::parse_str(&request_id);
    assert_eq!(parsed.map(|id| id.get_version_num()), Ok(4), "{request_id}");
    assert_eq!(
        status_and_json(response).await,
        (200, json!({"status": "ok"}))
    );

    let second = app.get("/healthz").send().await.unwrap();
    assert_ne!(
        second.headers()["x-request-id"].to_str().unwrap(),
        request_id
    );
}

#[tokio::test]
async fn a_callers_request_id_is_echoed_and_a_bad_one_replaced() {
    let app = spawn_app().await;
    let response = app
        .get("/healthz")
        .header("x-request-id", "trace-42.a_b")
        .send()
        .await
        .unwrap();
    assert_eq!(response.headers()["x-request-id"], "trace-42.a_b");
    let response = app
        .get("/healthz")
        .header("x-request-id", "bad id!")
        .send()
        .await
        .unwrap();
    assert_ne!(response.headers()["x-request-id"], "bad id!");
}

#[tokio::test]
async fn readyz_is_ok_while_the_database_answers() {
    let app = spawn_app().await;
    let response = app.get("/readyz").send().await.unwrap();
    assert_eq!(
        status_and_json(response).await,
        (200, json!({"status": "ok"}))
    );
}

#[tokio::test]
async fn readyz_is_503_once_the_database_is_unreachable_for_the_grace_and_requests_get_503() {
    let grace = Duration::from_secs(2);
    let (app, proxy) = spawn_app_behind_proxy(&[
        ("READINESS_DATABASE_GRACE_SECS", "2"),
        ("DATABASE_ACQUIRE_TIMEOUT_SECS", "1"),
    ])
    .await;
    let token = app.issuer.token("auth0|probed");
    assert_eq!(app.status_of_get("/api/task/", &token).await, 200);
    assert_eq!(app.get("/readyz").send().await.unwrap().status(), 200);

    proxy.cut();
    let cut = Instant::now();
    // Requests are refused at once, with a time to come back.
    let response = app.get_as("/api/task/", &token).send().await.unwrap();
    assert_eq!(response.status(), 503);
    assert_eq!(response.headers()["retry-after"], "5");
    // A blip shorter than the grace takes the instance out of no load balancer...
    let status = app.get("/readyz").send().await.unwrap().status();
    if cut.elapsed() < grace - Duration::from_millis(600) {
        assert_eq!(status, 200, "{:?} into the outage", cut.elapsed());
    }
    // ...a longer outage does, within the grace and one probe.
    let response = loop {
        let response = app.get("/readyz").send().await.unwrap();
        if response.status() == 503 || cut.elapsed() > grace + Duration::from_secs(5) {
            break response;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    let took = cut.elapsed();
    assert_eq!(
        status_and_json(response).await,
        (
            503,
            json!({"status": "unavailable", "detail": "database unreachable"})
        ),
        "after {took:?}"
    );
    assert!(
        took >= grace - Duration::from_millis(600),
        "not ready after {took:?}, before the grace of {grace:?}"
    );
    // Liveness needs no database.
    assert_eq!(app.get("/healthz").send().await.unwrap().status(), 200);

    proxy.restore();
    let mut status = 0;
    for _ in 0..40 {
        status = app.get("/readyz").send().await.unwrap().status().as_u16();
        if status == 200 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    assert_eq!(
        status, 200,
        "the same process recovers once the database is back"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn readyz_stays_ok_while_slow_queries_hold_every_pooled_connection() {
    let app = spawn_app_with(&[
        ("DATABASE_MAX_CONNECTIONS", "2"),
        ("READINESS_DATABASE_GRACE_SECS", "1"),
    ])
    .await;
    let token = app.issuer.token("auth0|busy");
    assert_eq!(app.status_of_get("/api/task/", &token).await, 200);

    // Every task list waits on this lock, holding its pooled connection meanwhile.
    let mut locker = app.db.begin().await.unwrap();
    sqlx::query("LOCK TABLE tasks IN ACCESS EXCLUSIVE MODE")
        .execute(&mut *locker)
        .await
        .unwrap();
    let slow: Vec<_> = (0..6)
        .map(|_| tokio::spawn(app.get_as("/api/task/", &token).send()))
        .collect();
    tokio::time::sleep(Duration::from_millis(300)).await;
    for _ in 0..15 {
        let response = app.get("/readyz").send().await.unwrap();
        assert_eq!(
            status_and_json(response).await,
            (200, json!({"status": "ok"})),
            "busy is not unready"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    locker.rollback().await.unwrap();
    for request in slow {
        assert_eq!(request.await.unwrap().unwrap().status(), 200);
    }
}

#[tokio::test]
async fn migrations_build_the_schema_on_an_empty_database_and_seed_auth0user() {
    let app = spawn_app().await;
    let applied: i64 = sqlx::query_scalar("SELECT count(*) FROM _sqlx_migrations WHERE success")
        .fetch_one(&app.db)
        .await
        .unwrap();
    assert_eq!(
        applied as usize,
        MIGRATOR
            .iter()
            .filter(|m| m.migration_type.is_up_migration())
            .count()
    );

    let seeded: (i64, String, Option<String>, bool) =
        sqlx::query_as("SELECT id, username, sub, is_active FROM users")
            .fetch_one(&app.db)
            .await
            .unwrap();
    assert_eq!(seeded, (1, "auth0user".to_owned(), None, true));

    // The id sequence is past the seeded row.
    let next_id: i64 =
        sqlx::query_scalar("INSERT INTO users (username) VALUES ('next') RETURNING id")
            .fetch_one(&app.db)
            .await
            .unwrap();
    assert!(next_id > 1);

    let task_columns: Vec<String> = sqlx::query_scalar(
        "SELECT column_name::text FROM information_schema.columns WHERE table_name = 'tasks' ORDER BY ordinal_position",
    )
    .fetch_all(&app.db)
    .await
    .unwrap();
    assert_eq!(
        task_columns,
        [
            "id",
            "owner_id",
            "title",
            "content",
            "created_on",
            "due_date",
            "created_by",
            "completed"
        ]
    );
}

#[tokio::test]
async fn restarting_against_a_migrated_database_changes_nothing() {
    let database = TestDatabase::create().await;
    let url = database.url.clone();
    let first = spawn_app_on(TestIssuer::start().await, database, &url, &[]).await;
    let before: Vec<(i64, Vec<u8>)> =
        sqlx::query_as("SELECT version, checksum FROM _sqlx_migrations ORDER BY version")
            .fetch_all(&first.db)
            .await
            .unwrap();

    let vars = base_env(&first.issuer, &url);
    let second = todo_api::startup::Application::build(settings_from(&vars)).await;
    assert!(second.is_ok(), "restart failed: {:?}", second.err());

    let after: Vec<(i64, Vec<u8>)> =
        sqlx::query_as("SELECT version, checksum FROM _sqlx_migrations ORDER BY version")
            .fetch_all(&first.db)
            .await
            .unwrap();
    assert_eq!(before, after);
    assert_eq!(first.user_count().await, 1);
}

#[tokio::test]
async fn migrations_can_be_skipped() {
    let app = spawn_app_with(&[("DATABASE_MIGRATE", "false")]).await;
    let tables: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM information_schema.tables WHERE table_schema = 'public'",
    )
    .fetch_one(&app.db)
    .await
    .unwrap();
    assert_eq!(tables, 0);
    assert_eq!(app.get("/healthz").send().await.unwrap().status(), 200);
}

#[tokio::test]
async fn unknown_paths_are_json_404_for_a_valid_token_and_401_without() {
    let app = spawn_app().await;
    let token = app.issuer.token("auth0|someone");
    let response = app.get_as("/no/such/path", &token).send().await.unwrap();
    assert_eq!(response.headers()["content-type"], "application/json");
    assert_eq!(
        status_and_json(response).await,
        (404, json!({"detail": "Not found."}))
    );

    let response = app.get("/no/such/path").send().await.unwrap();
    assert_eq!(response.status(), 401);
}

#[tokio::test]
async fn a_wrong_method_is_a_json_405() {
    let app = spawn_app().await;
    let token = app.issuer.token("auth0|someone");
    let response = app
        .request(reqwest::Method::DELETE, "/api/task/", &token)
        .send()
        .await
        .unwrap();
    assert_eq!(
        status_and_json(response).await,
        (405, json!({"detail": "Method \"DELETE\" not allowed."}))
    );
}

#[tokio::test]
async fn a_method_a_known_path_lacks_is_405_with_allow() {
    let app = spawn_app().await;
    let token = app.issuer.token("auth0|someone");
    let cases = [
        ("TRACE", "/healthz", "GET"),
        ("OPTIONS", "/readyz", "GET"),
        ("POST", "/openapi.json", "GET"),
        ("TRACE", "/api/public", "GET"),
        ("TRACE", "/api/me", "GET"),
        ("OPTIONS", "/api/private-scoped", "GET"),
        ("PUT", "/api/task/", "GET, POST"),
        ("TRACE", "/api/task", "GET, POST"),
        ("POST", "/api/task/7/", "GET, PUT, PATCH, DELETE"),
        ("OPTIONS", "/api/task/7", "GET, PUT, PATCH, DELETE"),
    ];
    for (method, path, allow) in cases {
        let method = reqwest::Method::from_bytes(method.as_bytes()).unwrap();
        let response = app
            .request(method.clone(), path, &token)
            .send()
            .await
            .unwrap();
        assert_eq!(response.headers()["allow"], allow, "{method} {path}");
        assert_eq!(
            status_and_json(response).await,
            (
                405,
                json!({"detail": format!("Method \"{method}\" not allowed.")})
            ),
            "{method} {path}"
        );
    }
    // A CORS preflight is still answered by CORS, before routing.
    let preflight = app
        .client
        .request(reqwest::Method::OPTIONS, app.url("/api/task/"))
        .header("Origin", "http://localhost:4200")
        .header("Access-Control-Request-Method", "POST")
        .send()
        .await
        .unwrap();
    assert_eq!(preflight.status(), 200);
    assert_eq!(
        preflight.headers()["access-control-allow-origin"],
        "http://localhost:4200"
    );
}
