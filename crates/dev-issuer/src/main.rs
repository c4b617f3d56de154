use std::io::IsTerminal;
use std::process::ExitCode;

use dev_issuer::{DevIssuer, DevIssuerSettings};
use env_settings::{ConfigError, Env};
use tracing_subscriber::EnvFilter;

const USAGE: &str = "usage: dev-issuer

Runs a local Auth0 stand-in for development (never in production): a JWKS, an OpenID
discovery document and a client-credentials /oauth/token. Configuration is read from
the environment and .env (AUTH0_ISSUER, AUTH0_AUDIENCE, DEV_ISSUER_*); see .env.example.";

#[actix_web::main]
async fn main() -> ExitCode {
    match std::env::args().nth(1).as_deref() {
        None => {}
        Some("-h" | "--help") => {
            println!("{USAGE}");
            return ExitCode::SUCCESS;
        }
        Some(other) => {
            eprintln!("dev-issuer: unexpected argument {other:?}\n{USAGE}");
            return ExitCode::from(2);
        }
    }
    // A missing .env is normal (containers, CI); a malformed one is a configuration error.
    if let Err(err) = dotenvy::dotenv() {
        if !err.not_found() {
            return config_error(&err);
        }
    }
    let env = Env::process();
    let settings = match DevIssuerSettings::from_env(&env).and_then(|settings| {
        init_logging(&env)?;
        Ok(settings)
    }) {
        Ok(settings) => settings,
        Err(err) => return config_error(&err),
    };
    let issuer = match DevIssuer::build(settings) {
        Ok(issuer) => issuer,
        Err(err) => {
            eprintln!("dev-issuer: {err}");
            return ExitCode::from(1);
        }
    };
    match issuer.run_until_stopped().await {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            tracing::error!(error = %err, "server failed");
            ExitCode::from(1)
        }
    }
}

fn config_error(message: &dyn std::fmt::Display) -> ExitCode {
    eprintln!("dev-issuer: configuration error: {message}");
    ExitCode::from(1)
}

/// Human-readable logs filtered by `RUST_LOG` (default `info`).
fn init_logging(env: &Env) -> Result<(), ConfigError> {
    let filter = env.optional("RUST_LOG").unwrap_or_else(|| "info".into());
    let filter = EnvFilter::try_new(&filter)
        .map_err(|err| ConfigError::new("RUST_LOG", format!("invalid filter: {err}")))?;
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(std::io::stderr().is_terminal())
        .with_writer(std::io::stderr)
        .init();
    Ok(())
}
