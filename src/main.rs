use std::process::ExitCode;

use todo_api::configuration::{ConfigError, Env, Settings};
use todo_api::dev_issuer::{DevIssuer, DevIssuerSettings};
use todo_api::startup::Application;
use todo_api::telemetry;

// Query results are allocated on the database thread and freed on the HTTP workers;
// glibc's malloc spent ~10% of the API's CPU on that (arena locks, consolidation).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

const USAGE: &str = "usage: todo-api [serve | dev-issuer]

  serve        run the API (the default)
  dev-issuer   run a local Auth0 stand-in for development (never in production)

Configuration is read from the environment and .env; see .env.example.";

#[actix_web::main]
async fn main() -> ExitCode {
    let command = std::env::args().nth(1);
    if matches!(command.as_deref(), Some("-h" | "--help")) {
        println!("{USAGE}");
        return ExitCode::SUCCESS;
    }
    // A missing .env is normal (containers, CI); a malformed one is a configuration error.
    if let Err(err) = dotenvy::dotenv() {
        if !err.not_found() {
            return config_error(&err.to_string());
        }
    }
    let env = Env::process();
    match command.as_deref() {
        None | Some("serve") => serve(&env).await,
        Some("dev-issuer") => dev_issuer(&env).await,
        Some(other) => {
            eprintln!("todo-api: unknown command {other:?}\n{USAGE}");
            ExitCode::from(2)
        }
    }
}

fn config_error(message: &dyn std::fmt::Display) -> ExitCode {
    eprintln!("todo-api: configuration error: {message}");
    ExitCode::from(1)
}

/// Installs logging from `RUST_LOG`/`LOG_FORMAT` as the API reads them.
fn init_logging(env: &Env) -> Result<(), ConfigError> {
    let (filter, json) = Settings::logging_from_env(env)?;
    telemetry::init(&filter, json);
    Ok(())
}

async fn serve(env: &Env<'_>) -> ExitCode {
    let settings = match Settings::from_env(env) {
        Ok(settings) => settings,
        Err(err) => return config_error(&err),
    };
    telemetry::init(&settings.log_filter, settings.log_json);
    let app = match Application::build(settings).await {
        Ok(app) => app,
        Err(err) => {
            eprintln!("todo-api: {err}");
            return ExitCode::from(1);
        }
    };
    exit_code(app.run_until_stopped().await)
}

async fn dev_issuer(env: &Env<'_>) -> ExitCode {
    let settings = match DevIssuerSettings::from_env(env) {
        Ok(settings) => settings,
        Err(err) => return config_error(&err),
    };
    if let Err(err) = init_logging(env) {
        return config_error(&err);
    }
    let issuer = match DevIssuer::build(settings) {
        Ok(issuer) => issuer,
        Err(err) => {
            eprintln!("todo-api dev-issuer: {err}");
            return ExitCode::from(1);
        }
    };
    exit_code(issuer.run_until_stopped().await)
}

fn exit_code(outcome: std::io::Result<()>) -> ExitCode {
    match outcome {
        Ok(()) => {
            tracing::info!("stopped");
            ExitCode::SUCCESS
        }
        Err(err) => {
            tracing::error!(error = %err, "server failed");
            ExitCode::from(1)
        }
    }
}
