//! todo-api: the Django REST Framework + Auth0 tutorial's todo API, as an actix-web service.

pub mod auth;
pub mod configuration;
pub mod database;
pub mod dev_issuer;
pub mod domain;
pub mod error;
pub mod extract;
#[cfg(test)]
mod fuzz;
pub mod openapi;
pub mod routes;
pub mod startup;
pub mod telemetry;
