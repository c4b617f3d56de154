//! Structured logs: subscriber set-up and one log line per request with a request id.

use std::cell::RefCell;
use std::collections::HashMap;
use std::io::IsTerminal;
use std::time::Instant;

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{HeaderName, HeaderValue};
use actix_web::http::Method;
use actix_web::middleware::Next;
use actix_web::Error;
use tracing::Instrument;
use tracing_subscriber::EnvFilter;

pub const REQUEST_ID_HEADER: HeaderName = HeaderName::from_static("x-request-id");

/// Installs the global subscriber. `filter` was validated with the configuration;
/// `json` selects one JSON object per line instead of human-readable text.
pub fn init(filter: &str, json: bool) {
    let filter = EnvFilter::try_new(filter).unwrap_or_else(|_| EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(std::io::stderr().is_terminal())
        .with_writer(std::io::stderr);
    // A second initialisation (several apps in one test process) keeps the first.
    let _ = if json {
        builder.json().try_init()
    } else {
        builder.try_init()
    };
}

/// Middleware: gives every request an id (the caller's `x-request-id` when it is a
/// short token, else a new UUID), runs it inside a span carrying that id, logs one
/// line when it completes and returns the id in `x-request-id`.
///
/// Only the path is logged, never the query string or any header, so tokens stay out.
pub async fn log_request(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<impl MessageBody>, Error> {
    let request_id = req
        .headers()
        .get(&REQUEST_ID_HEADER)
        .filter(|value| is_acceptable_request_id(value.as_bytes()))
        .cloned()
        .unwrap_or_else(new_request_id);
    let span = tracing::info_span!(
        "request",
        request_id = request_id.to_str().unwrap_or_default(),
        method = %req.method(),
        path = req.path(),
        user_id = tracing::field::Empty,
    );
    let started = Instant::now();
    let outcome = next.call(req).instrument(span.clone()).await;
    let latency_ms = started.elapsed().as_secs_f64() * 1000.0;
    match outcome {
        Ok(mut response) => {
            let status = response.status().as_u16();
            span.in_scope(|| tracing::info!(status, latency_ms, "request completed"));
            if crate::metrics::enabled() {
                record(&response, status, started);
            }
            response.headers_mut().insert(REQUEST_ID_HEADER, request_id);
            Ok(response)
        }
        // Every layer below answers with a response; an error here is actix-web's own
        // and is rendered by it (the request, needed to build a response, is gone).
        Err(error) => {
            let status = error.as_response_error().status_code().as_u16();
            span.in_scope(|| tracing::info!(status, latency_ms, "request failed"));
            Err(error)
        }
    }
}

/// A new request id: a UUID v4 from the thread's own CSPRNG (`rand`'s `ThreadRng`), not
/// from the kernel. `Uuid::new_v4` makes a `getrandom` system call per request: 5% of
/// the API's CPU on a cached-token request (perf, W1).
fn new_request_id() -> HeaderValue {
    let id = uuid::Builder::from_random_bytes(rand::random()).into_uuid();
    let mut text = uuid::Uuid::encode_buffer();
    HeaderValue::from_str(id.hyphenated().encode_lower(&mut text))
        .unwrap_or(HeaderValue::from_static("unknown"))
}

/// `http_requests_total{method, route, status}` and
/// `http_request_duration_seconds{method, route}`, by route pattern (never the raw path,
/// whose ids would make a series per task) and by standard method (any other is `other`),
/// so the number of series stays bounded whatever clients send.
fn record<B>(response: &ServiceResponse<B>, status: u16, started: Instant) {
    let request = response.request();
    let method = standard_method(request.method());
    let route = request.match_pattern();
    // Building a metric's key (labels, hashing, the registry's lookup) on every request
    // cost measurable throughput; each worker thread keeps the handles it has used.
    REQUEST_METRICS.with_borrow_mut(|handles| {
        let key = (method, route, status);
        let (requests, duration) = match handles.get(&key) {
            Some(found) => found,
            None => {
                let (method, route, status) = key.clone();
                let route = route.unwrap_or_else(|| "unmatched".to_owned());
                let created = (
                    metrics::counter!("http_requests_total",
                        "method" => method, "route" => route.clone(), "status" => status.to_string()),
                    metrics::histogram!("http_request_duration_seconds",
                        "method" => method, "route" => route),
                );
                handles.entry(key).or_insert(created)
            }
        };
        requests.increment(1);
        duration.record(started.elapsed().as_secs_f64());
    });
}

type RequestMetricKey = (&'static str, Option<String>, u16);

thread_local! {
    static REQUEST_METRICS: RefCell<HashMap<RequestMetricKey, (metrics::Counter, metrics::Histogram)>> =
        RefCell::new(HashMap::new());
}

fn standard_method(method: &Method) -> &'static str {
    [
        Method::GET,
        Method::POST,
        Method::PUT,
        Method::PATCH,
        Method::DELETE,
        Method::HEAD,
        Method::OPTIONS,
        Method::TRACE,
        Method::CONNECT,
    ]
    .iter()
    .find(|standard| *standard == method)
    .map_or("other", |standard| standard.as_str())
}

fn is_acceptable_request_id(value: &[u8]) -> bool {
    (1..=64).contains(&value.len())
        && value
            .iter()
            .all(|b| b.is_ascii_alphanumeric() || b"-_.".contains(b))
}
