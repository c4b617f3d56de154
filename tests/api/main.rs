//! Black-box tests: the real application on a random port, a fresh database per test,
//! and a local issuer serving a JWKS on 127.0.0.1.

mod admin;
mod auth;
mod cors;
mod dev_issuer;
mod dev_issuer_dpop;
mod dev_issuer_login;
mod dpop;
mod faults;
mod health;
// Shared with tests/cluster, which uses other parts of it.
#[allow(dead_code)]
mod helpers;
mod hostile;
mod metrics;
mod openapi;
mod process;
mod proofs;
mod tasks;
mod users;
