//! `/api/task/`: the tutorial's todo resource. Every query is scoped to the caller's
//! user in SQL, so another user's task is indistinguishable from a missing one (404).

use actix_auth0::{Principal, PublicUrl};
use actix_web::http::header;
use actix_web::{web, HttpRequest, HttpResponse};
use chrono::{NaiveDate, Utc};
use serde::Deserialize;
use utoipa::openapi::{Object, ObjectBuilder, Type};
use utoipa::ToSchema;

use crate::database::Database;
use crate::domain::task::{Completeness, NewTask, Task, TaskChanges, MAX_TEXT_CHARS};
use crate::error::{ApiError, BadRequest, ErrorDetail};
use crate::extract::{field_error, JsonObject};
use crate::users::{AuthenticatedUser, UserDirectory, UserError};

const BODY_400: &str = "Field errors, or `{\"detail\": ...}` for a body that is not JSON";
const BODY_413: &str = "The body is larger than 64 KiB";
const BODY_415: &str = "The body is not `application/json`";
const NO_SUCH_TASK: &str = "No such task for this user";

/// Most tasks one list response carries.
pub const MAX_PAGE_SIZE: i64 = 1000;

/// A title or content as `TaskText` accepts it: 1 to 50 characters, stored verbatim, not
/// blank (not only the whitespace `str::trim` removes), no NUL character.
fn task_text() -> Object {
    ObjectBuilder::new()
        .schema_type(Type::String)
        .description(Some("1 to 50 characters, stored verbatim; not blank"))
        .min_length(Some(1))
        .max_length(Some(MAX_TEXT_CHARS))
        .pattern(Some(TEXT_PATTERN))
        .build()
}

const TEXT_PATTERN: &str = "^[^\\u0000]*[^\\u0000\\t\\n\\u000B\\f\\r \\u0085\\u00A0\\u1680\\u2000-\\u200A\\u2028\\u2029\\u202F\\u205F\\u3000][^\\u0000]*$";

/// A task to create or replace (POST, PUT). `id` is assigned by the server. A field
/// not sent is absent, never `null`.
#[derive(ToSchema)]
#[schema(example = json!({"title": "Workout", "content": "Run 5k", "due_date": "2026-11-23"}))]
pub struct TaskCreate {
    #[schema(schema_with = task_text)]
    pub title: String,
    #[schema(schema_with = task_text)]
    pub content: String,
    /// Defaults to today (UTC) on create; kept on replace when not sent.
    #[schema(nullable = false)]
    pub created_on: Option<NaiveDate>,
    /// Defaults to today (UTC) on create; kept on replace when not sent.
    #[schema(nullable = false)]
    pub due_date: Option<NaiveDate>,
}

/// The fields to change (PATCH); fields not sent keep their values. A field is sent
/// with a value, never `null`.
#[derive(ToSchema)]
#[schema(example = json!({"due_date": "2026-11-30"}))]
pub struct TaskPatch {
    #[schema(schema_with = task_text, required = false)]
    pub title: Option<String>,
    #[schema(schema_with = task_text, required = false)]
    pub content: Option<String>,
    #[schema(nullable = false)]
    pub created_on: Option<NaiveDate>,
    #[schema(nullable = false)]
    pub due_date: Option<NaiveDate>,
}

/// The window of a list request: `?limit=` (1 to 1000, default 1000) and `?offset=`.
#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListParams {
    /// Tasks per response, 1 to 1000 (default 1000).
    #[param(value_type = Option<i64>, minimum = 1, maximum = 1000)]
    limit: Option<String>,
    /// Tasks to skip (default 0).
    #[param(value_type = Option<i64>, minimum = 0)]
    offset: Option<String>,
}

impl ListParams {
    /// `(limit, offset)`, with DRF-style messages for bad values.
    fn window(&self) -> Result<(i64, i64), ApiError> {
        let limit = parse_bound(
            "limit",
            self.limit.as_deref(),
            1,
            MAX_PAGE_SIZE,
            MAX_PAGE_SIZE,
        )?;
        let offset = parse_bound("offset", self.offset.as_deref(), 0, i64::MAX, 0)?;
        Ok((limit, offset))
    }
}

fn parse_bound(
    field: &str,
    raw: Option<&str>,
    min: i64,
    max: i64,
    default: i64,
) -> Result<i64, ApiError> {
    let Some(raw) = raw else { return Ok(default) };
    let value: i64 = raw
        .trim()
        .parse()
        .map_err(|_| field_error(field, "A valid integer is required."))?;
    if value < min {
        return Err(field_error(
            field,
            format!("Ensure this value is greater than or equal to {min}."),
        ));
    }
    if value > max {
        return Err(field_error(
            field,
            format!("Ensure this value is less than or equal to {max}."),
        ));
    }
    Ok(value)
}

/// A path id; anything that is not a positive 64-bit integer cannot name a task.
fn task_id(raw: &str) -> Result<i64, ApiError> {
    raw.parse::<i64>()
        .ok()
        .filter(|id| *id > 0)
        .ok_or(ApiError::NotFound)
}

/// List the caller's tasks, ordered by id.
#[utoipa::path(
    get, path = "/api/task/", tag = "tasks", params(ListParams),
    responses(
        (status = 200, description = "A bare array of tasks; `Link: <...>; rel=\"next\"` when more remain",
         body = [Task], headers(("Link" = String, description = "The next window, when more tasks remain"))),
        (status = 400, description = "Bad limit or offset (field errors), or a malformed query string such as a repeated parameter (detail)", body = BadRequest),
    ),
    security(("bearer" = []), ("dpop" = []))
)]
pub async fn list(
    principal: Principal<AuthenticatedUser>,
    params: web::Query<ListParams>,
    database: web::Data<Database>,
    public_url: web::Data<PublicUrl>,
    req: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    let (limit, offset) = params.window()?;
    // One row past the window tells whether a next page exists.
    let mut tasks = database
        .run(move |connection| {
            Box::pin(async move {
                sqlx::query_as!(
                    Task,
                    r#"SELECT id, title, content, created_on, due_date FROM tasks
                       WHERE owner_id = $1 ORDER BY id LIMIT $2 OFFSET $3"#,
                    principal.user.id,
                    limit + 1,
                    offset,
                )
                .fetch_all(connection)
                .await
            })
        })
        .await?;
    let mut response = HttpResponse::Ok();
    if tasks.len() as i64 > limit {
        tasks.truncate(limit as usize);
        // PUBLIC_URL, else the request's Host: never a client's X-Forwarded-Host.
        let next = format!(
            "<{}?limit={limit}&offset={}>; rel=\"next\"",
            public_url.url_of(&req),
            offset.saturating_add(limit),
        );
        response.insert_header((header::LINK, next));
    }
    Ok(response.json(tasks))
}

/// Create a task owned by the caller.
#[utoipa::path(
    post, path = "/api/task/", tag = "tasks",
    request_body = TaskCreate,
    responses(
        (status = 201, body = Task, headers(("Location" = String, description = "The new task's URL"))),
        (status = 400, description = BODY_400, body = BadRequest),
        (status = 413, description = BODY_413, body = ErrorDetail),
        (status = 415, description = BODY_415, body = ErrorDetail),
    ),
    security(("bearer" = []), ("dpop" = []))
)]
pub async fn create(
    principal: Principal<AuthenticatedUser>,
    body: JsonObject,
    database: web::Data<Database>,
    users: web::Data<UserDirectory>,
) -> Result<HttpResponse, ApiError> {
    let task =
        NewTask::from_json(&body.0, Utc::now().date_naive()).map_err(ApiError::Validation)?;
    let sub = principal.claims.sub.clone();
    let created = database
        .run(move |connection| {
            Box::pin(async move {
                sqlx::query_as!(
                    Task,
                    r#"INSERT INTO tasks
                           (owner_id, title, content, created_on, due_date, created_by)
                           VALUES ($1, $2, $3, $4, $5, $6)
                           RETURNING id, title, content, created_on, due_date"#,
                    principal.user.id,
                    task.title.as_str(),
                    task.content.as_str(),
                    task.created_on,
                    task.due_date,
                    principal.claims.sub,
                )
                .fetch_one(connection)
                .await
            })
        })
        .await;
    let task = match created {
        // The user's row was deleted while this instance still had it cached.
        Err(error) if is_foreign_key_violation(&error) => {
            users.forget_subject(&sub).await;
            return Err(UserError::Inactive.into());
        }
        created => created?,
    };
    Ok(HttpResponse::Created()
        .insert_header((header::LOCATION, format!("/api/task/{}/", task.id)))
        .json(task))
}

fn is_foreign_key_violation(error: &sqlx::Error) -> bool {
    error
        .as_database_error()
        .is_some_and(|error| error.is_foreign_key_violation())
}

/// Fetch one of the caller's tasks.
#[utoipa::path(
    get, path = "/api/task/{id}/", tag = "tasks",
    params(("id" = i64, Path, description = "Task id")),
    responses(
        (status = 200, body = Task),
        (status = 404, description = NO_SUCH_TASK, body = ErrorDetail),
    ),
    security(("bearer" = []), ("dpop" = []))
)]
pub async fn retrieve(
    principal: Principal<AuthenticatedUser>,
    id: web::Path<String>,
    database: web::Data<Database>,
) -> Result<HttpResponse, ApiError> {
    let id = task_id(&id)?;
    let task = database
        .run(move |connection| {
            Box::pin(async move {
                sqlx::query_as!(
                    Task,
                    r#"SELECT id, title, content, created_on, due_date FROM tasks
                       WHERE id = $1 AND owner_id = $2"#,
                    id,
                    principal.user.id,
                )
                .fetch_optional(connection)
                .await
            })
        })
        .await?
        .ok_or(ApiError::NotFound)?;
    Ok(HttpResponse::Ok().json(task))
}

/// Replace a task: `title` and `content` are required; dates not sent are kept.
#[utoipa::path(
    put, path = "/api/task/{id}/", tag = "tasks",
    params(("id" = i64, Path, description = "Task id")),
    request_body = TaskCreate,
    responses(
        (status = 200, body = Task),
        (status = 400, description = BODY_400, body = BadRequest),
        (status = 404, description = NO_SUCH_TASK, body = ErrorDetail),
        (status = 413, description = BODY_413, body = ErrorDetail),
        (status = 415, description = BODY_415, body = ErrorDetail),
    ),
    security(("bearer" = []), ("dpop" = []))
)]
pub async fn update(
    principal: Principal<AuthenticatedUser>,
    id: web::Path<String>,
    body: JsonObject,
    database: web::Data<Database>,
) -> Result<HttpResponse, ApiError> {
    apply_update(principal, &id, body, Completeness::Full, database).await
}

/// Change only the fields sent.
#[utoipa::path(
    patch, path = "/api/task/{id}/", tag = "tasks",
    params(("id" = i64, Path, description = "Task id")),
    request_body = TaskPatch,
    responses(
        (status = 200, body = Task),
        (status = 400, description = BODY_400, body = BadRequest),
        (status = 404, description = NO_SUCH_TASK, body = ErrorDetail),
        (status = 413, description = BODY_413, body = ErrorDetail),
        (status = 415, description = BODY_415, body = ErrorDetail),
    ),
    security(("bearer" = []), ("dpop" = []))
)]
pub async fn partial_update(
    principal: Principal<AuthenticatedUser>,
    id: web::Path<String>,
    body: JsonObject,
    database: web::Data<Database>,
) -> Result<HttpResponse, ApiError> {
    apply_update(principal, &id, body, Completeness::Partial, database).await
}

async fn apply_update(
    principal: Principal<AuthenticatedUser>,
    id: &str,
    body: JsonObject,
    completeness: Completeness,
    database: web::Data<Database>,
) -> Result<HttpResponse, ApiError> {
    // An id that names no task is 404 before the body is judged, as in DRF.
    let id = task_id(id)?;
    let changes = TaskChanges::from_json(&body.0, completeness).map_err(ApiError::Validation)?;
    let task = database
        .run(move |connection| {
            Box::pin(async move {
                sqlx::query_as!(
                    Task,
                    r#"UPDATE tasks SET
                           title = COALESCE($3, title),
                           content = COALESCE($4, content),
                           created_on = COALESCE($5, created_on),
                           due_date = COALESCE($6, due_date)
                       WHERE id = $1 AND owner_id = $2
                       RETURNING id, title, content, created_on, due_date"#,
                    id,
                    principal.user.id,
                    changes.title.as_ref().map(|title| title.as_str()),
                    changes.content.as_ref().map(|content| content.as_str()),
                    changes.created_on,
                    changes.due_date,
                )
                .fetch_optional(connection)
                .await
            })
        })
        .await?
        .ok_or(ApiError::NotFound)?;
    Ok(HttpResponse::Ok().json(task))
}

/// Delete one of the caller's tasks.
#[utoipa::path(
    delete, path = "/api/task/{id}/", tag = "tasks",
    params(("id" = i64, Path, description = "Task id")),
    responses(
        (status = 204, description = "Deleted; empty body"),
        (status = 404, description = NO_SUCH_TASK, body = ErrorDetail),
    ),
    security(("bearer" = []), ("dpop" = []))
)]
pub async fn destroy(
    principal: Principal<AuthenticatedUser>,
    id: web::Path<String>,
    database: web::Data<Database>,
) -> Result<HttpResponse, ApiError> {
    let id = task_id(&id)?;
    let deleted = database
        .run(move |connection| {
            Box::pin(async move {
                sqlx::query!(
                    "DELETE FROM tasks WHERE id = $1 AND owner_id = $2",
                    id,
                    principal.user.id,
                )
                .execute(connection)
                .await
            })
        })
        .await?;
    if deleted.rows_affected() == 0 {
        return Err(ApiError::NotFound);
    }
    Ok(HttpResponse::NoContent().finish())
}
