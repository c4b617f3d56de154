//! A row of `users`, the username a subject maps to, and what handlers receive.

use std::sync::Arc;

use actix_auth0::Claims;
use chrono::{DateTime, Utc};
use serde::Serialize;

use super::UserError;

/// Django's `username` column width.
const MAX_USERNAME_CHARS: usize = 150;

/// What the protected handlers receive (as `Principal<AuthenticatedUser>`): the mapped
/// user and the validated claims of the request's token.
#[derive(Clone, Debug)]
pub struct AuthenticatedUser {
    pub user: Arc<User>,
    pub claims: Arc<Claims>,
}

#[derive(Clone, Debug, Serialize, PartialEq, Eq, utoipa::ToSchema)]
pub struct User {
    pub id: i64,
    pub username: String,
    pub sub: Option<String>,
    pub is_active: bool,
    pub date_joined: DateTime<Utc>,
    pub last_login: Option<DateTime<Utc>>,
}

/// The username a subject maps to: `auth0|abc` becomes `auth0.abc`.
#[derive(Debug, PartialEq, Eq)]
pub struct Username(String);

impl Username {
    pub fn from_subject(sub: &str) -> Result<Self, UserError> {
        let username = sub.replace('|', ".");
        if username.chars().count() > MAX_USERNAME_CHARS {
            return Err(UserError::Refused(
                "The token subject is too long to be a username (150 characters at most).",
            ));
        }
        Ok(Self(username))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pipes_become_dots() {
        assert_eq!(
            Username::from_subject("auth0|abc123").unwrap().as_str(),
            "auth0.abc123"
        );
        assert_eq!(
            Username::from_subject("google-oauth2|1|2")
                .unwrap()
                .as_str(),
            "google-oauth2.1.2"
        );
    }

    #[test]
    fn usernames_are_limited_to_150_characters() {
        assert!(Username::from_subject(&"é".repeat(150)).is_ok());
        assert!(matches!(
            Username::from_subject(&"é".repeat(151)),
            Err(UserError::Refused(_))
        ));
    }
}
