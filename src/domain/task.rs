//! A task as clients send it, validated field by field with DRF's messages.

use chrono::{Datelike, NaiveDate};
use serde::{Serialize, Serializer};
use serde_json::{Map, Value};

use crate::error::FieldErrors;

/// `title` and `content` are at most this many characters (not bytes).
pub const MAX_TEXT_CHARS: usize = 50;

const REQUIRED: &str = "This field is required.";
const NOT_NULL: &str = "This field may not be null.";

/// A task as stored and returned.
#[derive(Clone, Debug, Serialize, PartialEq, Eq, utoipa::ToSchema)]
pub struct Task {
    #[schema(example = 1)]
    pub id: i64,
    #[schema(example = "Workout")]
    pub title: String,
    #[schema(example = "Run 5k")]
    pub content: String,
    #[schema(example = "2026-11-22")]
    #[serde(serialize_with = "iso_date")]
    pub created_on: NaiveDate,
    #[schema(example = "2026-11-23")]
    #[serde(serialize_with = "iso_date")]
    pub due_date: NaiveDate,
    #[schema(example = false)]
    pub completed: bool,
}

/// `YYYY-MM-DD`, as chrono writes a date, without chrono's formatter writing it a
/// character at a time: that took almost half (46%) of serialising a task list (perf,
/// W3). Years beyond four digits, which chrono writes with a sign, are left to chrono.
fn iso_date<S: Serializer>(date: &NaiveDate, serializer: S) -> Result<S::Ok, S::Error> {
    let Ok(year @ 0..=9999) = u32::try_from(date.year()) else {
        return date.serialize(serializer);
    };
    let two_digits = |n: u32| [b'0' + (n / 10) as u8, b'0' + (n % 10) as u8];
    let ([y1, y2], [y3, y4]) = (two_digits(year / 100), two_digits(year % 100));
    let ([m1, m2], [d1, d2]) = (two_digits(date.month()), two_digits(date.day()));
    let text = [y1, y2, y3, y4, b'-', m1, m2, b'-', d1, d2];
    serializer.serialize_str(std::str::from_utf8(&text).expect("ASCII digits and dashes"))
}

/// The message of a value that is none of [`parse_boolean`]'s spellings.
pub const NOT_A_BOOLEAN: &str = "Must be a valid boolean.";

/// A boolean as DRF's `BooleanField` reads one: JSON `true`/`false`, the numbers 1 and 0,
/// or one of its strings (`true`/`false`, `yes`/`no`, `on`/`off`, `1`/`0`, `t`/`f`,
/// `y`/`n`, in the cases DRF lists).
pub fn parse_boolean(value: &Value) -> Result<bool, &'static str> {
    match value {
        Value::Bool(value) => Ok(*value),
        Value::Number(number) => match number.as_i64() {
            Some(1) => Ok(true),
            Some(0) => Ok(false),
            _ => Err(NOT_A_BOOLEAN),
        },
        Value::String(text) => parse_boolean_text(text),
        _ => Err(NOT_A_BOOLEAN),
    }
}

/// The strings DRF's `BooleanField` reads as true.
pub const TRUE_TEXTS: &[&str] = &[
    "t", "T", "y", "Y", "yes", "Yes", "YES", "true", "True", "TRUE", "on", "On", "ON", "1",
];
/// The strings DRF's `BooleanField` reads as false.
pub const FALSE_TEXTS: &[&str] = &[
    "f", "F", "n", "N", "no", "No", "NO", "false", "False", "FALSE", "off", "Off", "OFF", "0",
];

/// [`parse_boolean`] for a string (a query parameter, or a JSON string).
pub fn parse_boolean_text(text: &str) -> Result<bool, &'static str> {
    if TRUE_TEXTS.contains(&text) {
        Ok(true)
    } else if FALSE_TEXTS.contains(&text) {
        Ok(false)
    } else {
        Err(NOT_A_BOOLEAN)
    }
}

/// A title or content: 1 to 50 characters, not only whitespace, no NUL character.
/// Stored verbatim: surrounding whitespace is kept, not trimmed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TaskText(String);

impl TaskText {
    pub fn parse(value: &str) -> Result<Self, &'static str> {
        if value.trim().is_empty() {
            return Err("This field may not be blank.");
        }
        if value.contains('\0') {
            return Err("Null characters are not allowed.");
        }
        if value.chars().count() > MAX_TEXT_CHARS {
            return Err("Ensure this field has no more than 50 characters.");
        }
        Ok(Self(value.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A task to create: `title` and `content` required, dates defaulting to today, not
/// completed unless said.
#[derive(Debug, PartialEq, Eq)]
pub struct NewTask {
    pub title: TaskText,
    pub content: TaskText,
    pub created_on: NaiveDate,
    pub due_date: NaiveDate,
    pub completed: bool,
}

impl NewTask {
    /// Validates every field and reports all problems at once. Unknown fields,
    /// `id` included, are ignored.
    pub fn from_json(body: &Map<String, Value>, today: NaiveDate) -> Result<Self, FieldErrors> {
        let changes = TaskChanges::from_json(body, Completeness::Full)?;
        match (changes.title, changes.content) {
            (Some(title), Some(content)) => Ok(Self {
                title,
                content,
                created_on: changes.created_on.unwrap_or(today),
                due_date: changes.due_date.unwrap_or(today),
                completed: changes.completed.unwrap_or(false),
            }),
            // `Full` has already reported a missing title or content.
            _ => Err(FieldErrors::new()),
        }
    }
}

/// Which fields an update must carry.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Completeness {
    /// POST and PUT: `title` and `content` are required.
    Full,
    /// PATCH: only the fields sent are validated and changed.
    Partial,
}

/// The validated fields of an update; `None` means "not sent, keep as is".
#[derive(Debug, Default, PartialEq, Eq)]
pub struct TaskChanges {
    pub title: Option<TaskText>,
    pub content: Option<TaskText>,
    pub created_on: Option<NaiveDate>,
    pub due_date: Option<NaiveDate>,
    pub completed: Option<bool>,
}

impl TaskChanges {
    /// Validates every field and reports all problems at once. Unknown fields,
    /// `id` included, are ignored.
    pub fn from_json(
        body: &Map<String, Value>,
        completeness: Completeness,
    ) -> Result<Self, FieldErrors> {
        let mut errors = FieldErrors::new();
        let required = completeness == Completeness::Full;
        let changes = TaskChanges {
            title: field(body, "title", required, &mut errors, text),
            content: field(body, "content", required, &mut errors, text),
            created_on: field(body, "created_on", false, &mut errors, date),
            due_date: field(body, "due_date", false, &mut errors, date),
            completed: field(body, "completed", false, &mut errors, parse_boolean),
        };
        if errors.is_empty() {
            Ok(changes)
        } else {
            Err(errors)
        }
    }
}

fn field<T>(
    body: &Map<String, Value>,
    name: &str,
    required: bool,
    errors: &mut FieldErrors,
    parse: fn(&Value) -> Result<T, &'static str>,
) -> Option<T> {
    let outcome = match body.get(name) {
        None if required => Err(REQUIRED),
        None => return None,
        Some(Value::Null) => Err(NOT_NULL),
        Some(value) => parse(value),
    };
    outcome
        .map_err(|message| {
            errors.insert(name.to_owned(), vec![message.to_owned()]);
        })
        .ok()
}

fn text(value: &Value) -> Result<TaskText, &'static str> {
    value
        .as_str()
        .ok_or("Not a valid string.")
        .and_then(TaskText::parse)
}

fn date(value: &Value) -> Result<NaiveDate, &'static str> {
    const WRONG_FORMAT: &str =
        "Date has wrong format. Use one of these formats instead: YYYY-MM-DD.";
    let text = value.as_str().ok_or(WRONG_FORMAT)?;
    // chrono alone would accept "2026-1-5"; DRF's format is strictly ten characters.
    if text.len() != 10 {
        return Err(WRONG_FORMAT);
    }
    NaiveDate::parse_from_str(text, "%Y-%m-%d").map_err(|_| WRONG_FORMAT)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn input(body: Value, completeness: Completeness) -> Result<TaskChanges, FieldErrors> {
        TaskChanges::from_json(body.as_object().unwrap(), completeness)
    }

    fn errors(body: Value, completeness: Completeness) -> Value {
        serde_json::to_value(input(body, completeness).unwrap_err()).unwrap()
    }

    #[test]
    fn dates_are_written_as_chrono_writes_them() {
        let task = |date: NaiveDate| Task {
            id: 1,
            title: "Workout".into(),
            content: "Run 5k".into(),
            created_on: date,
            due_date: date,
            completed: false,
        };
        let years = [
            -10_000, -1, 0, 1, 9, 10, 99, 100, 999, 1000, 1970, 2026, 9999, 10_000,
        ];
        for year in years {
            for (month, day) in [(1, 1), (2, 9), (9, 30), (10, 10), (12, 31)] {
                let date = NaiveDate::from_ymd_opt(year, month, day).unwrap();
                let chrono = serde_json::to_value(date).unwrap();
                let written = serde_json::to_value(task(date)).unwrap();
                assert_eq!(written["created_on"], chrono, "{date:?}");
                assert_eq!(written["due_date"], chrono, "{date:?}");
            }
        }
        assert_eq!(
            serde_json::to_value(task(NaiveDate::from_ymd_opt(2026, 3, 4).unwrap())).unwrap()
                ["due_date"],
            "2026-03-04"
        );
    }

    #[test]
    fn length_is_counted_in_characters() {
        assert!(TaskText::parse(&"🦀".repeat(50)).is_ok());
        assert!(TaskText::parse(&"🦀".repeat(51)).is_err());
    }

    #[test]
    fn text_is_kept_verbatim_but_blank_is_refused() {
        assert_eq!(TaskText::parse("  run  ").unwrap().as_str(), "  run  ");
        assert_eq!(
            TaskText::parse(" \t ").unwrap_err(),
            "This field may not be blank."
        );
        assert_eq!(
            TaskText::parse("a\0b").unwrap_err(),
            "Null characters are not allowed."
        );
    }

    #[test]
    fn all_invalid_fields_are_reported_at_once() {
        assert_eq!(
            errors(
                json!({"title": 5, "due_date": "23/11/2026"}),
                Completeness::Full
            ),
            json!({
                "title": ["Not a valid string."],
                "content": ["This field is required."],
                "due_date": ["Date has wrong format. Use one of these formats instead: YYYY-MM-DD."],
            })
        );
        assert_eq!(
            errors(
                json!({"content": null, "created_on": "2026-2-30"}),
                Completeness::Partial
            ),
            json!({
                "content": ["This field may not be null."],
                "created_on": ["Date has wrong format. Use one of these formats instead: YYYY-MM-DD."],
            })
        );
    }

    #[test]
    fn partial_input_carries_only_what_was_sent() {
        let parsed = input(
            json!({"due_date": "2026-12-01", "id": 7}),
            Completeness::Partial,
        )
        .unwrap();
        assert_eq!(
            parsed,
            TaskChanges {
                due_date: NaiveDate::from_ymd_opt(2026, 12, 1),
                ..TaskChanges::default()
            }
        );
    }

    #[test]
    fn new_tasks_default_their_dates_to_today() {
        let today = NaiveDate::from_ymd_opt(2026, 11, 23).unwrap();
        let body = json!({"title": "Workout", "content": "Run 5k", "due_date": "2026-11-30"});
        let task = NewTask::from_json(body.as_object().unwrap(), today).unwrap();
        assert_eq!(task.created_on, today);
        assert_eq!(
            task.due_date,
            NaiveDate::from_ymd_opt(2026, 11, 30).unwrap()
        );
        assert_eq!(task.title.as_str(), "Workout");
        assert!(!task.completed, "open unless said");
    }

    #[test]
    fn completed_takes_drf_boolean_spellings() {
        for (value, expected) in [
            (json!(true), true),
            (json!(false), false),
            (json!(1), true),
            (json!(0), false),
            (json!("yes"), true),
            (json!("No"), false),
            (json!("ON"), true),
            (json!("off"), false),
            (json!("t"), true),
            (json!("F"), false),
            (json!("1"), true),
            (json!("0"), false),
        ] {
            let parsed = input(json!({ "completed": value }), Completeness::Partial).unwrap();
            assert_eq!(parsed.completed, Some(expected), "{value}");
        }
        for value in [
            json!("maybe"),
            json!(2),
            json!(""),
            json!([]),
            json!("yES"),
            json!(0.5),
        ] {
            assert_eq!(
                errors(json!({ "completed": value }), Completeness::Partial),
                json!({"completed": ["Must be a valid boolean."]}),
                "{value}"
            );
        }
    }
}

#[cfg(test)]
mod properties {
    use super::*;
    use proptest::prelude::*;

    const FIELDS: &[&str] = &[
        "id",
        "title",
        "content",
        "created_on",
        "due_date",
        "completed",
    ];

    proptest! {
        #![proptest_config(fuzz_strategies::config())]

        /// Any object: valid fields within their bounds, or field errors; never a panic.
        #[test]
        fn any_body_validates_or_reports(body in fuzz_strategies::json_object_with_keys(FIELDS)) {
            let body = body.as_object().cloned().unwrap_or_default();
            let today = NaiveDate::from_ymd_opt(2026, 11, 23).unwrap_or_default();
            match NewTask::from_json(&body, today) {
                Ok(task) => {
                    prop_assert!(task.title.as_str().chars().count() <= MAX_TEXT_CHARS);
                    prop_assert!(!task.content.as_str().contains('\0'));
                }
                Err(errors) => prop_assert!(!errors.is_empty()),
            }
            let _ = TaskChanges::from_json(&body, Completeness::Partial);
        }
    }
}
