use reqwest::Method;

use crate::helpers::*;

const ANGULAR: &str = "http://localhost:4200";

#[tokio::test]
async fn preflight_from_the_allowed_origin_passes_without_authentication() {
    let app = spawn_app().await;
    let response = app
        .client
        .request(Method::OPTIONS, app.url("/api/task/"))
        .header("Origin", ANGULAR)
        .header("Access-Control-Request-Method", "POST")
        .header(
            "Access-Control-Request-Headers",
            "authorization,content-type,dpop",
        )
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let headers = response.headers();
    assert_eq!(headers["access-control-allow-origin"], ANGULAR);
    let methods = headers["access-control-allow-methods"]
        .to_str()
        .unwrap()
        .to_uppercase();
    for method in ["GET", "POST", "PUT", "PATCH", "DELETE"] {
        assert!(methods.contains(method), "{methods}");
    }
    let allowed = headers["access-control-allow-headers"]
        .to_str()
        .unwrap()
        .to_lowercase();
    assert!(
        ["authorization", "content-type", "dpop"]
            .iter()
            .all(|header| allowed.contains(header)),
        "{allowed}"
    );
}

#[tokio::test]
async fn the_app_may_read_challenges_and_dpop_nonces() {
    let app = spawn_app().await;
    let response = app
        .get("/api/task/")
        .header("Origin", ANGULAR)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 401);
    let exposed = response.headers()["access-control-expose-headers"]
        .to_str()
        .unwrap()
        .to_lowercase();
    for header in ["www-authenticate", "dpop-nonce", "link", "location"] {
        assert!(exposed.contains(header), "{header} in {exposed}");
    }
}

#[tokio::test]
async fn preflight_from_another_origin_gets_no_allow_origin() {
    let app = spawn_app().await;
    let response = app
        .client
        .request(Method::OPTIONS, app.url("/api/task/"))
        .header("Origin", "http://evil.example")
        .header("Access-Control-Request-Method", "POST")
        .send()
        .await
        .unwrap();
    assert!(response
        .headers()
        .get("access-control-allow-origin")
        .is_none());
}

#[tokio::test]
async fn error_responses_carry_cors_headers_for_the_allowed_origin() {
    let app = spawn_app().await;
    let token = app.issuer.token("auth0|cors");
    let unauthorized = app
        .get("/api/task/")
        .header("Origin", ANGULAR)
        .send()
        .await
        .unwrap();
    let forbidden = app
        .get_as("/api/private-scoped", &token)
        .header("Origin", ANGULAR)
        .send()
        .await
        .unwrap();
    let not_found = app
        .get_as("/api/task/999/", &token)
        .header("Origin", ANGULAR)
        .send()
        .await
        .unwrap();
    for (response, status) in [(unauthorized, 401), (forbidden, 403), (not_found, 404)] {
        assert_eq!(response.status(), status);
        assert_eq!(response.headers()["access-control-allow-origin"], ANGULAR);
    }
}

#[tokio::test]
async fn other_origins_get_no_allow_origin_on_ordinary_requests() {
    let app = spawn_app().await;
    let response = app
        .get("/api/public")
        .header("Origin", "http://evil.example")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert!(response
        .headers()
        .get("access-control-allow-origin")
        .is_none());
}
