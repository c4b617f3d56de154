//! The OpenAPI 3 document, assembled from the handlers' annotations (`GET /openapi.json`).
//! The routes know nothing of it: it reads them, never the other way round.

use actix_auth0::PublicRoutes;
use actix_web::web::{self, ServiceConfig};
use actix_web::HttpResponse;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

use crate::error::{ErrorDetail, ValidationErrors};
use crate::routes::{self, health::Status, messages::Message, tasks::TaskCreate, tasks::TaskPatch};

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

/// Registers `GET /openapi.json` as a public route.
pub fn configure(cfg: &mut ServiceConfig, public: &mut PublicRoutes) {
    public.route(cfg, "/openapi.json", web::get().to(serve));
}

/// The OpenAPI document of this API.
#[utoipa::path(get, path = "/openapi.json", tag = "service",
    responses((status = 200, description = "OpenAPI 3 document", content_type = "application/json")))]
async fn serve() -> HttpResponse {
    HttpResponse::Ok().json(ApiDoc::openapi())
}
