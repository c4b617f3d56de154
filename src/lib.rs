//! todo-api: the Django REST Framework + Auth0 tutorial's todo API, as an actix-web service.
//!
//! Authentication is the `actix-auth0` crate's; this crate plugs its users into it
//! ([`users::UserDirectory`]) and serves the task resource.

pub mod admin;
pub mod configuration;
pub mod database;
pub mod domain;
pub mod dpop;
pub mod error;
pub mod extract;
pub mod metrics;
pub mod openapi;
pub mod routes;
pub mod startup;
pub mod telemetry;
pub mod users;
