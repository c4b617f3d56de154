//! Protected by default: every request is authenticated unless its route was registered
//! through [`PublicRoutes::route`].

use std::collections::HashMap;

use actix_web::body::{EitherBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{self, HeaderValue};
use actix_web::http::Method;
use actix_web::middleware::Next;
use actix_web::web::{self, ServiceConfig};
use actix_web::{Error, HttpMessage, Resource, Route};

use crate::extractor::VerifiedClaims;
use crate::{
    AuthError, Authenticated, Authenticator, Principal, Refused, ResolvePrincipal, DPOP_NONCE,
};

/// The routes that need no token. Built while registering routes, then handed to the
/// middleware as app data (`web::Data<PublicRoutes>`).
///
/// Exactly the registered (method, resource) pairs are exempt: another method at a
/// public path, or another resource whose pattern also matches a public path (such as
/// `/health/{tail}*`), stays protected. The middleware asks actix-web's own resource map
/// which resource a request's path reaches, so a public resource inside a
/// `web::scope` is recognised with its prefix. Public resources are recognised by the
/// name this type gives them: renaming one makes it protected, never the other way
/// round. Resource guards are not consulted, so do not put a public resource in front
/// of a protected one at the same path that only a guard tells apart.
#[derive(Default)]
pub struct PublicRoutes {
    /// The exempt methods of each public resource, by the resource's name.
    methods: HashMap<String, Vec<Method>>,
}

impl PublicRoutes {
    /// Registers `route` for `method` at `path` and exempts that pair from authentication.
    pub fn route(&mut self, cfg: &mut ServiceConfig, method: Method, path: &str, route: Route) {
        let route = route.method(method.clone());
        cfg.service(self.resource(path, [method]).route(route));
    }

    /// A resource at `path` whose `methods` need no token, for routes of more than one
    /// method; register it with `cfg.service(...)` (inside a scope if you like). Routes
    /// of other methods added to it stay protected.
    pub fn resource(&mut self, path: &str, methods: impl IntoIterator<Item = Method>) -> Resource {
        let name = format!("actix-auth0/public/{}", self.methods.len());
        self.methods
            .insert(name.clone(), methods.into_iter().collect());
        web::resource(path).name(&name)
    }

    /// Whether `req` reaches a public resource with one of its public methods.
    fn exempts(&self, req: &ServiceRequest) -> bool {
        req.resource_map()
            .match_name(req.match_info().as_str())
            .and_then(|name| self.methods.get(name))
            .is_some_and(|methods| methods.contains(req.method()))
    }
}

/// App-wide middleware (`App::wrap(from_fn(require_authentication::<R>))`): authenticates
/// every request to a non-public path with the app's `web::Data<Authenticator>`, turns
/// the claims into a principal with its `web::Data<R>`, and stores the
/// [`Principal`] in the request. Failures are answered here as responses (not errors) so
/// outer middleware, such as CORS, still decorates them. Without an authenticator or a
/// resolver in the app data, every protected request fails closed with 500.
pub async fn require_authentication<R: ResolvePrincipal>(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<EitherBody<impl MessageBody>>, Error> {
    let public = req
        .app_data::<web::Data<PublicRoutes>>()
        .is_some_and(|public| public.exempts(&req));
    if public {
        return next
            .call(req)
            .await
            .map(ServiceResponse::map_into_left_body);
    }
    let (Some(authenticator), Some(resolver)) = (
        req.app_data::<web::Data<Authenticator>>().cloned(),
        req.app_data::<web::Data<R>>().cloned(),
    ) else {
        return Ok(private(
            req.error_response(actix_web::error::ErrorInternalServerError(
                "authentication is not configured",
            )),
        )
        .map_into_right_body());
    };
    let refuse = |req: ServiceRequest, error: AuthError, scheme| {
        let response = authenticator.refuse(&error, scheme);
        private(req.into_response(response)).map_into_right_body()
    };
    let authenticated = match authenticator.authenticate(req.request()).await {
        Ok(authenticated) => authenticated,
        Err(Refused { error, scheme }) => return Ok(refuse(req, error.counted(), scheme)),
    };
    let Authenticated {
        claims,
        scheme,
        fresh_nonce,
    } = authenticated;
    match resolver.resolve(&claims).await {
        Ok(principal) => {
            req.extensions_mut().insert(Principal(principal));
            req.extensions_mut()
                .insert(VerifiedClaims { claims, scheme });
            let mut response = next.call(req).await?;
            if let Some(nonce) = fresh_nonce.and_then(|nonce| HeaderValue::from_str(&nonce).ok()) {
                response.headers_mut().insert(DPOP_NONCE, nonce);
            }
            Ok(private(response).map_into_left_body())
        }
        Err(err) => match R::as_auth_error(&err) {
            Some(error) => Ok(refuse(req, error, Some(scheme))),
            None => Ok(private(req.error_response(err)).map_into_right_body()),
        },
    }
}

/// Answers about a protected resource are per-user: no shared cache may keep them.
fn private<B>(mut response: ServiceResponse<B>) -> ServiceResponse<B> {
    response.headers_mut().insert(
        header::CACHE_CONTROL,
        header::HeaderValue::from_static("no-store"),
    );
    response
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use actix_web::middleware::from_fn;
    use actix_web::{test, App, HttpResponse};

    use super::*;
    use crate::{AuthSettings, Claims};
    use env_settings::Env;

    /// Never reached by the requests below: each is decided before a principal is needed.
    struct Unreachable;

    impl ResolvePrincipal for Unreachable {
        type Principal = ();
        type Error = AuthError;

        async fn resolve(&self, _: &Arc<Claims>) -> Result<(), AuthError> {
            unreachable!("no request here carries a valid token")
        }
    }

    /// The app of `routes` behind the middleware, with an authenticator that refuses
    /// every token (nothing here carries a valid one).
    fn app(
        routes: impl FnOnce(&mut ServiceConfig, &mut PublicRoutes),
    ) -> App<
        impl actix_web::dev::ServiceFactory<
            ServiceRequest,
            Config = (),
            Response = ServiceResponse<impl MessageBody>,
            Error = Error,
            InitError = (),
        >,
    > {
        let env = Env::from_fn(|name| match name {
            "AUTH0_ISSUER" => Some("http://127.0.0.1:9/".into()),
            "AUTH0_AUDIENCE" => Some("https://api".into()),
            _ => None,
        });
        let settings = AuthSettings::from_env(&env).unwrap();
        let authenticator = web::Data::new(Authenticator::new(&settings).unwrap());
        let mut public = PublicRoutes::default();
        let app = App::new()
            .app_data(authenticator)
            .app_data(web::Data::new(Unreachable))
            .configure(|cfg| routes(cfg, &mut public));
        app.app_data(web::Data::new(public))
            .wrap(from_fn(require_authentication::<Unreachable>))
    }

    /// The status of an unauthenticated `method path`.
    macro_rules! status_of {
        ($app:expr, $method:expr, $path:expr) => {{
            let request = test::TestRequest::default()
                .method($method)
                .uri($path)
                .to_request();
            test::call_service(&$app, request).await.status().as_u16()
        }};
    }

    #[actix_web::test]
    async fn a_route_registered_without_marking_is_protected() {
        let app = test::init_service(app(|cfg, public| {
            public.route(cfg, Method::GET, "/open/{name}", web::to(HttpResponse::Ok));
            // A handler that takes no extractor: only the middleware can protect it.
            cfg.route("/unmarked", web::get().to(HttpResponse::Ok));
        }))
        .await;

        assert_eq!(status_of!(app, Method::GET, "/unmarked"), 401);
        let garbage = test::TestRequest::get()
            .uri("/unmarked")
            .insert_header(("Authorization", "Bearer not.a.token"))
            .to_request();
        assert_eq!(test::call_service(&app, garbage).await.status(), 401);
        let open = test::TestRequest::get()
            .uri("/open/anything")
            .insert_header(("Authorization", "Bearer garbage!"))
            .to_request();
        assert_eq!(test::call_service(&app, open).await.status(), 200);
    }

    #[actix_web::test]
    async fn another_method_at_a_public_path_is_protected() {
        let app = test::init_service(app(|cfg, public| {
            // One resource with a public GET and a protected DELETE, and a POST handler
            // added later at the same path.
            cfg.service(
                public
                    .resource("/health", [Method::GET])
                    .route(web::get().to(HttpResponse::Ok))
                    .route(web::delete().to(HttpResponse::Ok)),
            );
            cfg.route("/health", web::post().to(HttpResponse::Ok));
        }))
        .await;

        assert_eq!(status_of!(app, Method::GET, "/health"), 200);
        for method in [Method::DELETE, Method::POST, Method::PUT, Method::HEAD] {
            assert_eq!(status_of!(app, method.clone(), "/health"), 401, "{method}");
        }
    }

    #[actix_web::test]
    async fn a_public_route_inside_a_scope_is_public() {
        let app = test::init_service(app(|cfg, public| {
            cfg.service(
                web::scope("/api")
                    .service(
                        public
                            .resource("/public", [Method::GET])
                            .route(web::get().to(HttpResponse::Ok)),
                    )
                    .route("/private", web::get().to(HttpResponse::Ok)),
            );
        }))
        .await;

        assert_eq!(status_of!(app, Method::GET, "/api/public"), 200);
        assert_eq!(status_of!(app, Method::GET, "/api/private"), 401);
        // The scope's pattern alone is not the public resource.
        assert_eq!(status_of!(app, Method::GET, "/public"), 401);
    }

    #[actix_web::test]
    async fn a_protected_route_sharing_a_public_routes_prefix_stays_protected() {
        let app = test::init_service(app(|cfg, public| {
            // Registered first, so the router sends /files/admin here, not to the
            // public pattern below that also matches it.
            cfg.route("/files/admin", web::get().to(HttpResponse::Ok));
            public.route(
                cfg,
                Method::GET,
                "/files/{tail}*",
                web::to(HttpResponse::Ok),
            );
            public.route(cfg, Method::GET, "/open", web::to(HttpResponse::Ok));
            cfg.route("/open/{tail}*", web::get().to(HttpResponse::Ok));
            cfg.route("/open-door", web::get().to(HttpResponse::Ok));
        }))
        .await;

        for path in ["/open", "/files/readme", "/files/a/b"] {
            assert_eq!(status_of!(app, Method::GET, path), 200, "{path}");
        }
        for path in [
            "/files/admin",
            "/open/",
            "/open/anything",
            "/open/a/b",
            "/open-door",
        ] {
            assert_eq!(status_of!(app, Method::GET, path), 401, "{path}");
        }
    }
}
