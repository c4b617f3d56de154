//! The admin commands as an operator runs them: `todo-api migrate`, `check`, `users ...`.
//! Each test runs on two workers: it waits on the binary while the issuer keeps answering.

use std::io::Write;
use std::process::{Output, Stdio};

use serde_json::Value;
use sqlx::{Connection, PgConnection};

use crate::helpers::*;

fn vars(database: &TestDatabase, issuer: &TestIssuer) -> Vec<(String, String)> {
    base_env(issuer, &database.url).into_iter().collect()
}

/// Runs `todo-api ARGS` with `stdin` as its input.
fn run(vars: &[(String, String)], args: &[&str], stdin: &str) -> Output {
    let mut child = command(vars)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(stdin.as_bytes())
        .unwrap();
    child.wait_with_output().unwrap()
}

fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

async fn connect(database: &TestDatabase) -> PgConnection {
    PgConnection::connect(&database.url).await.unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn migrate_applies_the_migrations_and_exits() {
    let (database, issuer) = (TestDatabase::create().await, TestIssuer::start().await);
    let vars = vars(&database, &issuer);
    for _ in 0..2 {
        let output = run(&vars, &["migrate"], "");
        assert_eq!(output.status.code(), Some(0), "{output:?}");
        assert!(
            stdout(&output).contains("migrations are up to date"),
            "{output:?}"
        );
    }
    let users: i64 = sqlx::query_scalar("SELECT count(*) FROM users")
        .fetch_one(&mut connect(&database).await)
        .await
        .unwrap();
    assert_eq!(users, 1, "the seeded auth0user, once");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn check_names_each_problem_on_a_line_of_its_own() {
    let (database, issuer) = (TestDatabase::create().await, TestIssuer::start().await);
    let vars = vars(&database, &issuer);
    issuer.set_behaviour(JwksBehaviour::Fail);
    let output = run(&vars, &["check"], "");
    assert_eq!(output.status.code(), Some(1), "{output:?}");
    let report = stdout(&output);
    let problems: Vec<&str> = report
        .lines()
        .filter(|l| l.starts_with("problem: "))
        .collect();
    assert_eq!(problems.len(), 2, "{report}");
    assert!(
        problems[0].contains("migrations not applied") && problems[0].contains("todo-api migrate")
    );
    assert!(problems[1].starts_with("problem: JWKS at "), "{report}");

    assert_eq!(run(&vars, &["migrate"], "").status.code(), Some(0));
    issuer.set_behaviour(JwksBehaviour::Serve);
    let output = run(&vars, &["check"], "");
    assert_eq!(output.status.code(), Some(0), "{output:?}");
    let report = stdout(&output);
    assert_eq!(
        report.lines().filter(|l| l.starts_with("ok: ")).count(),
        3,
        "{report}"
    );
    assert!(report.contains("1 signing key(s)"), "{report}");
    // The test issuer is plain http on loopback: it must not go unnoticed.
    let warning = format!(
        "warning: issuer: development issuer {} (plain http)",
        issuer.base_url
    );
    assert!(report.contains(&warning), "{report}");

    let mut broken = vars.clone();
    broken.retain(|(name, _)| name != "AUTH0_AUDIENCE");
    let output = run(&broken, &["check"], "");
    assert_eq!(output.status.code(), Some(1));
    assert!(
        stdout(&output).contains("problem: configuration: AUTH0_AUDIENCE"),
        "{output:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn users_are_listed_shown_deactivated_activated_and_deleted_with_their_tasks() {
    let (database, issuer) = (TestDatabase::create().await, TestIssuer::start().await);
    let vars = vars(&database, &issuer);
    assert_eq!(run(&vars, &["migrate"], "").status.code(), Some(0));
    let mut db = connect(&database).await;
    sqlx::query(
        "INSERT INTO users (username, sub) VALUES ('auth0.alice', 'auth0|alice'), ('auth0.bob', 'auth0|bob')",
    )
    .execute(&mut db)
    .await
    .unwrap();
    sqlx::query(
        "INSERT INTO tasks (owner_id, title, content, created_by)
         SELECT id, 't', 'c', sub FROM users, generate_series(1, 3) WHERE username = 'auth0.alice'",
    )
    .execute(&mut db)
    .await
    .unwrap();

    let table = stdout(&run(&vars, &["users", "list"], ""));
    let lines: Vec<&str> = table.lines().collect();
    assert!(
        lines[0].starts_with("ID") && lines[0].contains("USERNAME"),
        "{table}"
    );
    assert!(lines
        .iter()
        .any(|l| l.contains("auth0.alice") && l.contains("auth0|alice")));
    let listed: Value =
        serde_json::from_str(&stdout(&run(&vars, &["users", "list", "--json"], ""))).unwrap();
    let names: Vec<&str> = listed
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["username"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["auth0user", "auth0.alice", "auth0.bob"]);
    let shown: Value = serde_json::from_str(&stdout(&run(
        &vars,
        &["users", "show", "auth0|alice", "--json"],
        "",
    )))
    .unwrap();
    assert_eq!(
        (&shown["username"], &shown["tasks"]),
        (&Value::from("auth0.alice"), &Value::from(3))
    );

    let is_active = |name: &'static str| {
        let url = database.url.clone();
        async move {
            let mut db = PgConnection::connect(&url).await.unwrap();
            sqlx::query_scalar::<_, bool>("SELECT is_active FROM users WHERE username = $1")
                .bind(name)
                .fetch_optional(&mut db)
                .await
                .unwrap()
        }
    };
    assert_eq!(
        run(&vars, &["users", "deactivate", "auth0.bob"], "")
            .status
            .code(),
        Some(0)
    );
    assert_eq!(is_active("auth0.bob").await, Some(false));
    assert_eq!(
        run(&vars, &["users", "activate", "auth0|bob"], "")
            .status
            .code(),
        Some(0)
    );
    assert_eq!(is_active("auth0.bob").await, Some(true));

    let refused = run(&vars, &["users", "delete", "auth0.alice"], "no\n");
    assert_eq!(refused.status.code(), Some(1));
    assert!(
        String::from_utf8_lossy(&refused.stderr).contains("not confirmed"),
        "{refused:?}"
    );
    assert_eq!(
        is_active("auth0.alice").await,
        Some(true),
        "nothing deleted"
    );
    let deleted = run(&vars, &["users", "delete", "auth0.alice"], "auth0.alice\n");
    assert_eq!(deleted.status.code(), Some(0), "{deleted:?}");
    assert!(stdout(&deleted).contains("and 3 task(s)"));
    assert_eq!(is_active("auth0.alice").await, None);
    let tasks: i64 = sqlx::query_scalar("SELECT count(*) FROM tasks")
        .fetch_one(&mut db)
        .await
        .unwrap();
    assert_eq!(tasks, 0, "their tasks went with them");
    assert_eq!(
        run(&vars, &["users", "delete", "auth0|bob", "--yes"], "")
            .status
            .code(),
        Some(0)
    );
    assert_eq!(is_active("auth0.bob").await, None);

    let unknown = run(&vars, &["users", "show", "nobody"], "");
    assert_eq!(unknown.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&unknown.stderr)
        .contains("no user has the username or subject \"nobody\""));
}
