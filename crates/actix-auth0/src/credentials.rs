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
///
/// Works on the header's bytes, so each byte of the token is read once, by the b64token
/// check: a b64token is visible ASCII. A value that is not visible ASCII throughout
/// (`HeaderValue::to_str` fails) carries no credentials, whatever else is wrong with it.
pub(crate) fn extract(
    headers: &HeaderMap,
    dpop: bool,
) -> Result<Credentials, (AuthError, Option<Scheme>)> {
    let mut values = headers.get_all(AUTHORIZATION);
    let missing = (AuthError::MissingCredentials, None);
    let header = values.next().ok_or(missing.clone())?;
    if values.next().is_some() {
        return Err((
            AuthError::InvalidRequest("Multiple Authorization headers were sent."),
            None,
        ));
    }
    let value = header.as_bytes();
    let (scheme, credentials) = match value.iter().position(|&b| b == b' ') {
        Some(space) => (&value[..space], &value[space + 1..]),
        None => (value, &value[value.len()..]),
    };
    // Auth scheme names are case-insensitive (RFC 7235 section 2.1).
    let scheme = if scheme.eq_ignore_ascii_case(b"bearer") {
        Scheme::Bearer
    } else if dpop && scheme.eq_ignore_ascii_case(b"dpop") {
        Scheme::Dpop
    } else {
        return Err(missing);
    };
    let token = trim_spaces(credentials);
    if token.is_empty() {
        return Err(missing);
    }
    let invalid = |reason| match header.to_str() {
        Ok(_) => Err((AuthError::InvalidToken(reason), Some(scheme))),
        Err(_) => Err(missing.clone()),
    };
    if token.len() > MAX_TOKEN_BYTES {
        return invalid("Token is too large.");
    }
    if !is_b64token(token) {
        return invalid("Token is malformed.");
    }
    Ok(Credentials {
        scheme,
        // Never lossy: a b64token is ASCII.
        token: Bearer::new(String::from_utf8_lossy(token).into_owned()),
    })
}

fn trim_spaces(bytes: &[u8]) -> &[u8] {
    let start = bytes.iter().position(|&b| b != b' ').unwrap_or(bytes.len());
    let end = bytes
        .iter()
        .rposition(|&b| b != b' ')
        .map_or(start, |last| last + 1);
    &bytes[start..end]
}

/// The bytes of a b64token's body: `ALPHA / DIGIT / "-" / "." / "_" / "~" / "+" / "/"`.
const B64TOKEN_BYTES: [bool; 256] = {
    let mut table = [false; 256];
    let mut byte = 0;
    while byte < 256 {
        let b = byte as u8;
        table[byte] =
            b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~' | b'+' | b'/');
        byte += 1;
    }
    table
};

/// `b64token = 1*( ALPHA / DIGIT / "-" / "." / "_" / "~" / "+" / "/" ) *"="`
fn is_b64token(token: &[u8]) -> bool {
    let body_len = token
        .iter()
        .rposition(|&b| b != b'=')
        .map_or(0, |last| last + 1);
    body_len > 0
        && token[..body_len]
            .iter()
            .all(|&b| B64TOKEN_BYTES[b as usize])
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
    fn a_value_that_is_not_visible_ascii_carries_no_credentials() {
        for value in [
            &b"Bearer a.b\xc3\xbc"[..],
            &[b"Bearer \xff".as_slice(), &[b'a'; MAX_TOKEN_BYTES]].concat(),
        ] {
            let mut map = HeaderMap::new();
            map.insert(AUTHORIZATION, HeaderValue::from_bytes(value).unwrap());
            assert!(
                matches!(
                    extract(&map, true),
                    Err((AuthError::MissingCredentials, None))
                ),
                "{value:?}"
            );
        }
    }

    #[test]
    fn spaces_around_the_token_are_ignored_and_tabs_are_not() {
        assert_eq!(token(&["Bearer   a.b.c  "]).unwrap(), "a.b.c");
        assert!(matches!(
            token(&["Bearer a.b.c\t"]),
            Err(AuthError::InvalidToken(_))
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
                prop_assert!(is_b64token(credentials.token.token().as_bytes()));
            }
        }
    }
}
