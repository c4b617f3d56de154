//! Three instances behind HAProxy, restarted one after another under ~200 clients.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use serde_json::{json, Value};

use crate::balancer::Balancer;
use crate::helpers::{Service, TestDatabase, TestIssuer};
use crate::{instance_env, start_instances};

const CLIENTS: usize = 200;

/// What one client saw: the ids of the tasks it created and every failure.
#[derive(Default)]
struct ClientReport {
    created: Vec<i64>,
    failures: Vec<String>,
}

/// Creates tasks (and now and then lists them) through `base` until `stop`.
async fn client(
    http: reqwest::Client,
    base: String,
    token: String,
    stop: Arc<AtomicBool>,
) -> ClientReport {
    let mut report = ClientReport::default();
    let mut n = 0u32;
    while !stop.load(Ordering::Relaxed) {
        n += 1;
        let outcome = if n % 4 == 0 {
            http.get(format!("{base}/api/task/?limit=5"))
                .bearer_auth(&token)
                .send()
                .await
                .map(|response| (response.status().as_u16(), None))
        } else {
            match http
                .post(format!("{base}/api/task/"))
                .bearer_auth(&token)
                .json(&json!({ "title": format!("Task {n}"), "content": "rolling" }))
                .send()
                .await
            {
                Ok(response) => {
                    let status = response.status().as_u16();
                    let id = response
                        .json::<Value>()
                        .await
                        .ok()
                        .and_then(|body| body["id"].as_i64());
                    Ok((status, id))
                }
                Err(error) => Err(error),
            }
        };
        match outcome {
            Ok((200, None)) => {}
            Ok((201, Some(id))) => report.created.push(id),
            Ok((status, _)) => report.failures.push(format!("status {status}")),
            Err(error) => report.failures.push(format!("{error:?}")),
        }
    }
    report
}

/// SIGTERM one instance, wait for its exit, start it again on its port, wait until
/// `/readyz` answers, then the next; all the while 200 clients create and list tasks
/// through HAProxy. No request fails, and every task answered 201 is in the database,
/// once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rolling_restart_behind_haproxy_fails_no_request_and_loses_no_write() {
    let issuer = TestIssuer::start().await;
    let database = TestDatabase::create().await;
    let vars = instance_env(
        &issuer,
        &database,
        &[("SHUTDOWN_DRAIN_SECS", "2"), ("HTTP_WORKERS", "1")],
    );
    let (ports, services) = start_instances(&vars, 3).await;
    let mut services: Vec<Option<Service>> = services.into_iter().map(Some).collect();
    let balancer = Balancer::start([ports[0], ports[1], ports[2]]).await;

    let http = reqwest::Client::builder()
        .timeout(Duration::from_secs(20))
        .pool_max_idle_per_host(CLIENTS)
        .build()
        .unwrap();
    let stop = Arc::new(AtomicBool::new(false));
    let base = format!("http://{}", balancer.address);
    let clients: Vec<_> = (0..CLIENTS)
        .map(|n| {
            // Twenty users, ten clients each.
            let token = issuer.token(&format!("auth0|rolling-{}", n % 20));
            tokio::spawn(client(http.clone(), base.clone(), token, Arc::clone(&stop)))
        })
        .collect();

    tokio::time::sleep(Duration::from_secs(2)).await;
    for (slot, &port) in services.iter_mut().zip(&ports) {
        let service = slot.take().unwrap();
        service.terminate();
        let (code, logs) = service.wait().await;
        assert_eq!(code, Some(0), "{logs}");
        let restarted = Service::start_on(&vars, port).await;
        restarted.wait_until_ready().await;
        *slot = Some(restarted);
    }
    tokio::time::sleep(Duration::from_secs(2)).await;
    stop.store(true, Ordering::Relaxed);

    let mut created = Vec::new();
    let mut failures = Vec::new();
    for report in futures_util::future::join_all(clients).await {
        let report = report.unwrap();
        created.extend(report.created);
        failures.extend(report.failures);
    }
    assert!(
        failures.is_empty(),
        "{} failed requests (of {} tasks created), e.g. {:?}",
        failures.len(),
        created.len(),
        &failures[..failures.len().min(5)]
    );
    assert!(
        created.len() > 500,
        "only {} tasks created: hardly a load",
        created.len()
    );

    let pool = sqlx::PgPool::connect(&database.url).await.unwrap();
    let stored: Vec<i64> = sqlx::query_scalar("SELECT id FROM tasks ORDER BY id")
        .fetch_all(&pool)
        .await
        .unwrap();
    created.sort_unstable();
    assert_eq!(
        stored.len(),
        created.len(),
        "no task lost, none written twice"
    );
    assert_eq!(stored, created);
    drop(balancer);
}
