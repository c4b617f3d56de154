//! The `htu` comparison: RFC 3986 normalisation of both URLs.

use url::Url;

/// `raw` normalised for comparison, or `None` when it is not an absolute http(s) URL:
/// scheme and host in lower case, the default port dropped, dot segments resolved (the
/// `url` crate does these), percent-encoded unreserved characters decoded and other
/// percent-encodings in upper case; query and fragment dropped (RFC 9449 section 4.3).
/// A trailing slash stays significant.
pub(crate) fn normalize(raw: &str) -> Option<String> {
    let url = Url::parse(raw).ok()?;
    if !matches!(url.scheme(), "http" | "https")
        || url.host().is_none()
        || !url.username().is_empty()
        || url.password().is_some()
    {
        return None;
    }
    Some(format!(
        "{}{}",
        url.origin().ascii_serialization(),
        normalize_percent_encodings(url.path())
    ))
}

fn normalize_percent_encodings(path: &str) -> String {
    let bytes = path.as_bytes();
    let mut normalized = String::with_capacity(path.len());
    let mut i = 0;
    while i < bytes.len() {
        let escape = (bytes[i] == b'%')
            .then(|| path.get(i + 1..i + 3))
            .flatten()
            .and_then(|hex| u8::from_str_radix(hex, 16).ok());
        match escape {
            Some(byte) if byte.is_ascii_alphanumeric() || b"-._~".contains(&byte) => {
                normalized.push(char::from(byte));
                i += 3;
            }
            Some(byte) => {
                normalized.push_str(&format!("%{byte:02X}"));
                i += 3;
            }
            None => {
                // Not an escape: copy one character as it is.
                let ch = path[i..].chars().next().unwrap_or('\u{FFFD}');
                normalized.push(ch);
                i += ch.len_utf8();
            }
        }
    }
    normalized
}

#[cfg(test)]
mod tests {
    use super::normalize;

    #[test]
    fn equivalent_urls_normalise_alike() {
        let canonical = normalize("https://api.example.com/api/task/").unwrap();
        for equivalent in [
            "HTTPS://API.Example.COM/api/task/",
            "https://api.example.com:443/api/task/",
            "https://api.example.com/api/task/?limit=5#top",
            "https://api.example.com/%61pi/task/",
            "https://api.example.com/api/./task/",
        ] {
            assert_eq!(normalize(equivalent).unwrap(), canonical, "{equivalent}");
        }
        assert_eq!(
            normalize("http://h/a%2fb").unwrap(),
            normalize("http://h/a%2Fb").unwrap()
        );
        assert_eq!(normalize("http://h:80/").unwrap(), "http://h/");
    }

    #[test]
    fn different_urls_stay_different() {
        let canonical = normalize("https://api.example.com/api/task/").unwrap();
        for different in [
            "https://api.example.com/api/task",
            "http://api.example.com/api/task/",
            "https://api.example.com:8443/api/task/",
            "https://api.example.org/api/task/",
            "https://api.example.com/api/Task/",
            "https://api.example.com/api/task%2F",
        ] {
            assert_ne!(normalize(different).unwrap(), canonical, "{different}");
        }
        for invalid in ["/api/task/", "ftp://h/", "https://user@h/", "not a url"] {
            assert_eq!(normalize(invalid), None, "{invalid}");
        }
    }
}
