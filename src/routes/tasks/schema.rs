//! The request bodies as the OpenAPI document describes them (the handlers read bodies
//! as JSON objects and validate them with `domain::task`).

use chrono::NaiveDate;
use utoipa::openapi::schema::{OneOfBuilder, Schema};
use utoipa::openapi::{Object, ObjectBuilder, Type};
use utoipa::ToSchema;

use crate::domain::task::{FALSE_TEXTS, MAX_TEXT_CHARS, TRUE_TEXTS};

/// `completed` as DRF's `BooleanField` takes it: a JSON boolean, 0 or 1, or one of its
/// strings.
fn drf_boolean() -> Schema {
    let one_of = OneOfBuilder::new()
        .description(Some(
            "Done or not: a JSON boolean, 0 or 1, or one of DRF BooleanField's strings",
        ))
        .item(ObjectBuilder::new().schema_type(Type::Boolean))
        .item(
            ObjectBuilder::new()
                .schema_type(Type::Integer)
                .enum_values(Some([0, 1])),
        )
        .item(
            ObjectBuilder::new()
                .schema_type(Type::String)
                .enum_values(Some(TRUE_TEXTS.iter().chain(FALSE_TEXTS).copied())),
        )
        .build();
    Schema::OneOf(one_of)
}

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
    /// Done or not; `false` on create unless sent, kept on replace when not sent.
    #[schema(schema_with = drf_boolean, required = false)]
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
    #[schema(schema_with = drf_boolean, required = false)]
    pub completed: Option<bool>,
}
