use std::process::ExitCode;

use actix_auth0::Env;
use todo_api::configuration::Settings;
use todo_api::startup::Application;
use todo_api::telemetry;

// Query results are allocated on the database thread and freed on the HTTP workers;
// glibc's malloc spent ~10% of the API's CPU on that (arena locks, consolidation).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

const USAGE: &str = "usage: todo-api [serve]

  serve        run the API (the default)

Configuration is read from the environment and .env; see .env.example.
The local Auth0 stand-in for development is a separate binary, dev-issuer.";

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
    match command.as_deref() {
        None | Some("serve") => serve(&Env::process()).await,
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
    match app.run_until_stopped().await {
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
