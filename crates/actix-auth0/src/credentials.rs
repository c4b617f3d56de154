//! Reading the credentials from the `Authorization` header (RFC 6750 section 2.1, RFC
//! 9449 section 7.1).
//!
//! Only the header is consulted: a token in the query string or body is ignored.

use actix_web::http::header::{HeaderMap, AUTHORIZATION};
use actix_web_httpauth::headers::authorization::Bearer;

use crate::{AuthError, Scheme};

/// Tokens longer than this are refused before any parsing or hashing. Auth0's access
/// tokens are a few KiB even with many permissions.
pub const MAX_TOKEN_BYTES: usize = 16 * 1024;

/// A token and the scheme it came with. The token is held in actix-web-httpauth's
/// `Bearer`, whose `Debug` prints `******`, so it is safe in code that may log it.
#[derive(Debug)]
pub(crate) struct Credentials {
    pub scheme: Scheme,
    pub token: Bearer,
}

/// Extracts the credentials of scheme `Bearer`, or also `DPoP` when `dpop` is on. An
/// error comes with the scheme the client used, for the challenge.
pub(crate) fn extract(
    headers: &HeaderMap,
    dpop: bool,
) -> Result<Credentials, (AuthError, Option<Scheme>)> {
    let mut values = headers.get_all(AUTHORIZATION);
    let missing = (AuthError::MissingCredentials, None);
    let value = values.next().ok_or(missing.clone())?;
    if values.next().is_some() {
        return Err((
            AuthError::InvalidRequest("Multiple Authorization headers were sent."),
            None,
        ));
    }
    let value = value.to_str().map_err(|_| missing.clone())?;
    let (scheme, credentials) = value.split_once(' ').unwrap_or((value, ""));
    // Auth scheme names are case-insensitive (RFC 7235 section 2.1).
    let scheme = if scheme.eq_ignore_ascii_case("bearer") {
        Scheme::Bearer
    } else if dpop && scheme.eq_ignore_ascii_case("dpop") {
        Scheme::Dpop
    } else {
        return Err(missing);
    };
    let token = credentials.trim_matches(' ');
    if token.is_empty() {
        return Err(missing);
    }
    let invalid = |reason| Err((AuthError::InvalidToken(reason), Some(scheme)));
    if token.len() > MAX_TOKEN_BYTES {
        return invalid("Token is too large.");
    }
    if !is_b64token(token) {
        return invalid("Token is malformed.");
    }
    Ok(Credentials {
        scheme,
        token: Bearer::new(token.to_owned()),
    })
}

/// `b64token = 1*( ALPHA / DIGIT / "-" / "." / "_" / "~" / "+" / "/" ) *"="`
fn is_b64token(token: &str) -> bool {
    let body = token.trim_end_matches('=');
    !body.is_empty()
        && body
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-._~+/".contains(&b))
}

#[cfg(test)]
mod tests {
    use super::*;
    use actix_web::http::header::HeaderValue;

    fn headers(values: &[&'static str]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for value in values {
            map.append(AUTHORIZATION, HeaderValue::from_static(value));
        }
        map
    }

    fn token(values: &[&'static str]) -> Result<String, AuthError> {
        extract(&headers(values), false)
            .map(|credentials| credentials.token.token().to_owned())
            .map_err(|(err, _)| err)
    }

    #[test]
    fn scheme_is_case_insensitive() {
        for value in ["Bearer a.b.c", "bearer a.b.c", "BEARER a.b.c"] {
            assert_eq!(token(&[value]).unwrap(), "a.b.c");
        }
    }

    #[test]
    fn missing_or_other_schemes_are_missing_credentials() {
        for values in [
            &[][..],
            &["Basic dXNlcjpwYXNz"],
            &["Bearer"],
            &["Bearer   "],
            &["Token a.b.c"],
        ] {
            assert!(
                matches!(token(values), Err(AuthError::MissingCredentials)),
                "{values:?}"
            );
        }
    }

    #[test]
    fn token_must_be_b64token() {
        assert!(token(&["Bearer a.b.c=="]).is_ok());
        for value in ["Bearer a b", "Bearer a,b", "Bearer ===", "Bearer a=b"] {
            assert!(
                matches!(token(&[value]), Err(AuthError::InvalidToken(_))),
                "{value}"
            );
        }
    }

    #[test]
    fn tokens_over_16_kib_are_invalid() {
        let mut map = HeaderMap::new();
        let at_limit = format!("Bearer {}", "a".repeat(MAX_TOKEN_BYTES));
        map.insert(AUTHORIZATION, HeaderValue::from_str(&at_limit).unwrap());
        assert!(extract(&map, false).is_ok());
        let over = format!("Bearer {}", "a".repeat(MAX_TOKEN_BYTES + 1));
        map.insert(AUTHORIZATION, HeaderValue::from_str(&over).unwrap());
        assert!(matches!(
            extract(&map, false),
            Err((
                AuthError::InvalidToken("Token is too large."),
                Some(Scheme::Bearer)
            ))
        ));
    }

    #[test]
    fn two_headers_are_an_invalid_request() {
        assert!(matches!(
            token(&["Bearer a.b.c", "Bearer d.e.f"]),
            Err(AuthError::InvalidRequest(_))
        ));
    }

    #[test]
    fn debug_output_hides_the_token() {
        let map = headers(&["DPoP secret.token.value"]);
        let credentials = extract(&map, true).unwrap();
        assert_eq!(credentials.scheme, Scheme::Dpop);
        assert!(!format!("{credentials:?}").contains("secret"));
    }

    #[test]
    fn the_dpop_scheme_is_taken_only_when_dpop_is_on() {
        let map = headers(&["dpop a.b.c"]);
        assert!(matches!(
            extract(&map, false),
            Err((AuthError::MissingCredentials, None))
        ));
        assert_eq!(extract(&map, true).unwrap().scheme, Scheme::Dpop);
    }
}

#[cfg(test)]
mod properties {
    use super::*;
    use actix_web::http::header::HeaderValue;
    use proptest::prelude::*;

    proptest! {
        #![proptest_config(fuzz_strategies::config())]

        /// Any header bytes: an answer, never a panic; what passes is a b64token.
        #[test]
        fn any_authorization_header_is_answered(
            values in prop::collection::vec(
                prop_oneof![
                    prop::collection::vec(any::<u8>(), 0..200),
                    "(?i:bearer) [ -~]{0,200}".prop_map(String::into_bytes),
                ],
                0..3,
            )
        ) {
            let mut headers = HeaderMap::new();
            for value in &values {
                if let Ok(value) = HeaderValue::from_bytes(value) {
                    headers.append(AUTHORIZATION, value);
                }
            }
            if let Ok(credentials) = extract(&headers, true) {
                prop_assert!(is_b64token(credentials.token.token()));
            }
        }
    }
}
