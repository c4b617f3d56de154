use reqwest::Method;
use serde_json::Value;

use crate::helpers::*;

/// Every route the application registers (trailing-slash aliases aside).
const ROUTES: &[(&str, &str)] = &[
    ("get", "/healthz"),
    ("get", "/readyz"),
    ("get", "/openapi.json"),
    ("get", "/api/public"),
    ("get", "/api/private"),
    ("get", "/api/private-scoped"),
    ("get", "/api/me"),
    ("get", "/api/task/"),
    ("post", "/api/task/"),
    ("get", "/api/task/{id}/"),
    ("put", "/api/task/{id}/"),
    ("patch", "/api/task/{id}/"),
    ("delete", "/api/task/{id}/"),
];

async fn document(app: &TestApp) -> Value {
    let response = app.get("/openapi.json").send().await.unwrap();
    assert_eq!(response.status(), 200, "the document is public");
    response.json().await.unwrap()
}

#[tokio::test]
async fn every_route_is_documented_and_nothing_else() {
    let app = spawn_app().await;
    let doc = document(&app).await;
    assert!(doc["openapi"].as_str().unwrap().starts_with("3."));
    let mut documented = Vec::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for method in item.as_object().unwrap().keys() {
            if ["get", "post", "put", "patch", "delete"].contains(&method.as_str()) {
                documented.push((method.clone(), path.clone()));
            }
        }
    }
    let mut expected: Vec<(String, String)> = ROUTES
        .iter()
        .map(|(m, p)| (m.to_string(), p.to_string()))
        .collect();
    documented.sort();
    expected.sort();
    assert_eq!(documented, expected);
}

#[tokio::test]
async fn every_documented_operation_is_served() {
    let app = spawn_app().await;
    let token = app.issuer.token("auth0|doc");
    for (method, path) in ROUTES {
        let method = Method::from_bytes(method.to_uppercase().as_bytes()).unwrap();
        let response = app
            .request(method.clone(), &path.replace("{id}", "1"), &token)
            .header("Content-Type", "application/json")
            .body("{}")
            .send()
            .await
            .unwrap();
        let status = response.status().as_u16();
        assert_ne!(status, 405, "{method} {path}");
        // Task 1 does not exist, so 404 is the right answer there and only there.
        assert!(
            status != 404 || path.contains("{id}"),
            "{method} {path} is not routed"
        );
    }
}

#[tokio::test]
async fn schemas_and_security_are_described() {
    let app = spawn_app().await;
    let doc = document(&app).await;
    let schemas = &doc["components"]["schemas"];
    for name in [
        "Task",
        "TaskCreate",
        "TaskPatch",
        "ErrorDetail",
        "ValidationErrors",
        "Message",
        "User",
    ] {
        assert!(schemas[name].is_object(), "schema {name} missing");
    }
    let task = &schemas["Task"]["properties"];
    for field in ["id", "title", "content", "created_on", "due_date"] {
        assert!(task[field].is_object(), "Task.{field}");
    }
    let bearer = &doc["components"]["securitySchemes"]["bearer"];
    assert_eq!(bearer["scheme"], "bearer");
    assert_eq!(bearer["bearerFormat"], "JWT");
    assert!(doc["paths"]["/api/task/"]["get"]["security"].is_array());
    assert!(doc["paths"]["/api/public"]["get"]["security"].is_null());
}
