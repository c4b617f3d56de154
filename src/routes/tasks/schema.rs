//! The request bodies as the OpenAPI document describes them (the handlers read bodies
//! as JSON objects and validate them with `domain::task`).

use chrono::NaiveDate;
use utoipa::openapi::{Object, ObjectBuilder, Type};
use utoipa::ToSchema;

use crate::domain::task::MAX_TEXT_CHARS;

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
    /// Done or not; `false` on create unless sent, kept on replace when not sent. JSON
    /// booleans, or DRF's spellings (`"yes"`, `"on"`, `1`, ...).
    #[schema(nullable = false)]
    pub completed: Option<bool>,
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
    #[schema(nullable = false)]
    pub completed: Option<bool>,
}
