//! The list's query string: the window (`limit`, `offset`), the `completed` filter and
//! the `ordering` (DRF's OrderingFilter convention), each checked with DRF's messages,
//! all reported at once; and the query string of the next window, which keeps them.

use serde::{Deserialize, Serialize};

use crate::domain::task::parse_boolean_text;
use crate::error::{ApiError, FieldErrors};

/// Most tasks one list response carries.
pub const MAX_PAGE_SIZE: i64 = 1000;

/// `GET /api/task/`'s parameters as sent.
#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListParams {
    /// Tasks per response, 1 to 1000 (default 1000).
    #[param(value_type = Option<i64>, minimum = 1, maximum = 1000)]
    limit: Option<String>,
    /// Tasks to skip (default 0).
    #[param(value_type = Option<i64>, minimum = 0)]
    offset: Option<String>,
    /// Only done (`true`) or only open (`false`) tasks; DRF's boolean spellings
    /// (`1`/`0`, `yes`/`no`, `on`/`off`) are accepted too. Default: all.
    #[param(value_type = Option<bool>)]
    completed: Option<String>,
    /// The order: `id` (the default), `-id`, `due_date` or `-due_date` (id breaks ties).
    #[param(inline, value_type = Option<Ordering>)]
    ordering: Option<String>,
}

/// How a list is sorted.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub enum Ordering {
    #[default]
    #[serde(rename = "id")]
    Id,
    #[serde(rename = "-id")]
    IdDescending,
    #[serde(rename = "due_date")]
    DueDate,
    #[serde(rename = "-due_date")]
    DueDateDescending,
}

impl Ordering {
    const ALL: [Self; 4] = [
        Self::Id,
        Self::IdDescending,
        Self::DueDate,
        Self::DueDateDescending,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Id => "id",
            Self::IdDescending => "-id",
            Self::DueDate => "due_date",
            Self::DueDateDescending => "-due_date",
        }
    }
}

/// A checked list query.
#[derive(Debug, PartialEq, Eq)]
pub struct ListQuery {
    pub limit: i64,
    pub offset: i64,
    pub completed: Option<bool>,
    pub ordering: Ordering,
}

impl ListParams {
    /// The checked query, or every bad parameter's message.
    pub fn checked(&self) -> Result<ListQuery, ApiError> {
        let mut errors = FieldErrors::new();
        let limit = note(
            &mut errors,
            "limit",
            bound(self.limit.as_deref(), 1, MAX_PAGE_SIZE, MAX_PAGE_SIZE),
        );
        let offset = note(
            &mut errors,
            "offset",
            bound(self.offset.as_deref(), 0, i64::MAX, 0),
        );
        let completed = note(
            &mut errors,
            "completed",
            self.completed
                .as_deref()
                .map(|raw| parse_boolean_text(raw).map_err(str::to_owned))
                .transpose(),
        );
        let ordering = note(&mut errors, "ordering", ordering(self.ordering.as_deref()));
        match (limit, offset, completed, ordering) {
            (Some(limit), Some(offset), Some(completed), Some(ordering)) => Ok(ListQuery {
                limit,
                offset,
                completed,
                ordering,
            }),
            _ => Err(ApiError::Validation(errors)),
        }
    }
}

impl ListQuery {
    /// The query string of the window after this one, with the same filter and order.
    pub fn next_window(&self) -> String {
        let mut query = format!(
            "limit={}&offset={}",
            self.limit,
            self.offset.saturating_add(self.limit)
        );
        if let Some(completed) = self.completed {
            query.push_str(&format!("&completed={completed}"));
        }
        if self.ordering != Ordering::Id {
            query.push_str(&format!("&ordering={}", self.ordering.as_str()));
        }
        query
    }
}

/// `outcome`'s value, or `None` with its message noted under `field`.
fn note<T>(errors: &mut FieldErrors, field: &str, outcome: Result<T, String>) -> Option<T> {
    outcome
        .map_err(|message| errors.insert(field.to_owned(), vec![message]))
        .ok()
}

fn bound(raw: Option<&str>, min: i64, max: i64, default: i64) -> Result<i64, String> {
    let Some(raw) = raw else { return Ok(default) };
    let value: i64 = raw
        .trim()
        .parse()
        .map_err(|_| "A valid integer is required.".to_owned())?;
    if value < min {
        return Err(format!(
            "Ensure this value is greater than or equal to {min}."
        ));
    }
    if value > max {
        return Err(format!("Ensure this value is less than or equal to {max}."));
    }
    Ok(value)
}

fn ordering(raw: Option<&str>) -> Result<Ordering, String> {
    let Some(raw) = raw else {
        return Ok(Ordering::default());
    };
    Ordering::ALL
        .into_iter()
        .find(|ordering| ordering.as_str() == raw)
        // DRF's ChoiceField message.
        .ok_or_else(|| format!("\"{raw}\" is not a valid choice."))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn params(query: &str) -> Result<ListQuery, ApiError> {
        let params = actix_web::web::Query::<ListParams>::from_query(query).unwrap();
        params.checked()
    }

    #[test]
    fn defaults_are_the_whole_list_by_id() {
        assert_eq!(
            params("").unwrap(),
            ListQuery {
                limit: 1000,
                offset: 0,
                completed: None,
                ordering: Ordering::Id
            }
        );
    }

    #[test]
    fn the_next_window_keeps_filter_and_order() {
        let query = params("limit=2&completed=yes&ordering=-due_date").unwrap();
        assert_eq!(
            query.next_window(),
            "limit=2&offset=2&completed=true&ordering=-due_date"
        );
        assert_eq!(
            params("offset=5").unwrap().next_window(),
            "limit=1000&offset=1005"
        );
    }

    #[test]
    fn every_bad_parameter_is_reported() {
        let Err(ApiError::Validation(errors)) = params("limit=0&completed=maybe&ordering=title")
        else {
            panic!("bad parameters were accepted")
        };
        assert_eq!(
            errors.keys().collect::<Vec<_>>(),
            ["completed", "limit", "ordering"]
        );
        assert_eq!(errors["completed"], ["Must be a valid boolean."]);
    }
}
