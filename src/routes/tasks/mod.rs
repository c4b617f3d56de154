//! `/api/task/`: the tutorial's todo resource. Every query is scoped to the caller's
//! user in SQL, so another user's task is indistinguishable from a missing one (404).

mod params;
mod schema;

use actix_auth0::{Principal, PublicUrl};
use actix_web::http::header;
use actix_web::{web, HttpRequest, HttpResponse};
use chrono::Utc;
use sqlx::PgConnection;

use crate::database::Database;
use crate::domain::task::{Completeness, NewTask, Task, TaskChanges};
use crate::error::{ApiError, BadRequest, ErrorDetail};
use crate::extract::JsonObject;
use crate::users::{AuthenticatedUser, UserDirectory, UserError};
pub use params::{ListParams, ListQuery, Ordering, MAX_PAGE_SIZE};
pub use schema::{TaskCreate, TaskPatch};

const BODY_400: &str = "Field errors, or `{\"detail\": ...}` for a body that is not JSON";
const BODY_413: &str = "The body is larger than 64 KiB";
const BODY_415: &str = "The body is not `application/json`";
const NO_SUCH_TASK: &str = "No such task for this user";

/// A path id; anything that is not a positive 64-bit integer cannot name a task.
fn task_id(raw: &str) -> Result<i64, ApiError> {
    raw.parse::<i64>()
        .ok()
        .filter(|id| *id > 0)
        .ok_or(ApiError::NotFound)
}

/// List the caller's tasks, by id unless `ordering` says otherwise, all or only the done
/// or open ones.
#[utoipa::path(
    get, path = "/api/task/", tag = "tasks", params(ListParams),
    responses(
        (status = 200, description = "A bare array of tasks; `Link: <...>; rel=\"next\"` when more remain",
         body = [Task], headers(("Link" = String, description = "The next window, with the same filter and order, when more tasks remain"))),
        (status = 400, description = "Bad limit, offset, completed or ordering (field errors), or a malformed query string such as a repeated parameter (detail)", body = BadRequest),
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
    let query = params.checked()?;
    let (owner, limit, offset, completed, ordering) = (
        principal.user.id,
        query.limit,
        query.offset,
        query.completed,
        query.ordering,
    );
    // One row past the window tells whether a next page exists.
    let mut tasks = database
        .run(move |connection| {
            Box::pin(list_window(
                connection,
                owner,
                limit + 1,
                offset,
                completed,
                ordering,
            ))
        })
        .await?;
    let mut response = HttpResponse::Ok();
    if tasks.len() as i64 > query.limit {
        tasks.truncate(query.limit as usize);
        // PUBLIC_URL, else the request's Host: never a client's X-Forwarded-Host.
        let next = format!(
            "<{}?{}>; rel=\"next\"",
            public_url.url_of(&req),
            query.next_window()
        );
        response.insert_header((header::LINK, next));
    }
    Ok(response.json(tasks))
}

/// The owner's tasks in one window. Each order is a statement of its own, so each is
/// planned on its index: `(owner_id, id)` or `(owner_id, due_date, id)`.
async fn list_window(
    connection: &mut PgConnection,
    owner: i64,
    limit: i64,
    offset: i64,
    completed: Option<bool>,
    ordering: Ordering,
) -> Result<Vec<Task>, sqlx::Error> {
    macro_rules! ordered_by {
        ($order:literal) => {
            sqlx::query_as!(
                Task,
                "SELECT id, title, content, created_on, due_date, completed FROM tasks
                 WHERE owner_id = $1 AND ($4::boolean IS NULL OR completed = $4)
                 ORDER BY "
                    + $order
                    + " LIMIT $2 OFFSET $3",
                owner,
                limit,
                offset,
                completed,
            )
            .fetch_all(connection)
            .await
        };
    }
    match ordering {
        Ordering::Id => ordered_by!("id"),
        Ordering::IdDescending => ordered_by!("id DESC"),
        Ordering::DueDate => ordered_by!("due_date, id"),
        Ordering::DueDateDescending => ordered_by!("due_date DESC, id DESC"),
    }
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
                           (owner_id, title, content, created_on, due_date, created_by, completed)
                           VALUES ($1, $2, $3, $4, $5, $6, $7)
                           RETURNING id, title, content, created_on, due_date, completed"#,
                    principal.user.id,
                    task.title.as_str(),
                    task.content.as_str(),
                    task.created_on,
                    task.due_date,
                    principal.claims.sub,
                    task.completed,
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
                    r#"SELECT id, title, content, created_on, due_date, completed FROM tasks
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

/// Replace a task: `title` and `content` are required; dates and `completed` not sent
/// are kept.
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
                           due_date = COALESCE($6, due_date),
                           completed = COALESCE($7, completed)
                       WHERE id = $1 AND owner_id = $2
                       RETURNING id, title, content, created_on, due_date, completed"#,
                    id,
                    principal.user.id,
                    changes.title.as_ref().map(|title| title.as_str()),
                    changes.content.as_ref().map(|content| content.as_str()),
                    changes.created_on,
                    changes.due_date,
                    changes.completed,
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
