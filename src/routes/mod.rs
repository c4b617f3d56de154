//! Route registration, one file per resource.
//!
//! Routes are protected unless registered through [`PublicRoutes::route`].

pub mod health;
pub mod me;
pub mod messages;
pub mod tasks;

use actix_auth0::PublicRoutes;
use actix_web::web::{self, ServiceConfig};

pub fn configure(cfg: &mut ServiceConfig, public: &mut PublicRoutes) {
    public.route(cfg, "/healthz", web::get().to(health::healthz));
    public.route(cfg, "/readyz", web::get().to(health::readyz));
    public.route(cfg, "/api/public", web::get().to(messages::public));

    cfg.route("/api/private", web::get().to(messages::private))
        .route(
            "/api/private-scoped",
            web::get().to(messages::private_scoped),
        )
        .route("/api/me", web::get().to(me::me))
        .service(
            web::resource(["/api/task/", "/api/task"])
                .get(tasks::list)
                .post(tasks::create),
        )
        .service(
            web::resource(["/api/task/{id}/", "/api/task/{id}"])
                .get(tasks::retrieve)
                .put(tasks::update)
                .patch(tasks::partial_update)
                .delete(tasks::destroy),
        );
}
