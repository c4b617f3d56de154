//! Several instances of the real binary on one database: started together, restarted
//! one by one behind HAProxy under load, and hearing about user changes from each other.
//! A test target of its own, so its load does not share the machine with `tests/api`.

mod balancer;
// The black-box tests' fixtures (issuer, databases, the binary, a TCP proxy).
#[allow(dead_code)]
#[path = "../api/helpers.rs"]
mod helpers;
mod rolling_restart;
mod start_together;
mod user_changes;

use helpers::{base_env, free_port, Service, TestDatabase, TestIssuer};

/// The environment of one instance, as a list for [`Service::start_on`].
fn instance_env(
    issuer: &TestIssuer,
    database: &TestDatabase,
    extra: &[(&str, &str)],
) -> Vec<(String, String)> {
    let mut vars = base_env(issuer, &database.url);
    for (name, value) in extra {
        vars.insert(name.to_string(), value.to_string());
    }
    vars.into_iter().collect()
}

/// `count` instances with `vars` on ports of their own, started at the same moment.
async fn start_instances(vars: &[(String, String)], count: usize) -> (Vec<u16>, Vec<Service>) {
    let ports: Vec<u16> = (0..count).map(|_| free_port()).collect();
    let services =
        futures_util::future::join_all(ports.iter().map(|&port| Service::start_on(vars, port)))
            .await;
    (ports, services)
}
