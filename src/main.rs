use std::process::ExitCode;

use todo_api::configuration::{Env, Settings};
use todo_api::startup::Application;
use todo_api::telemetry;

const USAGE: &str = "usage: todo-api [serve]";

#[actix_web::main]
async fn main() -> ExitCode {
    match std::env::args().nth(1).as_deref() {
        None | Some("serve") => {}
        Some("-h" | "--help") => {
            println!(
                "{USAGE}\n\nConfiguration is read from the environment and .env; see .env.example."
            );
            return ExitCode::SUCCESS;
        }
        Some(other) => {
            eprintln!("todo-api: unknown command {other:?}\n{USAGE}");
            return ExitCode::from(2);
        }
    }
    // A missing .env is normal (containers, CI); a malformed one is a configuration error.
    if let Err(err) = dotenvy::dotenv() {
        if !err.not_found() {
            eprintln!("todo-api: configuration error: .env: {err}");
            return ExitCode::from(1);
        }
    }
    let env = Env::process();
    let settings = match Settings::from_env(&env) {
        Ok(settings) => settings,
        Err(err) => {
            eprintln!("todo-api: configuration error: {err}");
            return ExitCode::from(1);
        }
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
