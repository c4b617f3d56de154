//! Builds the HTTP application from [`Settings`].

use std::net::{SocketAddr, TcpListener};
use std::time::Duration;

use actix_auth0::{require_authentication, Authenticator, PublicRoutes, DPOP_NONCE};
use actix_cors::Cors;
use actix_web::body::MessageBody;
use actix_web::dev::{Server, ServiceRequest, ServiceResponse};
use actix_web::http::{header, ConnectionType, Method};
use actix_web::middleware::{from_fn, DefaultHeaders, Next};
use actix_web::{web, App, HttpServer};
use sqlx::Connection;

use crate::configuration::{CorsSettings, Settings};
use crate::database::{self, Database};
use crate::dpop::{self, PostgresSeenProofs};
use crate::error::{json_error_bodies, ApiError, DrfRefusals};
use crate::routes::health::Readiness;
use crate::users::UserDirectory;
use crate::{metrics, openapi, routes, telemetry, users};

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
    readiness: web::Data<Readiness>,
    shutdown_drain: Duration,
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
        let nonce_key = match settings.auth.dpop.require_nonce {
            true => Some(
                dpop::nonce_key(&mut connection)
                    .await
                    .map_err(StartupError::Database)?,
            ),
            false => None,
        };
        connection.close().await.map_err(StartupError::Database)?;
        let address = SocketAddr::new(settings.http.host, settings.http.port);
        let (listener, port) = bind(address)?;
        let services = Services::new(&settings, nonce_key.as_deref())?;
        let readiness = services.readiness.clone();
        // Before anything records: the metrics recorder is installed here.
        let metrics = match settings.http.metrics_addr {
            Some(addr) => Some(serve_metrics(addr, services.clone())?),
            None => None,
        };
        users::changes::follow(
            &settings.database,
            &services.database,
            services.users.clone().into_inner(),
        )
        .map_err(StartupError::Database)?;
        let server = serve(listener, &settings, address, services)?;
        tracing::info!(host = %settings.http.host, port, "listening");
        Ok(Self {
            port,
            server,
            metrics,
            readiness,
            shutdown_drain: settings.http.shutdown_drain,
        })
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// The metrics listener's port, when `METRICS_ADDR` is set.
    pub fn metrics_port(&self) -> Option<u16> {
        self.metrics.as_ref().map(|(port, _)| *port)
    }

    /// Runs until SIGTERM or SIGINT, then lets in-flight requests finish; the metrics
    /// listener stops with the API. After SIGTERM (an orchestrator's stop) the instance
    /// first drains for `SHUTDOWN_DRAIN_SECS`: `/readyz` answers 503 and every response
    /// closes its connection, so load balancers move its traffic before it stops
    /// accepting. SIGINT (Ctrl-C) stops at once.
    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        let metrics = self.metrics.map(|(_, server)| {
            let handle = server.handle();
            tokio::spawn(server);
            handle
        });
        let stop = shutdown_signal()?;
        let (handle, readiness, drain) =
            (self.server.handle(), self.readiness, self.shutdown_drain);
        tokio::spawn(async move {
            if stop.await == Signal::Terminate && !drain.is_zero() {
                readiness.start_draining();
                tracing::info!(
                    drain_secs = drain.as_secs(),
                    "SIGTERM: draining before stopping"
                );
                tokio::time::sleep(drain).await;
            }
            tracing::info!("stopping: in-flight requests may finish");
            handle.stop(true).await;
        });
        let outcome = self.server.await;
        if let Some(metrics) = metrics {
            metrics.stop(true).await;
        }
        outcome
    }
}

#[derive(Debug, PartialEq, Eq)]
enum Signal {
    Terminate,
    Interrupt,
}

/// Resolves at the first SIGTERM or SIGINT. The handlers are installed before it returns,
/// so a signal sent once the server is up is never missed.
fn shutdown_signal() -> std::io::Result<impl std::future::Future<Output = Signal>> {
    use tokio::signal::unix::{signal, SignalKind};
    let mut terminate = signal(SignalKind::terminate())?;
    let mut interrupt = signal(SignalKind::interrupt())?;
    Ok(async move {
        tokio::select! {
            _ = terminate.recv() => Signal::Terminate,
            _ = interrupt.recv() => Signal::Interrupt,
        }
    })
}

/// While draining, every response tells its client to close the connection, so a load
/// balancer never reuses one that is about to go.
async fn close_connections_while_draining(
    request: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let readiness = request.app_data::<web::Data<Readiness>>().cloned();
    let mut response = next.call(request).await?;
    if readiness.is_some_and(|readiness| readiness.is_draining()) {
        response
            .response_mut()
            .head_mut()
            .set_connection_type(ConnectionType::Close);
    }
    Ok(response)
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
    readiness: web::Data<Readiness>,
}

impl Services {
    fn new(settings: &Settings, nonce_key: Option<&[u8]>) -> Result<Self, StartupError> {
        let database =
            web::Data::new(Database::new(&settings.database).map_err(StartupError::Database)?);
        let users = UserDirectory::new(&settings.users, database.clone().into_inner());
        let probe_options = settings
            .database
            .request_options()
            .map_err(StartupError::Database)?;
        let reachability = database::probe::spawn(
            &database,
            probe_options,
            settings
                .database
                .acquire_timeout
                .max(std::time::Duration::from_secs(1)),
        );
        let mut authenticator = Authenticator::new(&settings.auth)?
            .with_renderer(DrfRefusals)
            .with_seen_proofs(PostgresSeenProofs::new(database.clone()));
        if let Some(key) = nonce_key {
            authenticator = authenticator.with_nonce_key(key);
        }
        Ok(Self {
            authenticator: web::Data::new(authenticator),
            users: web::Data::new(users),
            database,
            readiness: web::Data::new(Readiness::new(reachability, settings.http.readiness_grace)),
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
    .disable_signals()
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
        readiness,
    } = services;
    let cors_settings = settings.cors.clone();
    let public_url = web::Data::new(settings.auth.dpop.public_url.clone());
    let mut server = HttpServer::new(move || {
        let mut public = PublicRoutes::default();
        let app = App::new()
            .app_data(database.clone())
            .app_data(authenticator.clone())
            .app_data(users.clone())
            .app_data(readiness.clone())
            .app_data(public_url.clone())
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
            .wrap(from_fn(close_connections_while_draining))
    })
    // Slow clients cannot hold a worker: headers must arrive within 5 s, idle
    // keep-alive connections close after 30 s.
    .client_request_timeout(CLIENT_REQUEST_TIMEOUT)
    .client_disconnect_timeout(Duration::from_secs(1))
    .keep_alive(Duration::from_secs(30))
    .listen(listener)
    .map_err(StartupError::bind(address))?
    // `Application::run_until_stopped` handles the signals, draining first.
    .disable_signals()
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
        .allowed_headers([
            header::AUTHORIZATION,
            header::CONTENT_TYPE,
            header::HeaderName::from_static("dpop"),
        ])
        // The app reads challenges and nonces to retry with a DPoP nonce.
        .expose_headers([
            header::LOCATION,
            header::LINK,
            header::WWW_AUTHENTICATE,
            DPOP_NONCE,
            telemetry::REQUEST_ID_HEADER,
        ])
        .block_on_origin_mismatch(false)
        .max_age(3600)
}
