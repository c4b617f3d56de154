//! People logging in through a single-page app, as Auth0's Universal Login does it:
//! `GET /authorize` (authorization code with PKCE S256), the login page and its
//! `POST /login`, a session cookie for silent login, and `GET /v2/logout`.
//!
//! An unknown client or a `redirect_uri` not on the list is an error page, never a
//! redirect; every other refusal goes back to the app with `error` and `state`.

use actix_web::http::header::{self, HeaderValue};
use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use serde::{Deserialize, Serialize};
use url::Url;

use crate::store::{same_secret, Grant};
use crate::token::granted_scope;
use crate::IssuerState;

const SESSION_COOKIE: &str = "dev_issuer_session";
/// Binds a login page's anti-forgery token to the browser that loaded the page.
const LOGIN_COOKIE: &str = "dev_issuer_login";
const FORGED_LOGIN: &str = "This login form was not sent by this browser's login page, or it expired: go back to the application and log in again.";
const UNKNOWN_CLIENT: &str = "Unknown client: this client_id is not an application of this tenant.";

/// `/authorize`'s parameters, as the Auth0 SPA SDK sends them; the login form carries
/// them on as hidden fields.
#[derive(Clone, Debug, Default, Deserialize, Serialize)]
pub struct AuthorizeParams {
    response_type: Option<String>,
    client_id: Option<String>,
    redirect_uri: Option<String>,
    state: Option<String>,
    nonce: Option<String>,
    code_challenge: Option<String>,
    code_challenge_method: Option<String>,
    audience: Option<String>,
    scope: Option<String>,
    prompt: Option<String>,
    response_mode: Option<String>,
    /// The thumbprint of the DPoP key the code is bound to (RFC 9449 section 10).
    dpop_jkt: Option<String>,
}

/// A request that passed the checks: where to answer and what to grant.
struct Authorization {
    redirect_uri: String,
    code_challenge: String,
    audience: String,
    scope: String,
}

/// Why `/authorize` or `/login` issues no code.
enum Refusal {
    /// The client or its redirect_uri cannot be trusted: shown here, never redirected.
    Untrusted(&'static str),
    /// Sent back to the app's redirect_uri with `error` and `state`.
    ToApp {
        redirect_uri: String,
        error: &'static str,
        description: String,
    },
}

impl Refusal {
    fn respond(self, state: &IssuerState, params: &AuthorizeParams) -> HttpResponse {
        match self {
            Refusal::Untrusted(message) => error_page(message),
            Refusal::ToApp {
                redirect_uri,
                error,
                description,
            } => answer(
                state,
                params,
                &redirect_uri,
                &[("error", error), ("error_description", &description)],
            ),
        }
    }
}

/// The trusted part first (client, redirect_uri), then the rest of the request.
fn check(state: &IssuerState, params: &AuthorizeParams) -> Result<Authorization, Refusal> {
    let spa = &state.settings.spa;
    if params.client_id.as_deref() != Some(spa.client_id.as_str()) {
        return Err(Refusal::Untrusted(UNKNOWN_CLIENT));
    }
    let redirect_uri = match &params.redirect_uri {
        Some(uri) if spa.callback_urls.contains(uri) => uri.clone(),
        _ => return Err(Refusal::Untrusted(
            "Callback URL mismatch: the redirect_uri is not in the list of allowed callback URLs.",
        )),
    };
    let refuse = |error: &'static str, description: &str| Refusal::ToApp {
        redirect_uri: redirect_uri.clone(),
        error,
        description: description.to_owned(),
    };
    if params.response_type.as_deref() != Some("code") {
        return Err(refuse(
            "unsupported_response_type",
            "Only response_type=code is supported.",
        ));
    }
    if let Some(mode) = params.response_mode.as_deref() {
        if !["query", "fragment", "web_message"].contains(&mode) {
            return Err(refuse("invalid_request", "Unsupported response_mode."));
        }
    }
    let Some(code_challenge) = params.code_challenge.clone().filter(|c| !c.is_empty()) else {
        return Err(refuse(
            "invalid_request",
            "Missing required parameter: code_challenge (PKCE is required).",
        ));
    };
    if params.code_challenge_method.as_deref() != Some("S256") {
        return Err(refuse(
            "invalid_request",
            "code_challenge_method must be S256.",
        ));
    }
    let audience = params
        .audience
        .clone()
        .unwrap_or_else(|| state.settings.audience.clone());
    if audience != state.settings.audience {
        return Err(refuse(
            "access_denied",
            &format!("Service not found: {audience}"),
        ));
    }
    Ok(Authorization {
        redirect_uri,
        code_challenge,
        audience,
        scope: params.scope.clone().unwrap_or_else(|| "openid".into()),
    })
}

/// `GET /authorize`: straight back to the app with a code when a session exists (silent
/// login), `login_required` for `prompt=none` without one, else the login page.
pub async fn authorize(
    state: web::Data<IssuerState>,
    req: HttpRequest,
    params: web::Query<AuthorizeParams>,
) -> HttpResponse {
    let params = params.into_inner();
    let authorization = match check(&state, &params) {
        Ok(authorization) => authorization,
        Err(refusal) => return refusal.respond(&state, &params),
    };
    let session = cookie(&req, SESSION_COOKIE).and_then(|id| state.store.session(&id));
    match (session, params.prompt.as_deref()) {
        (Some(user), prompt) if prompt != Some("login") => {
            issue_code(&state, &params, authorization, user)
        }
        (_, Some("none")) => answer(
            &state,
            &params,
            &authorization.redirect_uri,
            &[
                ("error", "login_required"),
                ("error_description", "Login required"),
            ],
        ),
        _ => login_page(&state, &params, &authorization),
    }
}

#[derive(Deserialize)]
pub struct LoginForm {
    /// The subject to log in as: a configured user's, or one typed on the page.
    user: String,
    /// The login page's anti-forgery token, equal to its cookie's.
    login_token: Option<String>,
    #[serde(flatten)]
    params: AuthorizeParams,
}

/// `POST /login`: the login page's choice. Opens a session and goes back to the app.
/// Only a form of a login page this browser loaded is taken (its token matches the
/// page's cookie and is used once), so another site cannot post one and log the
/// browser in as someone of its choosing.
pub async fn log_in(
    state: web::Data<IssuerState>,
    req: HttpRequest,
    form: web::Form<LoginForm>,
) -> HttpResponse {
    let LoginForm {
        user,
        login_token,
        params,
    } = form.into_inner();
    let cookie = cookie(&req, LOGIN_COOKIE);
    let genuine = match (login_token.as_deref(), cookie.as_deref()) {
        (Some(token), Some(cookie)) => {
            same_secret(token, cookie) && state.store.take_login_form(token)
        }
        _ => false,
    };
    if !genuine {
        return page(
            StatusCode::FORBIDDEN,
            "Error · dev issuer",
            &error_body(FORGED_LOGIN),
        );
    }
    let authorization = match check(&state, &params) {
        Ok(authorization) => authorization,
        Err(refusal) => return refusal.respond(&state, &params),
    };
    let sub = user.trim();
    if sub.is_empty() || sub.chars().count() > 150 || sub.chars().any(char::is_control) {
        return error_page("Type a user id such as auth0|carol (at most 150 characters).");
    }
    let user = state.user(sub);
    let session = state.store.open_session(user.clone());
    tracing::info!(sub = %user.sub, "logged in on the dev issuer's page");
    let mut response = issue_code(&state, &params, authorization, user);
    let cookie = format!("{SESSION_COOKIE}={session}; Path=/; HttpOnly; SameSite=Lax");
    if let Ok(cookie) = HeaderValue::from_str(&cookie) {
        response.headers_mut().append(header::SET_COOKIE, cookie);
    }
    response
}

#[derive(Deserialize)]
pub struct LogoutParams {
    client_id: Option<String>,
    #[serde(rename = "returnTo")]
    return_to: Option<String>,
}

/// `GET /v2/logout?client_id=&returnTo=`: ends the session, then back to `returnTo`,
/// which must be an allowed logout URL.
pub async fn log_out(
    state: web::Data<IssuerState>,
    req: HttpRequest,
    params: web::Query<LogoutParams>,
) -> HttpResponse {
    let spa = &state.settings.spa;
    if params
        .client_id
        .as_deref()
        .is_some_and(|id| id != spa.client_id)
    {
        return error_page(UNKNOWN_CLIENT);
    }
    if let Some(to) = &params.return_to {
        if !spa.logout_urls.contains(to) {
            return error_page("returnTo is not in the list of allowed logout URLs.");
        }
    }
    if let Some(id) = cookie(&req, SESSION_COOKIE) {
        state.store.close_session(&id);
    }
    let mut response = match &params.return_to {
        Some(to) => HttpResponse::Found()
            .insert_header((header::LOCATION, to.as_str()))
            .finish(),
        None => page(
            StatusCode::OK,
            "Logged out",
            "<p>You are logged out of the dev issuer.</p>",
        ),
    };
    let expired = format!("{SESSION_COOKIE}=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0");
    if let Ok(expired) = HeaderValue::from_str(&expired) {
        response.headers_mut().append(header::SET_COOKIE, expired);
    }
    response
}

fn issue_code(
    state: &IssuerState,
    params: &AuthorizeParams,
    authorization: Authorization,
    user: crate::DevUser,
) -> HttpResponse {
    let scope = granted_scope(&authorization.scope, &user.permissions);
    let grant = Grant {
        user,
        client_id: state.settings.spa.client_id.clone(),
        audience: authorization.audience,
        scope,
        jkt: params.dpop_jkt.clone().filter(|jkt| !jkt.is_empty()),
    };
    let code = state.store.issue_code(
        grant,
        authorization.redirect_uri.clone(),
        authorization.code_challenge,
        params.nonce.clone(),
    );
    answer(
        state,
        params,
        &authorization.redirect_uri,
        &[("code", &code)],
    )
}

/// Sends `fields` (and `state`) back to the app as `response_mode` says: in the query
/// (the default), the fragment, or a page that posts them to its opener (`web_message`,
/// for the SDK's hidden iframe, only to an allowed web origin).
fn answer(
    state: &IssuerState,
    params: &AuthorizeParams,
    redirect_uri: &str,
    fields: &[(&str, &str)],
) -> HttpResponse {
    let mut fields: Vec<(&str, &str)> = fields.to_vec();
    if let Some(app_state) = &params.state {
        fields.push(("state", app_state));
    }
    let Ok(mut target) = Url::parse(redirect_uri) else {
        return error_page("The redirect_uri is not a URL.");
    };
    match params.response_mode.as_deref() {
        Some("web_message") => {
            let origin = target.origin().ascii_serialization();
            if !state.settings.spa.web_origins.contains(&origin) {
                return error_page("The app's origin is not in the list of allowed web origins.");
            }
            let response: serde_json::Map<String, serde_json::Value> = fields
                .iter()
                .map(|(name, value)| ((*name).to_owned(), serde_json::Value::from(*value)))
                .collect();
            let message =
                serde_json::json!({ "type": "authorization_response", "response": response });
            // JSON in a script: `<` escaped so no value can close the element.
            let script = format!(
                "window.parent.postMessage({}, {});",
                message.to_string().replace('<', "\\u003c"),
                serde_json::Value::from(origin)
                    .to_string()
                    .replace('<', "\\u003c"),
            );
            HttpResponse::Ok()
                .content_type("text/html; charset=utf-8")
                .insert_header((header::CACHE_CONTROL, "no-store"))
                .body(format!(
                    "<!doctype html><html><body><script>{script}</script></body></html>"
                ))
        }
        mode => {
            let encoded = url::form_urlencoded::Serializer::new(String::new())
                .extend_pairs(fields)
                .finish();
            if mode == Some("fragment") {
                target.set_fragment(Some(&encoded));
            } else {
                let query = match target.query() {
                    Some(existing) if !existing.is_empty() => format!("{existing}&{encoded}"),
                    _ => encoded,
                };
                target.set_query(Some(&query));
            }
            HttpResponse::Found()
                .insert_header((header::LOCATION, target.as_str()))
                .insert_header((header::CACHE_CONTROL, "no-store"))
                .finish()
        }
    }
}

/// The value of the cookie `name`, if the request carries a non-empty one.
fn cookie(req: &HttpRequest, name: &str) -> Option<String> {
    req.headers()
        .get_all(header::COOKIE)
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(cookie, _)| *cookie == name)
        .map(|(_, value)| value.to_owned())
        .filter(|value| !value.is_empty())
}

/// The login page: plain HTML, one button per configured user, a field for any user id,
/// the scopes asked for, and a banner saying what this is.
fn login_page(
    state: &IssuerState,
    params: &AuthorizeParams,
    authorization: &Authorization,
) -> HttpResponse {
    let login_token = state.store.issue_login_form();
    let hidden = carried_params(params)
        .into_iter()
        .chain([("login_token".to_owned(), login_token.clone())])
        .map(|(name, value)| {
            format!(
                r#"<input type="hidden" name="{}" value="{}">"#,
                escape(&name),
                escape(&value)
            )
        })
        .collect::<String>();
    let users = state
        .settings
        .users
        .iter()
        .map(|user| {
            let permissions = if user.permissions.is_empty() {
                "no permissions".to_owned()
            } else {
                user.permissions.join(", ")
            };
            format!(
                r#"<li><button type="submit" name="user" value="{sub}">Log in as {name}</button> <span class="detail">{sub} · {email} · {permissions}</span></li>"#,
                sub = escape(&user.sub),
                name = escape(&user.name),
                email = escape(&user.email),
                permissions = escape(&permissions),
            )
        })
        .collect::<String>();
    let scopes = authorization
        .scope
        .split_whitespace()
        .map(|scope| format!("<li><code>{}</code></li>", escape(scope)))
        .collect::<String>();
    let body = format!(
        r#"<p class="banner" role="note"><strong>Development stand-in for an Auth0 tenant.</strong> Anyone can log in as anyone here; never use it in production.</p>
<h1>Log in to {client}</h1>
<p>The application asks for these scopes on <code>{audience}</code>:</p>
<ul class="scopes">{scopes}</ul>
<form method="post" action="/login">{hidden}
<fieldset><legend>Choose a user</legend><ul class="users">{users}</ul></fieldset>
</form>
<form method="post" action="/login">{hidden}
<label for="user-id">Or type a user id</label>
<input id="user-id" name="user" required maxlength="150" placeholder="auth0|carol" autocomplete="off">
<button type="submit">Log in</button>
</form>"#,
        client = escape(&state.settings.spa.client_id),
        audience = escape(&authorization.audience),
    );
    let mut response = page(StatusCode::OK, "Log in · dev issuer", &body);
    // Strict: sent with the page's own form post, never with another site's.
    let cookie = format!("{LOGIN_COOKIE}={login_token}; Path=/login; HttpOnly; SameSite=Strict");
    if let Ok(cookie) = HeaderValue::from_str(&cookie) {
        response.headers_mut().append(header::SET_COOKIE, cookie);
    }
    response
}

/// A refusal shown on the issuer's own page (400).
pub fn error_page(message: &str) -> HttpResponse {
    page(
        StatusCode::BAD_REQUEST,
        "Error · dev issuer",
        &error_body(message),
    )
}

fn error_body(message: &str) -> String {
    format!(
        r#"<p class="banner" role="note"><strong>Development stand-in for an Auth0 tenant.</strong></p><h1>Something is wrong with this request</h1><p role="alert" id="error">{}</p>"#,
        escape(message)
    )
}

fn page(status: StatusCode, title: &str, body: &str) -> HttpResponse {
    HttpResponse::build(status)
        .content_type("text/html; charset=utf-8")
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .insert_header((header::X_FRAME_OPTIONS, "DENY"))
        .body(format!(
            r#"<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>{title}</title><style>
body{{font-family:system-ui,sans-serif;max-width:40rem;margin:2rem auto;padding:0 1rem;line-height:1.5}}
.banner{{background:#fff3cd;border:1px solid #d39e00;padding:.5rem 1rem;border-radius:.25rem}}
ul{{padding-left:1.2rem}} .users{{list-style:none;padding:0}} .users li{{margin:.5rem 0}}
button{{font:inherit;padding:.3rem .8rem;cursor:pointer}} button:focus,input:focus{{outline:3px solid #1a73e8}}
.detail{{color:#555;font-size:.9em}} fieldset{{border:1px solid #ccc;margin:1rem 0}} input{{font:inherit;padding:.25rem}}
</style></head><body><main>{body}</main></body></html>"#,
            title = escape(title),
        ))
}

/// The non-empty parameters, by name, to carry through the login form.
fn carried_params(params: &AuthorizeParams) -> Vec<(String, String)> {
    let value = serde_json::to_value(params).unwrap_or_default();
    value
        .as_object()
        .map(|object| {
            object
                .iter()
                .filter_map(|(name, value)| Some((name.clone(), value.as_str()?.to_owned())))
                .collect()
        })
        .unwrap_or_default()
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&#39;")
}
