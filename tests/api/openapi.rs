use reqwest::Method;
use serde_json::{json, Value};

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
    for field in [
        "id",
        "title",
        "content",
        "created_on",
        "due_date",
        "completed",
    ] {
        assert!(task[field].is_object(), "Task.{field}");
    }
    let bearer = &doc["components"]["securitySchemes"]["bearer"];
    assert_eq!(bearer["scheme"], "bearer");
    assert_eq!(bearer["bearerFormat"], "JWT");
    let dpop = &doc["components"]["securitySchemes"]["dpop"];
    assert_eq!(
        (&dpop["type"], &dpop["in"], &dpop["name"]),
        (&json!("apiKey"), &json!("header"), &json!("Authorization"))
    );
    assert!(dpop["description"].as_str().unwrap().contains("RFC 9449"));
    assert_eq!(
        doc["paths"]["/api/task/"]["get"]["security"],
        json!([{"bearer": []}, {"dpop": []}])
    );
    assert_eq!(
        doc["paths"]["/api/private-scoped"]["get"]["security"],
        json!([{"bearer": ["read:messages"]}, {"dpop": ["read:messages"]}])
    );
    assert!(doc["paths"]["/api/public"]["get"]["security"].is_null());
}

#[tokio::test]
async fn protected_operations_document_every_response_they_give() {
    let app = spawn_app().await;
    let doc = document(&app).await;
    for (method, path) in ROUTES {
        let operation = &doc["paths"][*path][*method];
        let responses = &operation["responses"];
        if operation["security"].is_null() {
            assert!(responses["401"].is_null(), "{method} {path}");
            continue;
        }
        for status in ["400", "401", "403", "503"] {
            assert!(responses[status].is_object(), "{method} {path}: {status}");
        }
        assert!(responses["401"]["headers"]["WWW-Authenticate"].is_object());
        assert!(responses["503"]["headers"]["Retry-After"].is_object());
        if ["post", "put", "patch"].contains(method) {
            for status in ["413", "415"] {
                assert!(responses[status].is_object(), "{method} {path}: {status}");
            }
            assert_eq!(
                responses["400"]["content"]["application/json"]["schema"]["$ref"],
                "#/components/schemas/BadRequest"
            );
        }
        if path.contains("{id}") {
            assert!(responses["404"].is_object(), "{method} {path}: 404");
        }
    }
    let scoped = &doc["paths"]["/api/private-scoped"]["get"]["responses"]["403"];
    assert!(scoped["headers"]["WWW-Authenticate"].is_object());
    let created = &doc["paths"]["/api/task/"]["post"]["responses"]["201"];
    assert!(created["headers"]["Location"].is_object());
    let listed = &doc["paths"]["/api/task/"]["get"]["responses"]["200"];
    assert!(listed["headers"]["Link"].is_object());

    let parameters = doc["paths"]["/api/task/"]["get"]["parameters"]
        .as_array()
        .unwrap();
    let bound = |name: &str, key: &str| {
        parameters.iter().find(|p| p["name"] == name).unwrap()["schema"][key].clone()
    };
    assert_eq!(
        (bound("limit", "minimum"), bound("limit", "maximum")),
        (json!(1), json!(1000))
    );
    assert_eq!(bound("offset", "minimum"), json!(0));

    // Optional is not nullable: the API refuses null for every field.
    for schema in ["TaskCreate", "TaskPatch"] {
        let properties = doc["components"]["schemas"][schema]["properties"]
            .as_object()
            .unwrap();
        for (field, property) in properties {
            if field == "completed" {
                // DRF's BooleanField: a boolean, 0 or 1, or one of its strings.
                let kinds: Vec<&Value> = property["oneOf"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|kind| &kind["type"])
                    .collect();
                assert_eq!(
                    kinds,
                    ["boolean", "integer", "string"],
                    "{schema}.completed"
                );
            } else {
                assert_eq!(property["type"], "string", "{schema}.{field}");
            }
        }
    }
    // The list's filter and order, as the API checks them.
    assert_eq!(bound("completed", "type"), json!("boolean"));
    assert_eq!(
        bound("ordering", "enum"),
        json!(["id", "-id", "due_date", "-due_date"])
    );
}
