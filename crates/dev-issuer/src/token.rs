//! `POST /oauth/token` (client credentials, authorization code with PKCE, rotating refresh
//! tokens) and `GET /userinfo`, with Auth0's JSON errors.

use std::time::{SystemTime, UNIX_EPOCH};

use actix_web::http::header::{self, HeaderMap, HeaderName};
use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse, ResponseError};
use jsonwebtoken::{Algorithm, Validation};
use serde::Deserialize;
use serde_json::{json, Value};

use actix_auth0::Scheme;

use crate::store::{same_secret, Grant, RefreshError};
use crate::IssuerState;

/// The scopes an OpenID client may ask for besides the API's permissions.
const OIDC_SCOPES: &[&str] = &["openid", "profile", "email", "offline_access"];

/// An OAuth error as Auth0 answers it: `{"error": ..., "error_description": ...}`.
#[derive(Debug, thiserror::Error)]
#[error("{error}: {description}")]
pub struct OAuthError {
    status: StatusCode,
    error: &'static str,
    description: String,
    /// A header the error needs, such as `DPoP-Nonce` or `WWW-Authenticate`.
    header: Option<(HeaderName, String)>,
}

impl OAuthError {
    pub fn new(status: StatusCode, error: &'static str, description: impl Into<String>) -> Self {
        Self {
            status,
            error,
            description: description.into(),
            header: None,
        }
    }

    pub fn with_header(mut self, name: HeaderName, value: String) -> Self {
        self.header = Some((name, value));
        self
    }

    fn invalid_request(description: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "invalid_request", description)
    }

    fn invalid_grant(description: impl Into<String>) -> Self {
        Self::new(StatusCode::FORBIDDEN, "invalid_grant", description)
    }

    fn unauthorized_client(description: impl Into<String>) -> Self {
        Self::new(StatusCode::FORBIDDEN, "unauthorized_client", description)
    }
}

impl ResponseError for OAuthError {
    fn status_code(&self) -> StatusCode {
        self.status
    }

    fn error_response(&self) -> HttpResponse {
        let mut response = HttpResponse::build(self.status);
        response.insert_header((header::CACHE_CONTROL, "no-store"));
        if let Some((name, value)) = &self.header {
            response.insert_header((name.clone(), value.as_str()));
        }
        response.json(json!({ "error": self.error, "error_description": self.description }))
    }
}

/// A list given as one space-separated string or as an array.
#[derive(Deserialize)]
#[serde(untagged)]
enum Words {
    Spaced(String),
    List(Vec<String>),
}

impl Words {
    fn into_vec(self) -> Vec<String> {
        match self {
            Words::Spaced(words) => words.split_whitespace().map(str::to_owned).collect(),
            Words::List(words) => words,
        }
    }
}

/// Auth0's token request, every grant's fields, plus two development extensions of the
/// client-credentials grant: `sub` (a user-like subject such as `auth0|alice`) and
/// `permissions` (Auth0 RBAC's claim).
#[derive(Deserialize)]
pub struct TokenRequest {
    grant_type: Option<String>,
    client_id: Option<String>,
    client_secret: Option<String>,
    audience: Option<String>,
    scope: Option<Words>,
    sub: Option<String>,
    permissions: Option<Words>,
    code: Option<String>,
    code_verifier: Option<String>,
    redirect_uri: Option<String>,
    refresh_token: Option<String>,
}

pub async fn token(
    state: web::Data<IssuerState>,
    req: HttpRequest,
    body: actix_web::Either<web::Json<TokenRequest>, web::Form<TokenRequest>>,
) -> Result<HttpResponse, OAuthError> {
    let request = match body {
        actix_web::Either::Left(json) => json.into_inner(),
        actix_web::Either::Right(form) => form.into_inner(),
    };
    let url = format!("{}oauth/token", state.issuer);
    let proof_key = state
        .dpop
        .proof_key(req.headers(), "POST", &url, None)
        .await?;
    match request.grant_type.as_deref().unwrap_or_default() {
        "client_credentials" => client_credentials(&state, request, proof_key),
        "authorization_code" => authorization_code(&state, request, proof_key),
        "refresh_token" => refresh_token(&state, request, proof_key),
        other => Err(OAuthError::new(
            StatusCode::BAD_REQUEST,
            "unsupported_grant_type",
            format!("Unsupported grant type: {other}"),
        )),
    }
}

fn client_credentials(
    state: &IssuerState,
    request: TokenRequest,
    proof_key: Option<String>,
) -> Result<HttpResponse, OAuthError> {
    let settings = &state.settings;
    let (Some(client_id), Some(client_secret), Some(audience)) =
        (request.client_id, request.client_secret, request.audience)
    else {
        return Err(OAuthError::invalid_request(
            "Missing required parameter: client_id, client_secret and audience are required",
        ));
    };
    // The secret is compared in constant time, so timing tells nothing of its bytes.
    if client_id != settings.client_id || !same_secret(&client_secret, &settings.client_secret) {
        return Err(OAuthError::new(
            StatusCode::UNAUTHORIZED,
            "access_denied",
            "Unauthorized",
        ));
    }
    if audience != settings.audience {
        return Err(OAuthError::new(
            StatusCode::FORBIDDEN,
            "access_denied",
            format!("Service not enabled within domain: {audience}"),
        ));
    }
    let scope = request
        .scope
        .map(Words::into_vec)
        .unwrap_or_default()
        .join(" ");
    let now = now();
    let mut claims = json!({
        "iss": state.issuer,
        "sub": request.sub.clone().unwrap_or_else(|| format!("{client_id}@clients")),
        "aud": audience,
        "iat": now,
        "exp": now + settings.token_ttl_secs,
        "azp": client_id,
        "scope": scope,
    });
    if request.sub.is_none() {
        claims["gty"] = json!("client-credentials");
    }
    if let Some(permissions) = request.permissions {
        claims["permissions"] = json!(permissions.into_vec());
    }
    let token_type = bind_to(&mut claims, proof_key.as_deref());
    let mut response = json!({
        "access_token": sign(state, &claims)?,
        "token_type": token_type,
        "expires_in": settings.token_ttl_secs,
    });
    if !scope.is_empty() {
        response["scope"] = json!(scope);
    }
    Ok(no_store(response))
}

fn authorization_code(
    state: &IssuerState,
    request: TokenRequest,
    proof_key: Option<String>,
) -> Result<HttpResponse, OAuthError> {
    let (Some(client_id), Some(code), Some(verifier), Some(redirect_uri)) = (
        request.client_id,
        request.code,
        request.code_verifier,
        request.redirect_uri,
    ) else {
        return Err(OAuthError::invalid_request(
            "Missing required parameter: client_id, code, code_verifier and redirect_uri are required",
        ));
    };
    spa_client(state, &client_id)?;
    if !is_pkce_verifier(&verifier) {
        return Err(OAuthError::invalid_request(
            "code_verifier must be 43 to 128 characters of A-Z, a-z, 0-9, '-', '.', '_' and '~' (RFC 7636)",
        ));
    }
    let pending = state
        .store
        .take_code(&code)
        .ok_or_else(|| OAuthError::invalid_grant("Invalid authorization code"))?;
    if pending.grant.client_id != client_id || pending.redirect_uri != redirect_uri {
        return Err(OAuthError::invalid_grant(
            "The authorization code was issued to another client or redirect_uri",
        ));
    }
    if pkce_challenge(&verifier) != pending.code_challenge {
        return Err(OAuthError::invalid_grant("Failed to verify code verifier"));
    }
    let grant = bound(pending.grant, proof_key)?;
    let refresh = grant
        .has_scope("offline_access")
        .then(|| state.store.issue_refresh_token(grant.clone()));
    user_tokens(state, &grant, pending.nonce.as_deref(), refresh)
}

fn refresh_token(
    state: &IssuerState,
    request: TokenRequest,
    proof_key: Option<String>,
) -> Result<HttpResponse, OAuthError> {
    let (Some(client_id), Some(token)) = (request.client_id, request.refresh_token) else {
        return Err(OAuthError::invalid_request(
            "Missing required parameter: client_id and refresh_token are required",
        ));
    };
    spa_client(state, &client_id)?;
    // A bound refresh token is checked against the proof before it is rotated, so a
    // thief without the key cannot use it up.
    if let Some(grant) = state.store.refresh_grant(&token) {
        bound(grant, proof_key)?;
    }
    let (grant, replacement) =
        state
            .store
            .rotate_refresh_token(&token)
            .map_err(|err| match err {
                RefreshError::Unknown => {
                    OAuthError::invalid_grant("Unknown or invalid refresh token.")
                }
                RefreshError::Reused => {
                    tracing::warn!(
                        "a rotated refresh token was presented again: its family is revoked"
                    );
                    OAuthError::invalid_grant("Unknown or invalid refresh token.")
                }
            })?;
    if grant.client_id != client_id {
        return Err(OAuthError::invalid_grant(
            "The refresh token was issued to another client",
        ));
    }
    user_tokens(state, &grant, None, Some(replacement))
}

/// `grant` bound to the proof's key: a grant bound already (a code of `dpop_jkt`, a
/// bound refresh token) needs a proof by its key; an unbound one is bound to the
/// proof's key, if there is a proof.
fn bound(mut grant: Grant, proof_key: Option<String>) -> Result<Grant, OAuthError> {
    match (&grant.jkt, proof_key) {
        (Some(_), None) => Err(crate::dpop::invalid_proof(
            "A DPoP proof is required: this grant is bound to a key.",
        )),
        (Some(jkt), Some(key)) if *jkt != key => Err(OAuthError::invalid_grant(
            "This grant is bound to another DPoP key.",
        )),
        (Some(_), Some(_)) => Ok(grant),
        (None, key) => {
            grant.jkt = key;
            Ok(grant)
        }
    }
}

/// Binds an access token's `claims` to the DPoP key `jkt` (`cnf.jkt`), if any; the
/// `token_type` to answer.
fn bind_to(claims: &mut Value, jkt: Option<&str>) -> &'static str {
    match jkt {
        Some(jkt) => {
            claims["cnf"] = json!({ "jkt": jkt });
            "DPoP"
        }
        None => "Bearer",
    }
}

/// Only the single-page app may use the user grants.
fn spa_client(state: &IssuerState, client_id: &str) -> Result<(), OAuthError> {
    if client_id == state.settings.spa.client_id {
        Ok(())
    } else {
        Err(OAuthError::unauthorized_client(format!(
            "Client {client_id:?} is not authorized for this grant type"
        )))
    }
}

/// The scopes to grant of those requested: OpenID's, and the API's that the user holds
/// as permissions.
pub fn granted_scope(requested: &str, permissions: &[String]) -> String {
    let mut granted: Vec<&str> = Vec::new();
    for scope in requested.split_whitespace() {
        let allowed = OIDC_SCOPES.contains(&scope) || permissions.iter().any(|p| p == scope);
        if allowed && !granted.contains(&scope) {
            granted.push(scope);
        }
    }
    granted.join(" ")
}

/// Auth0's answer to a user grant: an access token for the API (and `/userinfo` when
/// `openid` was granted) with the user's permissions, an ID token for the client, and the
/// refresh token, if any.
fn user_tokens(
    state: &IssuerState,
    grant: &Grant,
    nonce: Option<&str>,
    refresh_token: Option<String>,
) -> Result<HttpResponse, OAuthError> {
    let ttl = state.settings.browser_token_ttl_secs;
    let now = now();
    let openid = grant.has_scope("openid");
    let audience = if openid {
        json!([grant.audience, state.userinfo_audience()])
    } else {
        json!(grant.audience)
    };
    let mut access = json!({
        "iss": state.issuer, "sub": grant.user.sub, "aud": audience,
        "iat": now, "exp": now + ttl, "azp": grant.client_id,
        "scope": grant.scope, "permissions": grant.user.permissions,
    });
    let token_type = bind_to(&mut access, grant.jkt.as_deref());
    let mut response = json!({
        "access_token": sign(state, &access)?,
        "token_type": token_type,
        "expires_in": ttl,
        "scope": grant.scope,
    });
    if openid {
        let mut id = json!({
            "iss": state.issuer, "sub": grant.user.sub, "aud": grant.client_id,
            "iat": now, "exp": now + ttl,
            "name": grant.user.name, "nickname": grant.user.name,
            "email": grant.user.email, "email_verified": true,
        });
        if let Some(nonce) = nonce {
            id["nonce"] = json!(nonce);
        }
        response["id_token"] = json!(sign(state, &id)?);
    }
    if let Some(refresh_token) = refresh_token {
        response["refresh_token"] = json!(refresh_token);
    }
    Ok(no_store(response))
}

/// `GET /userinfo`: the profile of the user an access token with `openid` names, sent
/// as `Bearer`, or as `DPoP` with a proof when it is bound to a key.
pub async fn userinfo(state: web::Data<IssuerState>, req: HttpRequest) -> HttpResponse {
    let refused = |description: &str| {
        HttpResponse::Unauthorized()
            .insert_header((
                header::WWW_AUTHENTICATE,
                format!(r#"Bearer error="invalid_token", error_description="{description}""#),
            ))
            .json(json!({ "error": "invalid_token", "error_description": description }))
    };
    let Some((scheme, token)) = access_token(req.headers()) else {
        return refused("Missing access token");
    };
    let mut validation = Validation::new(Algorithm::RS256);
    validation.set_issuer(&[&state.issuer]);
    validation.set_audience(&[state.userinfo_audience()]);
    let Ok(claims) = state.key.verify::<Value>(token, &validation) else {
        return refused("Invalid access token");
    };
    match (scheme, claims["cnf"]["jkt"].as_str()) {
        (Scheme::Bearer, None) => {}
        (Scheme::Bearer, Some(_)) => {
            return refused("The token is bound to a key: send it as DPoP with a proof")
        }
        (Scheme::Dpop, None) => return refused("The token is not bound to a key"),
        (Scheme::Dpop, Some(jkt)) => {
            let url = state.userinfo_audience();
            match state
                .dpop
                .proof_key(req.headers(), "GET", &url, Some(token))
                .await
            {
                Err(err) => return err.error_response(),
                Ok(None) => {
                    return crate::dpop::invalid_proof("DPoP proof required").error_response()
                }
                Ok(Some(key)) if key != jkt => {
                    return refused("The DPoP proof's key is not the token's")
                }
                Ok(Some(_)) => {}
            }
        }
    }
    let user = state.user(claims["sub"].as_str().unwrap_or_default());
    HttpResponse::Ok()
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .json(json!({
            "sub": user.sub, "name": user.name, "nickname": user.name,
            "email": user.email, "email_verified": true,
        }))
}

/// The access token of `Authorization: Bearer ...` or `Authorization: DPoP ...`.
fn access_token(headers: &HeaderMap) -> Option<(Scheme, &str)> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    let scheme = if scheme.eq_ignore_ascii_case("bearer") {
        Scheme::Bearer
    } else if scheme.eq_ignore_ascii_case("dpop") {
        Scheme::Dpop
    } else {
        return None;
    };
    Some((scheme, token.trim()))
}

/// RFC 7636 section 4.1: `code-verifier = 43*128unreserved`.
pub fn is_pkce_verifier(verifier: &str) -> bool {
    (43..=128).contains(&verifier.len())
        && verifier
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-._~".contains(&b))
}

/// PKCE S256: BASE64URL(SHA-256(verifier)).
pub fn pkce_challenge(verifier: &str) -> String {
    use base64::Engine;
    let digest = ring::digest::digest(&ring::digest::SHA256, verifier.as_bytes());
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(digest.as_ref())
}

fn sign(state: &IssuerState, claims: &Value) -> Result<String, OAuthError> {
    state.key.sign(claims).map_err(|err| {
        OAuthError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "server_error",
            err.to_string(),
        )
    })
}

fn no_store(body: Value) -> HttpResponse {
    HttpResponse::Ok()
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .json(body)
}

fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |elapsed| elapsed.as_secs())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_s256_challenge_is_rfc_7636s() {
        // RFC 7636, appendix B.
        assert_eq!(
            pkce_challenge("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"),
            "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
        );
    }

    #[test]
    fn pkce_verifiers_follow_rfc_7636() {
        let unreserved = "aZ09-._~";
        assert!(is_pkce_verifier(&"a".repeat(43)));
        assert!(is_pkce_verifier(&"a".repeat(128)));
        assert!(is_pkce_verifier(&unreserved.repeat(6)));
        for bad in [
            "a".repeat(42),
            "a".repeat(129),
            format!("{}+", "a".repeat(43)),
            format!("{} ", "a".repeat(43)),
            format!("{}é", "a".repeat(43)),
        ] {
            assert!(!is_pkce_verifier(&bad), "{bad:?}");
        }
    }

    #[test]
    fn only_oidc_scopes_and_held_permissions_are_granted() {
        let permissions = vec!["read:messages".to_owned()];
        assert_eq!(
            granted_scope(
                "openid profile read:messages write:messages offline_access openid",
                &permissions
            ),
            "openid profile read:messages offline_access"
        );
        assert_eq!(granted_scope("read:messages", &[]), "");
    }
}
