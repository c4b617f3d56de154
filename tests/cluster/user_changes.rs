//! Deactivating or deleting a user reaches every instance through LISTEN/NOTIFY, and an
//! instance that cannot hear reads users from the database until it can again.

use std::time::Duration;

use sqlx::PgPool;

use crate::helpers::{
    command, free_port, server_addr, Service, TcpProxy, TestDatabase, TestIssuer,
};
use crate::instance_env;

/// An instance with its metrics listener, to see whether it is listening.
struct Instance {
    service: Service,
    metrics: String,
}

impl Instance {
    async fn start(vars: &[(String, String)]) -> Self {
        let metrics = format!("127.0.0.1:{}", free_port());
        let mut vars = vars.to_vec();
        vars.push(("METRICS_ADDR".into(), metrics.clone()));
        Self {
            service: Service::start(&vars).await,
            metrics,
        }
    }

    /// `user_changes_listening` from the metrics listener (None before it is set).
    async fn listening(&self) -> Option<bool> {
        let text = reqwest::get(format!("http://{}/metrics", self.metrics))
            .await
            .ok()?
            .text()
            .await
            .ok()?;
        text.lines()
            .find_map(|line| line.strip_prefix("user_changes_listening "))
            .map(|value| value.trim() == "1")
    }

    /// Waits (up to 15 s) until the instance says it is (or is not) listening.
    async fn wait_until_listening(&self, listening: bool) {
        for _ in 0..150 {
            if self.listening().await == Some(listening) {
                return;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!(
            "{} never reported listening = {listening}",
            self.service.address
        );
    }

    async fn status(&self, method: reqwest::Method, path: &str, token: &str) -> u16 {
        reqwest::Client::new()
            .request(method, format!("http://{}{path}", self.service.address))
            .bearer_auth(token)
            .json(&serde_json::json!({ "title": "t", "content": "c" }))
            .send()
            .await
            .unwrap()
            .status()
            .as_u16()
    }

    async fn private(&self, token: &str) -> u16 {
        self.status(reqwest::Method::GET, "/api/private", token)
            .await
    }

    /// The token's user is refused within [`NOTIFICATION_DELAY`] (the user cache's TTL is
    /// 60 s), and stays refused.
    async fn refuses_soon(&self, token: &str) {
        let start = std::time::Instant::now();
        while self.private(token).await != 401 {
            assert!(
                start.elapsed() < NOTIFICATION_DELAY,
                "{} still lets the user in after {NOTIFICATION_DELAY:?}",
                self.service.address
            );
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        assert_eq!(self.private(token).await, 401);
    }
}

/// A notification is asynchronous: it reaches the other instances a moment after the
/// change commits (a few milliseconds here), not before the next request can.
const NOTIFICATION_DELAY: Duration = Duration::from_millis(500);

/// `todo-api users <args>` against `database`; it must succeed.
fn admin(database: &TestDatabase, args: &[&str]) {
    let output = command(&[("DATABASE_URL".into(), database.url.clone())])
        .arg("users")
        .args(args)
        .output()
        .unwrap();
    assert!(output.status.success(), "{output:?}");
}

/// Changes `is_active` without the trigger, so no instance hears of it: what a cached
/// user looks like when nobody says it changed.
async fn set_active_unannounced(pool: &PgPool, sub: &str, active: bool) {
    let mut transaction = pool.begin().await.unwrap();
    for statement in [
        "ALTER TABLE users DISABLE TRIGGER users_notify_changed",
        "UPDATE users SET is_active = $2 WHERE sub = $1",
        "ALTER TABLE users ENABLE TRIGGER users_notify_changed",
    ] {
        sqlx::query(statement)
            .bind(sub)
            .bind(active)
            .execute(&mut *transaction)
            .await
            .unwrap_or_else(|err| panic!("{statement}: {err}"));
    }
    transaction.commit().await.unwrap();
}

/// Two instances cache alice. A change nobody announces goes unseen (the cache is in
/// use); `todo-api users deactivate` is refused at once by both. Deleting bob makes the
/// other instance forget his row, so his next task goes to his new row instead of
/// failing on the deleted one.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deactivating_or_deleting_a_user_takes_effect_on_every_instance_at_once() {
    let issuer = TestIssuer::start().await;
    let database = TestDatabase::create().await;
    let vars = instance_env(&issuer, &database, &[("HTTP_WORKERS", "1")]);
    let (a, b) = (Instance::start(&vars).await, Instance::start(&vars).await);
    a.wait_until_listening(true).await;
    b.wait_until_listening(true).await;
    let pool = PgPool::connect(&database.url).await.unwrap();

    let alice = issuer.token("auth0|alice");
    assert_eq!(
        (a.private(&alice).await, b.private(&alice).await),
        (200, 200)
    );
    set_active_unannounced(&pool, "auth0|alice", false).await;
    assert_eq!(b.private(&alice).await, 200, "served from the cache");
    set_active_unannounced(&pool, "auth0|alice", true).await;

    admin(&database, &["deactivate", "auth0|alice"]);
    b.refuses_soon(&alice).await;
    a.refuses_soon(&alice).await;

    let bob = issuer.token("auth0|bob");
    assert_eq!(
        a.status(reqwest::Method::POST, "/api/task/", &bob).await,
        201
    );
    assert_eq!(
        b.status(reqwest::Method::GET, "/api/task/", &bob).await,
        200
    );
    let old_id: i64 = sqlx::query_scalar("SELECT id FROM users WHERE sub = 'auth0|bob'")
        .fetch_one(&pool)
        .await
        .unwrap();
    admin(&database, &["delete", "auth0|bob", "--yes"]);
    // Until B hears of the deletion its cached row is gone from under it; it hears
    // within milliseconds.
    tokio::time::sleep(NOTIFICATION_DELAY).await;
    assert_eq!(
        b.status(reqwest::Method::POST, "/api/task/", &bob).await,
        201
    );
    let (new_id, tasks): (i64, i64) = sqlx::query_as(
        "SELECT u.id, (SELECT count(*) FROM tasks t WHERE t.owner_id = u.id)
         FROM users u WHERE sub = 'auth0|bob'",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_ne!(new_id, old_id);
    assert_eq!(tasks, 1, "only the task created after the deletion");
}

/// The instance's LISTEN session goes through a proxy that is then cut: it says it is
/// not listening and reads users from the database, so a deactivation it cannot hear of
/// still refuses the user. Once the proxy lets it through again it listens again and
/// serves users from its cache again.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_instance_that_cannot_listen_reads_users_from_the_database_until_it_can() {
    let issuer = TestIssuer::start().await;
    let database = TestDatabase::create().await;
    let proxy = TcpProxy::start(server_addr()).await;
    let listen_url = crate::helpers::via_proxy(&database, &proxy);
    let vars = instance_env(
        &issuer,
        &database,
        &[("HTTP_WORKERS", "1"), ("DATABASE_DIRECT_URL", &listen_url)],
    );
    let instance = Instance::start(&vars).await;
    instance.wait_until_listening(true).await;
    let pool = PgPool::connect(&database.url).await.unwrap();
    let alice = issuer.token("auth0|alice");
    assert_eq!(instance.private(&alice).await, 200);

    proxy.cut();
    instance.wait_until_listening(false).await;
    set_active_unannounced(&pool, "auth0|alice", false).await;
    assert_eq!(
        instance.private(&alice).await,
        401,
        "read from the database"
    );
    set_active_unannounced(&pool, "auth0|alice", true).await;
    assert_eq!(instance.private(&alice).await, 200);

    proxy.restore();
    instance.wait_until_listening(true).await;
    assert_eq!(instance.private(&alice).await, 200);
    set_active_unannounced(&pool, "auth0|alice", false).await;
    assert_eq!(
        instance.private(&alice).await,
        200,
        "served from the cache again"
    );
    set_active_unannounced(&pool, "auth0|alice", true).await;
    admin(&database, &["deactivate", "auth0|alice"]);
    instance.refuses_soon(&alice).await;
}
