//! Builds the HTTP application from [`Settings`].

use std::net::{SocketAddr, TcpListener};
use std::time::Duration;

use actix_auth0::{require_authentication, Authenticator, PublicRoutes};
use actix_cors::Cors;
use actix_web::dev::Server;
use actix_web::http::{header, Method};
use actix_web::middleware::{from_fn, DefaultHeaders};
use actix_web::{web, App, HttpServer};
use sqlx::Connection;

use crate::configuration::{CorsSettings, Settings};
use crate::database::{self, Database};
use crate::error::{json_error_bodies, ApiError};
use crate::users::UserDirectory;
use crate::{metrics, openapi, routes, telemetry};

/// Seconds in-flight requests get to finish after SIGTERM/SIGINT.
const SHUTDOWN_GRACE_SECS: u64 = 30;
/// A client has this long to send its request head.
const CLIENT_REQUEST_TIMEOUT: Duration = Duration::from_secs(5);

#[derive(Debug, thiserror::Error)]
pub enum StartupError {
    #[error("database unreachable: {0}")]
    Database(#[source] sqlx::Error),
    #[error("migrations failed: {0}")]
    Migrations(#[from] sqlx::migrate::MigrateError),
    #[error("cannot listen on {address}: {source}")]
    Bind {
        address: String,
        source: std::io::Error,
    },
    #[error("cannot build the JWKS client: {0}")]
    HttpClient(#[from] reqwest::Error),
}

impl StartupError {
    fn bind(address: SocketAddr) -> impl Fn(std::io::Error) -> Self {
        move |source| Self::Bind {
            address: address.to_string(),
            source,
        }
    }
}

/// A bound, not yet running, server, and its metrics listener when configured.
pub struct Application {
    port: u16,
    server: Server,
    metrics: Option<(u16, Server)>,
}

impl Application {
    /// Connects to the database (retrying for a while), applies migrations unless
    /// disabled, binds the listener (port 0 picks a free one) and prepares the server.
    pub async fn build(settings: Settings) -> Result<Self, StartupError> {
        let mut connection = database::connect_when_reachable(&settings.database)
            .await
            .map_err(StartupError::Database)?;
        if settings.database.migrate {
            database::MIGRATOR.run(&mut connection).await?;
            tracing::info!("database migrations are up to date");
        }
        connection.close().await.map_err(StartupError::Database)?;
        let address = SocketAddr::new(settings.http.host, settings.http.port);
        let (listener, port) = bind(address)?;
        let services = Services::new(&settings)?;
        let metrics = match settings.http.metrics_addr {
            Some(addr) => Some(serve_metrics(addr, services.clone())?),
            None => None,
        };
        let server = serve(listener, &settings, address, services)?;
        tracing::info!(host = %settings.http.host, port, "listening");
        Ok(Self {
            port,
            server,
            metrics,
        })
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// The metrics listener's port, when `METRICS_ADDR` is set.
    pub fn metrics_port(&self) -> Option<u16> {
        self.metrics.as_ref().map(|(port, _)| *port)
    }

    /// Runs until SIGTERM/SIGINT, then lets in-flight requests finish; the metrics
    /// listener stops with the API.
    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        let metrics = self.metrics.map(|(_, server)| {
            let handle = server.handle();
            tokio::spawn(server);
            handle
        });
        let outcome = self.server.await;
        if let Some(metrics) = metrics {
            metrics.stop(true).await;
        }
        outcome
    }
}

/// A listener on `address` (port 0 picks a free one) and the port it got.
fn bind(address: SocketAddr) -> Result<(TcpListener, u16), StartupError> {
    let failed = StartupError::bind(address);
    let listener = TcpListener::bind(address).map_err(&failed)?;
    let port = listener.local_addr().map_err(&failed)?.port();
    Ok((listener, port))
}

/// What the API's workers and the metrics listener share.
#[derive(Clone)]
struct Services {
    database: web::Data<Database>,
    authenticator: web::Data<Authenticator>,
    users: web::Data<UserDirectory>,
}

impl Services {
    fn new(settings: &Settings) -> Result<Self, StartupError> {
        let database =
            web::Data::new(Database::new(&settings.database).map_err(StartupError::Database)?);
        let users = UserDirectory::new(&settings.users, database.clone().into_inner());
        Ok(Self {
            authenticator: web::Data::new(Authenticator::new(&settings.auth)?),
            users: web::Data::new(users),
            database,
        })
    }
}

/// `GET /metrics` on `address`, one worker, nothing else there.
fn serve_metrics(address: SocketAddr, services: Services) -> Result<(u16, Server), StartupError> {
    let (listener, port) = bind(address)?;
    let handle = web::Data::new(metrics::install());
    let server = HttpServer::new(move || {
        App::new()
            .app_data(handle.clone())
            .app_data(services.database.clone())
            .app_data(services.authenticator.clone())
            .app_data(services.users.clone())
            .route("/metrics", web::get().to(metrics::scrape))
    })
    .workers(1)
    .listen(listener)
    .map_err(StartupError::bind(address))?
    .run();
    tracing::info!(%address, port, "serving metrics");
    Ok((port, server))
}

fn serve(
    listener: TcpListener,
    settings: &Settings,
    address: SocketAddr,
    services: Services,
) -> Result<Server, StartupError> {
    let Services {
        database,
        authenticator,
        users,
    } = services;
    let cors_settings = settings.cors.clone();
    let mut server = HttpServer::new(move || {
        let mut public = PublicRoutes::default();
        let app = App::new()
            .app_data(database.clone())
            .app_data(authenticator.clone())
            .app_data(users.clone())
            .app_data(web::QueryConfig::default().error_handler(|err, _| {
                ApiError::BadRequest(format!("Invalid query string: {err}")).into()
            }))
            .configure(|cfg| {
                routes::configure(cfg, &mut public);
                openapi::configure(cfg, &mut public);
            })
            .default_service(web::to(|| async { Err::<(), _>(ApiError::NotFound) }));
        // Outermost last: request log and id, security headers, JSON error bodies, CORS,
        // then authentication.
        app.app_data(web::Data::new(public))
            .wrap(from_fn(require_authentication::<UserDirectory>))
            .wrap(cors(&cors_settings))
            .wrap(json_error_bodies())
            .wrap(DefaultHeaders::new().add((header::X_CONTENT_TYPE_OPTIONS, "nosniff")))
            .wrap(from_fn(telemetry::log_request))
    })
    // Slow clients cannot hold a worker: headers must arrive within 5 s, idle
    // keep-alive connections close after 30 s.
    .client_request_timeout(CLIENT_REQUEST_TIMEOUT)
    .client_disconnect_timeout(Duration::from_secs(1))
    .keep_alive(Duration::from_secs(30))
    .listen(listener)
    .map_err(StartupError::bind(address))?
    .shutdown_timeout(SHUTDOWN_GRACE_SECS);
    if let Some(workers) = settings.http.workers {
        server = server.workers(workers);
    }
    Ok(server.run())
}

/// CORS for the configured origins (the Angular dev server by default). Preflights are
/// answered here, before authentication; responses to other origins carry no
/// `Access-Control-Allow-Origin`, so browsers refuse to expose them.
fn cors(settings: &CorsSettings) -> Cors {
    settings
        .allowed_origins
        .iter()
        .fold(Cors::default(), |cors, origin| cors.allowed_origin(origin))
        .allowed_methods([
            Method::GET,
            Method::POST,
            Method::PUT,
            Method::PATCH,
            Method::DELETE,
            Method::OPTIONS,
        ])
        .allowed_headers([header::AUTHORIZATION, header::CONTENT_TYPE])
        .expose_headers([header::LOCATION, header::LINK, telemetry::REQUEST_ID_HEADER])
        .block_on_origin_mismatch(false)
        .max_age(3600)
}
