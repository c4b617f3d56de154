//! The OpenAPI 3 document, generated from the handlers' annotations (`GET /openapi.json`).

use std::collections::BTreeMap;

use actix_web::HttpResponse;
use chrono::NaiveDate;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi, ToSchema};

use crate::routes;

/// `{"detail": "..."}`: authentication failures, 404, 413, 415, 503.
#[derive(ToSchema)]
pub struct ErrorDetail {
    #[schema(example = "Not found.")]
    pub detail: String,
}

/// `{"message": "..."}`: the quickstart endpoints and a missing scope (403).
#[derive(ToSchema)]
pub struct Message {
    #[schema(example = "You don't have access to this resource")]
    pub message: String,
}

/// One list of messages per invalid field, e.g. `{"title": ["This field is required."]}`.
#[derive(ToSchema)]
#[schema(example = json!({"title": ["Ensure this field has no more than 50 characters."]}))]
pub struct ValidationErrors(pub BTreeMap<String, Vec<String>>);

/// `{"status": "ok"}`, or `{"status": "unavailable", "detail": "database unreachable"}`.
#[derive(ToSchema)]
pub struct Status {
    #[schema(example = "ok")]
    pub status: String,
    pub detail: Option<String>,
}

/// A task to create or replace (POST, PUT). `id` is assigned by the server.
#[derive(ToSchema)]
pub struct TaskCreate {
    /// 1 to 50 characters, stored verbatim.
    #[schema(example = "Workout", min_length = 1, max_length = 50)]
    pub title: String,
    /// 1 to 50 characters, stored verbatim.
    #[schema(example = "Run 5k", min_length = 1, max_length = 50)]
    pub content: String,
    /// Defaults to today (UTC) on create; kept on replace when not sent.
    pub created_on: Option<NaiveDate>,
    /// Defaults to today (UTC) on create; kept on replace when not sent.
    pub due_date: Option<NaiveDate>,
}

/// The fields to change (PATCH); fields not sent keep their values.
#[derive(ToSchema)]
pub struct TaskPatch {
    #[schema(min_length = 1, max_length = 50)]
    pub title: Option<String>,
    #[schema(min_length = 1, max_length = 50)]
    pub content: Option<String>,
    pub created_on: Option<NaiveDate>,
    pub due_date: Option<NaiveDate>,
}

struct BearerJwt;

impl Modify for BearerJwt {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("JWT")
                    .description(Some(
                        "An RS256 access token issued by the configured Auth0 tenant for this API's audience.",
                    ))
                    .build(),
            ),
        );
    }
}

#[derive(OpenApi)]
#[openapi(
    info(
        title = "todo-api",
        description = "A todo API protected by Auth0-issued JWT access tokens. Every path also answers without its trailing slash."
    ),
    paths(
        routes::health::healthz,
        routes::health::readyz,
        routes::messages::public,
        routes::messages::private,
        routes::messages::private_scoped,
        routes::me::me,
        routes::tasks::list,
        routes::tasks::create,
        routes::tasks::retrieve,
        routes::tasks::update,
        routes::tasks::partial_update,
        routes::tasks::destroy,
        serve,
    ),
    components(schemas(ErrorDetail, Message, ValidationErrors, Status, TaskCreate, TaskPatch)),
    modifiers(&BearerJwt),
    tags(
        (name = "tasks", description = "The caller's todo list"),
        (name = "quickstart", description = "Auth0's API quickstart endpoints"),
        (name = "service", description = "Health and documentation"),
    )
)]
pub struct ApiDoc;

/// The OpenAPI document of this API.
#[utoipa::path(get, path = "/openapi.json", tag = "service",
    responses((status = 200, description = "OpenAPI 3 document", content_type = "application/json")))]
pub async fn serve() -> HttpResponse {
    HttpResponse::Ok().json(ApiDoc::openapi())
}
