//! HAProxy from Debian's package, run with the committed `deploy/haproxy/haproxy.cfg`.

use std::process::{Child, Command, Stdio};
use std::time::Duration;

use crate::helpers::free_port;

const CONFIG: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/deploy/haproxy/haproxy.cfg");

/// A running HAProxy in front of three instances; stopped when dropped.
pub struct Balancer {
    pub address: String,
    child: Child,
}

impl Balancer {
    /// Starts HAProxy on a free loopback port in front of the instances on `ports`, and
    /// waits until it sees every one of them up.
    pub async fn start(ports: [u16; 3]) -> Self {
        let address = format!("127.0.0.1:{}", free_port());
        let binary = ["/usr/sbin/haproxy", "haproxy"]
            .into_iter()
            .find(|binary| Command::new(binary).arg("-v").output().is_ok())
            .expect("haproxy is not installed: scripts/test installs Debian's haproxy package");
        let mut command = Command::new(binary);
        command
            .args(["-f", CONFIG, "-db"])
            .env("TODO_API_LB_BIND", &address)
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        for (n, port) in ports.iter().enumerate() {
            command.env(
                format!("TODO_API_INSTANCE_{}", n + 1),
                format!("127.0.0.1:{port}"),
            );
        }
        let balancer = Self {
            address,
            child: command.spawn().expect("start haproxy"),
        };
        balancer.wait_until_all_up().await;
        balancer
    }

    /// Each instance must answer through the balancer; with `balance leastconn` and
    /// one request at a time, a round of requests reaches them all once they are up.
    async fn wait_until_all_up(&self) {
        let client = reqwest::Client::new();
        for _ in 0..100 {
            let answered = futures_util::future::join_all(
                (0..6).map(|_| client.get(format!("http://{}/readyz", self.address)).send()),
            )
            .await;
            if answered
                .iter()
                .all(|r| r.as_ref().is_ok_and(|r| r.status() == 200))
            {
                // One more check interval, so every server has passed its first check.
                tokio::time::sleep(Duration::from_millis(500)).await;
                return;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("haproxy never served /readyz on {}", self.address);
    }
}

impl Drop for Balancer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
