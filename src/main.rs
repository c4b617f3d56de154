use std::process::ExitCode;

use clap::{Parser, Subcommand};
use env_settings::Env;
use todo_api::admin::{self, UsersCommand};
use todo_api::configuration::Settings;
use todo_api::database::DatabaseSettings;
use todo_api::startup::Application;
use todo_api::telemetry;

// Query results are allocated on the database thread and freed on the HTTP workers;
// glibc's malloc spent ~10% of the API's CPU on that (arena locks, consolidation).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// The todo API, and what `manage.py` gives Django users.
#[derive(Parser)]
#[command(
    name = "todo-api",
    version,
    after_help = "Configuration is read from the environment and .env; see .env.example.\n\
                  The local Auth0 stand-in for development is a separate binary, dev-issuer."
)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Run the API (the default).
    Serve,
    /// Apply the database migrations and exit (a deploy step, an init container).
    Migrate,
    /// Check the configuration, the database and its migrations, and the JWKS.
    Check,
    /// List, show, deactivate, activate or delete users.
    #[command(subcommand)]
    Users(UsersCommand),
}

#[actix_web::main]
async fn main() -> ExitCode {
    let command = Cli::parse().command.unwrap_or(Command::Serve);
    // A missing .env is normal (containers, CI); a malformed one is a configuration error.
    if let Err(err) = dotenvy::dotenv() {
        if !err.not_found() {
            return config_error(&err.to_string());
        }
    }
    let env = Env::process();
    match command {
        Command::Serve => serve(&env).await,
        Command::Migrate => run_admin(&env, admin::migrate).await,
        Command::Check => {
            init_admin_logging(&env);
            outcome(admin::check(&env).await)
        }
        Command::Users(command) => {
            run_admin(&env, |settings| admin::users(settings, command)).await
        }
    }
}

fn config_error(message: &dyn std::fmt::Display) -> ExitCode {
    eprintln!("todo-api: configuration error: {message}");
    ExitCode::from(1)
}

/// Commands that need the database settings only, not the Auth0 ones.
async fn run_admin<F, Fut>(env: &Env<'_>, command: F) -> ExitCode
where
    F: FnOnce(DatabaseSettings) -> Fut,
    Fut: std::future::Future<Output = Result<(), admin::AdminError>>,
{
    let settings = match DatabaseSettings::from_env(env) {
        Ok(settings) => settings,
        Err(err) => return config_error(&err),
    };
    init_admin_logging(env);
    outcome(command(settings).await)
}

/// Warnings (e.g. start-up retries) on stderr; `RUST_LOG` may ask for more.
fn init_admin_logging(env: &Env) {
    telemetry::init(
        &env.optional("RUST_LOG").unwrap_or_else(|| "warn".into()),
        false,
    );
}

fn outcome(result: Result<(), admin::AdminError>) -> ExitCode {
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("todo-api: {err}");
            ExitCode::from(1)
        }
    }
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
