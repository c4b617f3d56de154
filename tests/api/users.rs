//! Mapping tokens to rows in `users`.

use std::time::Duration;

use serde_json::{json, Value};

use crate::helpers::*;

async fn me(app: &TestApp, token: &str) -> (u16, Value) {
    status_and_json(app.get_as("/api/me", token).send().await.unwrap()).await
}

#[tokio::test]
async fn the_first_token_for_a_subject_creates_its_user() {
    let app = spawn_app().await;
    let token = app.issuer.token("auth0|abc123");
    let (status, body) = me(&app, &token).await;
    assert_eq!(status, 200);
    assert_eq!(body["username"], "auth0.abc123");
    assert_eq!(body["sub"], "auth0|abc123");
    assert_eq!(body["is_active"], true);
    assert!(body["id"].as_i64().unwrap() > 1);
    assert!(body["date_joined"].is_string() && body["last_login"].is_string());

    let (_, again) = me(&app, &token).await;
    assert_eq!(again["id"], body["id"]);
    let row: (String, Option<String>) =
        sqlx::query_as("SELECT username, sub FROM users WHERE id = $1")
            .bind(body["id"].as_i64().unwrap())
            .fetch_one(&app.db)
            .await
            .unwrap();
    assert_eq!(
        row,
        ("auth0.abc123".to_owned(), Some("auth0|abc123".to_owned()))
    );
    assert_eq!(app.user_count().await, 2);
}

async fn concurrent_first_logins_leave_one_row(cache_ttl: &str) {
    let app = spawn_app_with(&[("USER_CACHE_TTL_SECS", cache_ttl)]).await;
    let token = app.issuer.token("auth0|racer");
    assert_eq!(
        app.get_as("/api/public", &token)
            .send()
            .await
            .unwrap()
            .status(),
        200
    );
    let requests = (0..50).map(|_| app.get_as("/api/me", &token).send());
    let mut ids = Vec::new();
    for response in futures_util::future::join_all(requests).await {
        let (status, body) = status_and_json(response.unwrap()).await;
        assert_eq!(status, 200, "{body}");
        ids.push(body["id"].as_i64().unwrap());
    }
    ids.dedup();
    assert_eq!(ids.len(), 1);
    let rows: i64 = sqlx::query_scalar("SELECT count(*) FROM users WHERE sub = 'auth0|racer'")
        .fetch_one(&app.db)
        .await
        .unwrap();
    assert_eq!(rows, 1);
}

#[tokio::test]
async fn fifty_simultaneous_first_logins_create_one_row() {
    concurrent_first_logins_leave_one_row("60").await;
}

#[tokio::test]
async fn fifty_simultaneous_first_logins_create_one_row_without_the_cache() {
    concurrent_first_logins_leave_one_row("0").await;
}

#[tokio::test]
async fn a_username_taken_by_another_subject_is_refused_not_merged() {
    let app = spawn_app().await;
    let (status, dotted) = me(&app, &app.issuer.token("auth0.x")).await;
    assert_eq!(status, 200);
    assert_eq!(dotted["username"], "auth0.x");

    let (status, body) = me(&app, &app.issuer.token("auth0|x")).await;
    assert_eq!(status, 403);
    assert!(
        body["detail"]
            .as_str()
            .unwrap()
            .contains("belongs to another user"),
        "{body}"
    );
    let subs: Vec<Option<String>> =
        sqlx::query_scalar("SELECT sub FROM users WHERE username = 'auth0.x'")
            .fetch_all(&app.db)
            .await
            .unwrap();
    assert_eq!(subs, [Some("auth0.x".to_owned())]);
}

#[tokio::test]
async fn a_subject_too_long_for_a_username_is_refused() {
    let app = spawn_app().await;
    let (status, body) = me(
        &app,
        &app.issuer.token(&format!("auth0|{}", "a".repeat(150))),
    )
    .await;
    assert_eq!(status, 403);
    assert!(body["detail"].as_str().unwrap().contains("150"), "{body}");
    assert_eq!(app.user_count().await, 1);
}

#[tokio::test]
async fn shared_mapping_maps_every_token_to_auth0user() {
    let app = spawn_app_with(&[("AUTH0_USER_MAPPING", "shared")]).await;
    for sub in ["auth0|alice", "auth0|bob", "client@clients"] {
        let (status, body) = me(&app, &app.issuer.token(sub)).await;
        assert_eq!(status, 200);
        assert_eq!(
            (body["id"].clone(), body["username"].clone()),
            (json!(1), json!("auth0user"))
        );
    }
    assert_eq!(app.user_count().await, 1);
}

/// Signs in as a new user, then deactivates its row; returns the user's token.
/// 401 with RFC 6750's `invalid_token` challenge and the API's inactive-user detail.
async fn assert_refused_as_inactive(response: reqwest::Response) {
    assert!(response.headers()["www-authenticate"]
        .to_str()
        .unwrap()
        .contains("invalid_token"));
    assert_eq!(
        status_and_json(response).await,
        (401, json!({"detail": "User inactive or deleted."}))
    );
}

async fn sign_in_then_deactivate(app: &TestApp) -> String {
    let token = app.issuer.token("auth0|leaver");
    assert_eq!(me(app, &token).await.0, 200);
    sqlx::query("UPDATE users SET is_active = false WHERE sub = 'auth0|leaver'")
        .execute(&app.db)
        .await
        .unwrap();
    token
}

#[tokio::test]
async fn inactive_users_are_refused() {
    let app = spawn_app_with(&[("USER_CACHE_TTL_SECS", "0")]).await;
    let token = sign_in_then_deactivate(&app).await;
    let response = app.get_as("/api/me", &token).send().await.unwrap();
    assert_refused_as_inactive(response).await;
}

#[tokio::test]
async fn a_zero_user_cache_capacity_reads_the_user_every_time() {
    let app = spawn_app_with(&[("USER_CACHE_TTL_SECS", "60"), ("USER_CACHE_CAPACITY", "0")]).await;
    let token = sign_in_then_deactivate(&app).await;
    assert_eq!(me(&app, &token).await.0, 401);
}

/// Waits until the instance at `base` serves users from its cache, which it does once it
/// listens for changes (until then it reads every user from the database): a user
/// deactivated unheard (the trigger off for a moment) is still served.
async fn wait_for_the_user_cache(app: &TestApp, base: &str) {
    let trigger = |on: bool| {
        let sql = if on {
            "ALTER TABLE users ENABLE TRIGGER users_notify_changed"
        } else {
            "ALTER TABLE users DISABLE TRIGGER users_notify_changed"
        };
        sqlx::query(sql).execute(&app.db)
    };
    trigger(false).await.unwrap();
    let mut cached = false;
    for _ in 0..50 {
        let sub = format!("auth0|cache-probe-{}", uuid::Uuid::new_v4().simple());
        let me = || {
            app.client
                .get(format!("{base}/api/me"))
                .bearer_auth(app.issuer.token(&sub))
                .send()
        };
        assert_eq!(me().await.unwrap().status(), 200);
        sqlx::query("UPDATE users SET is_active = false WHERE sub = $1")
            .bind(&sub)
            .execute(&app.db)
            .await
            .unwrap();
        if me().await.unwrap().status() == 200 {
            cached = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    trigger(true).await.unwrap();
    assert!(cached, "{base} never served users from its cache");
}

#[tokio::test]
async fn deactivation_takes_effect_within_the_user_cache_ttl() {
    let app = spawn_app_with(&[("USER_CACHE_TTL_SECS", "2")]).await;
    wait_for_the_user_cache(&app, &app.address).await;
    // Notifications out of the picture: only the TTL can end the cached copy.
    sqlx::query("ALTER TABLE users DISABLE TRIGGER users_notify_changed")
        .execute(&app.db)
        .await
        .unwrap();
    let token = sign_in_then_deactivate(&app).await;
    assert_eq!(
        me(&app, &token).await.0,
        200,
        "unheard, the change waits for the TTL: the cached user is served"
    );
    tokio::time::sleep(Duration::from_millis(2200)).await;
    assert_eq!(me(&app, &token).await.0, 401);
}

#[tokio::test]
async fn last_login_is_refreshed_at_most_every_few_minutes() {
    let app = spawn_app_with(&[("USER_CACHE_TTL_SECS", "0")]).await;
    let token = app.issuer.token("auth0|regular");
    assert_eq!(me(&app, &token).await.0, 200);
    let last_login = || async {
        sqlx::query_scalar::<_, chrono::DateTime<chrono::Utc>>(
            "SELECT last_login FROM users WHERE sub = 'auth0|regular'",
        )
        .fetch_one(&app.db)
        .await
        .unwrap()
    };
    sqlx::query(
        "UPDATE users SET last_login = now() - interval '1 minute' WHERE sub = 'auth0|regular'",
    )
    .execute(&app.db)
    .await
    .unwrap();
    let recent = last_login().await;
    assert_eq!(me(&app, &token).await.0, 200);
    assert_eq!(
        last_login().await,
        recent,
        "no write for a login a minute old"
    );

    sqlx::query(
        "UPDATE users SET last_login = now() - interval '10 minutes' WHERE sub = 'auth0|regular'",
    )
    .execute(&app.db)
    .await
    .unwrap();
    let stale = last_login().await;
    assert_eq!(me(&app, &token).await.0, 200);
    assert!(last_login().await > stale, "refreshed after ten minutes");
}

#[tokio::test]
async fn a_user_deleted_while_cached_is_refused_on_create_and_forgotten() {
    let app = spawn_app().await;
    wait_for_the_user_cache(&app, &app.address).await;
    // Unheard by this instance: its cache still holds the user when the row goes.
    sqlx::query("ALTER TABLE users DISABLE TRIGGER users_notify_changed")
        .execute(&app.db)
        .await
        .unwrap();
    let token = app.issuer.token("auth0|gone");
    let (status, before) = me(&app, &token).await;
    assert_eq!(status, 200);
    sqlx::query("DELETE FROM users WHERE sub = 'auth0|gone'")
        .execute(&app.db)
        .await
        .unwrap();

    let response = app
        .request(reqwest::Method::POST, "/api/task/", &token)
        .json(&json!({"title": "Orphan", "content": "no owner"}))
        .send()
        .await
        .unwrap();
    assert_refused_as_inactive(response).await;
    // The cached copy was dropped: the subject's next request maps to a new row.
    let (status, after) = me(&app, &token).await;
    assert_eq!(status, 200);
    assert_ne!(after["id"], before["id"]);
}

/// Sends `GET /api/me` to `base` back to back until `stop`; each request's send time and status.
async fn keep_asking(
    client: reqwest::Client,
    base: String,
    token: String,
    stop: std::sync::Arc<std::sync::atomic::AtomicBool>,
) -> Vec<(std::time::Instant, u16)> {
    let mut answers = Vec::new();
    while !stop.load(std::sync::atomic::Ordering::SeqCst) {
        let sent = std::time::Instant::now();
        let response = client
            .get(format!("{base}/api/me"))
            .bearer_auth(&token)
            .send()
            .await
            .unwrap();
        answers.push((sent, response.status().as_u16()));
    }
    answers
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_deactivation_committed_while_the_user_is_being_loaded_is_never_lost() {
    let app = spawn_app().await;
    let other = app.another_instance(&[]).await;
    for base in [&app.address, &other] {
        wait_for_the_user_cache(&app, base).await;
    }
    // Never loaded by either instance, and last seen long ago: her next load rewrites
    // last_login, which waits on the operator's row lock below.
    sqlx::query(
        "INSERT INTO users (username, sub, last_login) VALUES ('auth0.racer', 'auth0|racer', now() - interval '1 hour')",
    )
    .execute(&app.db)
    .await
    .unwrap();
    let token = app.issuer.token("auth0|racer");

    // An operator in psql: BEGIN; UPDATE ... is_active = false; then COMMIT a second later.
    let mut operator = app.db.begin().await.unwrap();
    sqlx::query("UPDATE users SET is_active = false WHERE sub = 'auth0|racer'")
        .execute(&mut *operator)
        .await
        .unwrap();
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let askers: Vec<_> = [app.address.clone(), other.clone()]
        .into_iter()
        .map(|base| {
            tokio::spawn(keep_asking(
                app.client.clone(),
                base,
                token.clone(),
                stop.clone(),
            ))
        })
        .collect();
    tokio::time::sleep(Duration::from_secs(1)).await;
    operator.commit().await.unwrap();
    let committed = std::time::Instant::now();
    tokio::time::sleep(Duration::from_secs(2)).await;
    stop.store(true, std::sync::atomic::Ordering::SeqCst);

    let grace = Duration::from_millis(300);
    for (instance, asker) in ["this instance", "the other instance"]
        .into_iter()
        .zip(askers)
    {
        let answers = asker.await.unwrap();
        let late: Vec<u16> = answers
            .iter()
            .filter(|(sent, _)| *sent > committed + grace)
            .map(|(_, status)| *status)
            .collect();
        assert!(
            late.len() > 10,
            "{instance}: only {} requests after the commit",
            late.len()
        );
        let served = late.iter().filter(|&&status| status != 401).count();
        assert_eq!(
            served, 0,
            "{instance}: {served} of {} requests sent over {grace:?} after the COMMIT were not refused",
            late.len()
        );
    }
}
