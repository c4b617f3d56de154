//! `todo-api users list | show | deactivate | activate | delete`, by username or subject,
//! as a table or `--json`. Deleting a user deletes their tasks (ON DELETE CASCADE) and
//! asks for the username first unless `--yes`.

use std::io::{BufRead, Write};

use clap::Subcommand;
use sqlx::PgConnection;

use super::{connect, AdminError};
use crate::database::DatabaseSettings;
use crate::users::User;

#[derive(Debug, Subcommand)]
pub enum UsersCommand {
    /// Every user, by id.
    List {
        #[arg(long)]
        json: bool,
    },
    /// One user and how many tasks they own.
    Show {
        /// A username (`auth0.abc`) or a token subject (`auth0|abc`).
        user: String,
        #[arg(long)]
        json: bool,
    },
    /// Refuses the user's tokens (401) until activated again.
    Deactivate { user: String },
    /// Lets a deactivated user in again.
    Activate { user: String },
    /// Deletes the user and every task they own.
    Delete {
        user: String,
        /// Do not ask for confirmation.
        #[arg(long)]
        yes: bool,
    },
}

pub async fn users(settings: DatabaseSettings, command: UsersCommand) -> Result<(), AdminError> {
    let mut connection = connect(&settings).await?;
    let out = &mut std::io::stdout().lock();
    match command {
        UsersCommand::List { json } => {
            let users = list(&mut connection).await?;
            if json {
                writeln!(out, "{}", to_json(&users))?;
            } else {
                table(out, &users)?;
            }
        }
        UsersCommand::Show { user, json } => {
            let user = find(&mut connection, &user).await?;
            let tasks = task_count(&mut connection, user.id).await?;
            if json {
                let mut value = serde_json::to_value(&user).unwrap_or_default();
                value["tasks"] = tasks.into();
                writeln!(out, "{value}")?;
            } else {
                table(out, std::slice::from_ref(&user))?;
                writeln!(out, "\n{tasks} task(s)")?;
            }
        }
        UsersCommand::Deactivate { user } => {
            let user = set_active(&mut connection, &user, false).await?;
            writeln!(out, "deactivated {} (id {})", user.username, user.id)?;
        }
        UsersCommand::Activate { user } => {
            let user = set_active(&mut connection, &user, true).await?;
            writeln!(out, "activated {} (id {})", user.username, user.id)?;
        }
        UsersCommand::Delete { user, yes } => {
            let user = find(&mut connection, &user).await?;
            let tasks = task_count(&mut connection, user.id).await?;
            if !yes && !confirmed(&user, tasks)? {
                return Err(AdminError::NotConfirmed);
            }
            sqlx::query!("DELETE FROM users WHERE id = $1", user.id)
                .execute(&mut connection)
                .await
                .map_err(AdminError::Database)?;
            writeln!(
                out,
                "deleted {} (id {}) and {tasks} task(s)",
                user.username, user.id
            )?;
        }
    }
    Ok(())
}

/// Asks on stderr for the username, read from stdin; anything else (or no terminal) is a no.
fn confirmed(user: &User, tasks: i64) -> Result<bool, AdminError> {
    eprint!(
        "Delete user {} (id {}) and their {tasks} task(s)? Type the username to confirm: ",
        user.username, user.id
    );
    std::io::stderr().flush()?;
    let mut answer = String::new();
    std::io::stdin().lock().read_line(&mut answer)?;
    Ok(answer.trim() == user.username)
}

async fn list(connection: &mut PgConnection) -> Result<Vec<User>, AdminError> {
    sqlx::query_as!(
        User,
        "SELECT id, username, sub, is_active, date_joined, last_login FROM users ORDER BY id"
    )
    .fetch_all(connection)
    .await
    .map_err(AdminError::Database)
}

async fn find(connection: &mut PgConnection, who: &str) -> Result<User, AdminError> {
    sqlx::query_as!(
        User,
        r#"SELECT id, username, sub, is_active, date_joined, last_login FROM users
           WHERE username = $1 OR sub = $1 ORDER BY username = $1 DESC LIMIT 1"#,
        who
    )
    .fetch_optional(connection)
    .await
    .map_err(AdminError::Database)?
    .ok_or_else(|| AdminError::NoSuchUser(who.to_owned()))
}

async fn set_active(
    connection: &mut PgConnection,
    who: &str,
    active: bool,
) -> Result<User, AdminError> {
    let user = find(connection, who).await?;
    sqlx::query_as!(
        User,
        r#"UPDATE users SET is_active = $2 WHERE id = $1
           RETURNING id, username, sub, is_active, date_joined, last_login"#,
        user.id,
        active
    )
    .fetch_one(connection)
    .await
    .map_err(AdminError::Database)
}

async fn task_count(connection: &mut PgConnection, owner_id: i64) -> Result<i64, AdminError> {
    sqlx::query_scalar!(
        r#"SELECT count(*) AS "count!" FROM tasks WHERE owner_id = $1"#,
        owner_id
    )
    .fetch_one(connection)
    .await
    .map_err(AdminError::Database)
}

fn to_json(users: &[User]) -> String {
    serde_json::to_string(users).unwrap_or_else(|_| "[]".into())
}

/// Columns padded to their widest value.
fn table(out: &mut impl Write, users: &[User]) -> std::io::Result<()> {
    let rows: Vec<[String; 6]> = users
        .iter()
        .map(|user| {
            [
                user.id.to_string(),
                user.username.clone(),
                user.sub.clone().unwrap_or_else(|| "-".into()),
                if user.is_active { "yes" } else { "no" }.into(),
                user.date_joined.format("%Y-%m-%d %H:%M").to_string(),
                user.last_login
                    .map_or_else(|| "-".into(), |at| at.format("%Y-%m-%d %H:%M").to_string()),
            ]
        })
        .collect();
    let header = [
        "ID",
        "USERNAME",
        "SUBJECT",
        "ACTIVE",
        "JOINED",
        "LAST LOGIN",
    ]
    .map(String::from);
    let mut widths = header.each_ref().map(|cell| cell.chars().count());
    for row in &rows {
        for (width, cell) in widths.iter_mut().zip(row) {
            *width = (*width).max(cell.chars().count());
        }
    }
    for row in std::iter::once(&header).chain(&rows) {
        let line: Vec<String> = row
            .iter()
            .zip(widths)
            .map(|(cell, width)| format!("{cell:<width$}"))
            .collect();
        writeln!(out, "{}", line.join("  ").trim_end())?;
    }
    Ok(())
}
