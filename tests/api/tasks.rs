//! The task API: CRUD, validation, ownership, pagination, request bodies.

use reqwest::Method;
use serde_json::{json, Value};

use crate::helpers::*;

struct Client<'a> {
    app: &'a TestApp,
    token: String,
}

impl<'a> Client<'a> {
    fn new(app: &'a TestApp, sub: &str) -> Self {
        Self {
            app,
            token: app.issuer.token(sub),
        }
    }

    async fn send(&self, method: Method, path: &str, body: Option<Value>) -> reqwest::Response {
        let mut request = self.app.request(method, path, &self.token);
        if let Some(body) = body {
            request = request.json(&body);
        }
        request.send().await.unwrap()
    }

    async fn call(&self, method: Method, path: &str, body: Option<Value>) -> (u16, Value) {
        status_and_json(self.send(method, path, body).await).await
    }

    async fn create(&self, title: &str) -> Value {
        let (status, task) = self
            .call(
                Method::POST,
                "/api/task/",
                Some(json!({"title": title, "content": "c"})),
            )
            .await;
        assert_eq!(status, 201, "{task}");
        task
    }
}

fn today() -> String {
    chrono::Utc::now().date_naive().to_string()
}

#[tokio::test]
async fn the_full_crud_cycle() {
    let app = spawn_app().await;
    let alice = Client::new(&app, "auth0|alice");

    let (status, list) = alice.call(Method::GET, "/api/task/", None).await;
    assert_eq!((status, list), (200, json!([])));

    let response = alice
        .send(Method::POST, "/api/task/", Some(json!({"id": 999, "title": "Workout", "content": "Run 5k", "due_date": "2026-12-01"})))
        .await;
    assert_eq!(response.status(), 201);
    let location = response.headers()["location"].to_str().unwrap().to_owned();
    let created: Value = response.json().await.unwrap();
    let id = created["id"].as_i64().unwrap();
    assert_ne!(id, 999, "a client-sent id is ignored");
    assert_eq!(location, format!("/api/task/{id}/"));
    assert_eq!(
        created,
        json!({"id": id, "title": "Workout", "content": "Run 5k", "created_on": today(), "due_date": "2026-12-01", "completed": false})
    );

    assert_eq!(
        alice.call(Method::GET, &location, None).await,
        (200, created.clone())
    );
    assert_eq!(
        alice.call(Method::GET, "/api/task/", None).await,
        (200, json!([created]))
    );

    let (status, replaced) = alice
        .call(
            Method::PUT,
            &location,
            Some(json!({"title": "Swim", "content": "1 km"})),
        )
        .await;
    assert_eq!(status, 200);
    assert_eq!(
        replaced,
        json!({"id": id, "title": "Swim", "content": "1 km", "created_on": today(), "due_date": "2026-12-01", "completed": false})
    );

    let (status, patched) = alice
        .call(
            Method::PATCH,
            &format!("/api/task/{id}"),
            Some(json!({"due_date": "2027-01-02"})),
        )
        .await;
    assert_eq!(status, 200);
    assert_eq!(patched["title"], "Swim");
    assert_eq!(patched["due_date"], "2027-01-02");

    // Ticked off, and open again; a replace that does not send it keeps it.
    for (sent, done) in [
        (json!(true), true),
        (json!("no"), false),
        (json!("on"), true),
    ] {
        let (status, ticked) = alice
            .call(Method::PATCH, &location, Some(json!({ "completed": sent })))
            .await;
        assert_eq!(
            (status, ticked["completed"].clone()),
            (200, json!(done)),
            "{sent}"
        );
    }
    let (_, replaced) = alice
        .call(
            Method::PUT,
            &location,
            Some(json!({"title": "Swim", "content": "2 km"})),
        )
        .await;
    assert_eq!(replaced["completed"], true);
    let (status, errors) = alice
        .call(
            Method::PATCH,
            &location,
            Some(json!({"completed": "maybe"})),
        )
        .await;
    assert_eq!(
        (status, errors),
        (400, json!({"completed": ["Must be a valid boolean."]}))
    );

    let response = alice.send(Method::DELETE, &location, None).await;
    assert_eq!(response.status(), 204);
    assert!(response.text().await.unwrap().is_empty());
    assert_eq!(alice.call(Method::GET, &location, None).await.0, 404);

    let created_by: Vec<String> = sqlx::query_scalar("SELECT created_by FROM tasks")
        .fetch_all(&app.db)
        .await
        .unwrap();
    assert!(created_by.is_empty());
}

#[tokio::test]
async fn paths_work_with_and_without_the_trailing_slash() {
    let app = spawn_app().await;
    let alice = Client::new(&app, "auth0|alice");
    let (status, task) = alice
        .call(
            Method::POST,
            "/api/task",
            Some(json!({"title": "t", "content": "c"})),
        )
        .await;
    assert_eq!(status, 201);
    let id = task["id"].as_i64().unwrap();
    assert_eq!(
        alice.call(Method::GET, "/api/task", None).await.1,
        json!([task])
    );
    assert_eq!(
        alice
            .call(Method::GET, &format!("/api/task/{id}"), None)
            .await
            .0,
        200
    );
    assert_eq!(
        alice
            .call(Method::GET, &format!("/api/task/{id}/"), None)
            .await
            .0,
        200
    );
}

#[tokio::test]
async fn created_by_records_the_creating_subject() {
    let app = spawn_app_with(&[("AUTH0_USER_MAPPING", "shared")]).await;
    Client::new(&app, "auth0|alice").create("a").await;
    Client::new(&app, "client-id@clients").create("b").await;
    let rows: Vec<(i64, String)> =
        sqlx::query_as("SELECT owner_id, created_by FROM tasks ORDER BY id")
            .fetch_all(&app.db)
            .await
            .unwrap();
    assert_eq!(
        rows,
        [
            (1, "auth0|alice".to_owned()),
            (1, "client-id@clients".to_owned())
        ]
    );
}

#[tokio::test]
async fn validation_messages_match_drf() {
    let app = spawn_app().await;
    let alice = Client::new(&app, "auth0|alice");
    let long = "x".repeat(51);
    let cases = [
        (
            json!({"title": long, "content": "c"}),
            json!({"title": ["Ensure this field has no more than 50 characters."]}),
        ),
        (
            json!({"title": "t"}),
            json!({"content": ["This field is required."]}),
        ),
        (
            json!({"title": "t", "content": "c", "due_date": "2026/11/23"}),
            json!({"due_date": ["Date has wrong format. Use one of these formats instead: YYYY-MM-DD."]}),
        ),
        (
            json!({"title": "", "content": "   "}),
            json!({"title": ["This field may not be blank."], "content": ["This field may not be blank."]}),
        ),
        (
            json!({"title": null, "content": 5}),
            json!({"title": ["This field may not be null."], "content": ["Not a valid string."]}),
        ),
        (
            json!({}),
            json!({"title": ["This field is required."], "content": ["This field is required."]}),
        ),
        (
            json!({"title": "a\u{0}b", "content": "c"}),
            json!({"title": ["Null characters are not allowed."]}),
        ),
    ];
    for (body, errors) in cases {
        assert_eq!(
            alice
                .call(Method::POST, "/api/task/", Some(body.clone()))
                .await,
            (400, errors),
            "{body}"
        );
    }
    assert_eq!(app.user_count().await, 2);
    let tasks: i64 = sqlx::query_scalar("SELECT count(*) FROM tasks")
        .fetch_one(&app.db)
        .await
        .unwrap();
    assert_eq!(tasks, 0, "nothing invalid was stored");
}

#[tokio::test]
async fn length_limits_count_characters_not_bytes() {
    let app = spawn_app().await;
    let alice = Client::new(&app, "auth0|alice");
    let fifty = "🦀".repeat(50);
    let (status, task) = alice
        .call(
            Method::POST,
            "/api/task/",
            Some(json!({"title": fifty, "content": "é".repeat(50)})),
        )
        .await;
    assert_eq!(status, 201);
    assert_eq!(task["title"], fifty);
    let (status, errors) = alice
        .call(
            Method::POST,
            "/api/task/",
            Some(json!({"title": "🦀".repeat(51), "content": "é".repeat(51)})),
        )
        .await;
    assert_eq!(status, 400);
    assert_eq!(
        errors,
        json!({"title": ["Ensure this field has no more than 50 characters."], "content": ["Ensure this field has no more than 50 characters."]})
    );
}

#[tokio::test]
async fn text_is_stored_verbatim() {
    let app = spawn_app().await;
    let alice = Client::new(&app, "auth0|alice");
    let title = "  Robert'); DROP TABLE tasks;--";
    let (status, task) = alice
        .call(
            Method::POST,
            "/api/task/",
            Some(json!({"title": title, "content": "%_\\' \""})),
        )
        .await;
    assert_eq!(status, 201);
    assert_eq!(task["title"], title);
    assert_eq!(task["content"], "%_\\' \"");
}

#[tokio::test]
async fn put_requires_title_and_content_but_patch_does_not() {
    let app = spawn_app().await;
    let alice = Client::new(&app, "auth0|alice");
    let id = alice.create("t").await["id"].as_i64().unwrap();
    let path = format!("/api/task/{id}/");
    assert_eq!(
        alice
            .call(Method::PUT, &path, Some(json!({"title": "only"})))
            .await,
        (400, json!({"content": ["This field is required."]}))
    );
    let (status, task) = alice
        .call(Method::PATCH, &path, Some(json!({"content": "new"})))
        .await;
    assert_eq!(
        (status, task["title"].clone(), task["content"].clone()),
        (200, json!("t"), json!("new"))
    );
    assert_eq!(
        alice
            .call(
                Method::PATCH,
                &path,
                Some(json!({"title": "x".repeat(51), "due_date": "soon"}))
            )
            .await,
        (
            400,
            json!({
                "title": ["Ensure this field has no more than 50 characters."],
                "due_date": ["Date has wrong format. Use one of these formats instead: YYYY-MM-DD."]
            })
        )
    );
}

#[tokio::test]
async fn users_cannot_see_or_change_each_others_tasks() {
    let app = spawn_app().await;
    let alice = Client::new(&app, "auth0|alice");
    let bob = Client::new(&app, "auth0|bob");
    let task = alice.create("alice's").await;
    let path = format!("/api/task/{}/", task["id"]);
    let not_found = (404, json!({"detail": "Not found."}));

    assert_eq!(
        bob.call(Method::GET, "/api/task/", None).await,
        (200, json!([]))
    );
    assert_eq!(bob.call(Method::GET, &path, None).await, not_found);
    assert_eq!(
        bob.call(
            Method::PUT,
            &path,
            Some(json!({"title": "x", "content": "y"}))
        )
        .await,
        not_found
    );
    assert_eq!(
        bob.call(Method::PATCH, &path, Some(json!({"title": "x"})))
            .await,
        not_found
    );
    assert_eq!(bob.call(Method::DELETE, &path, None).await, not_found);

    // Alice's task is untouched.
    assert_eq!(alice.call(Method::GET, &path, None).await, (200, task));
}

#[tokio::test]
async fn shared_mapping_gives_everyone_one_list() {
    let app = spawn_app_with(&[("AUTH0_USER_MAPPING", "shared")]).await;
    let alice = Client::new(&app, "auth0|alice");
    let bob = Client::new(&app, "auth0|bob");
    let task = alice.create("shared").await;
    assert_eq!(
        bob.call(Method::GET, "/api/task/", None).await,
        (200, json!([task]))
    );
    let path = format!("/api/task/{}/", task["id"]);
    assert_eq!(bob.call(Method::DELETE, &path, None).await.0, 204);
}

#[tokio::test]
async fn ids_that_cannot_name_a_task_are_404() {
    let app = spawn_app().await;
    let alice = Client::new(&app, "auth0|alice");
    for id in ["0", "-1", "abc", "99999999999999999999", "1.5", "424242"] {
        for method in [Method::GET, Method::DELETE] {
            assert_eq!(
                alice
                    .call(method.clone(), &format!("/api/task/{id}/"), None)
                    .await,
                (404, json!({"detail": "Not found."})),
                "{method} {id}"
            );
        }
        assert_eq!(
            alice
                .call(
                    Method::PATCH,
                    &format!("/api/task/{id}/"),
                    Some(json!({"title": "x"}))
                )
                .await
                .0,
            404
        );
    }
}

#[tokio::test]
async fn lists_are_windowed_with_a_next_link() {
    let app = spawn_app().await;
    let alice = Client::new(&app, "auth0|alice");
    let mut ids = Vec::new();
    for n in 0..5 {
        ids.push(
            alice.create(&format!("task {n}")).await["id"]
                .as_i64()
                .unwrap(),
        );
    }
    let page = |response: reqwest::Response| async move {
        let link = response
            .headers()
            .get("link")
            .map(|v| v.to_str().unwrap().to_owned());
        let body: Vec<Value> = response.json().await.unwrap();
        (
            body.iter()
                .map(|t| t["id"].as_i64().unwrap())
                .collect::<Vec<_>>(),
            link,
        )
    };

    let (first, link) = page(alice.send(Method::GET, "/api/task/?limit=2", None).await).await;
    assert_eq!(first, ids[..2]);
    assert_eq!(
        link.unwrap(),
        format!(
            "<http://127.0.0.1:{}/api/task/?limit=2&offset=2>; rel=\"next\"",
            app.port
        )
    );
    let (last, link) = page(
        alice
            .send(Method::GET, "/api/task/?limit=2&offset=4", None)
            .await,
    )
    .await;
    assert_eq!(last, ids[4..]);
    assert!(link.is_none(), "no next link on the last window");
    let (all, link) = page(alice.send(Method::GET, "/api/task/", None).await).await;
    assert_eq!((all, link), (ids.clone(), None));
    let (beyond, _) = page(alice.send(Method::GET, "/api/task/?offset=100", None).await).await;
    assert!(beyond.is_empty());

    // A client's forwarded headers never make the link point elsewhere.
    let forwarded = claiming_forwarded_host(
        app.get_as("/api/task/?limit=2", &alice.token),
        "evil.example",
    )
    .send()
    .await
    .unwrap();
    let (_, link) = page(forwarded).await;
    assert_eq!(
        link.unwrap(),
        format!(
            "<http://127.0.0.1:{}/api/task/?limit=2&offset=2>; rel=\"next\"",
            app.port
        )
    );
    let (most, _) = page(alice.send(Method::GET, "/api/task/?limit=1000", None).await).await;
    assert_eq!(most, ids);

    for (query, field, message) in [
        (
            "limit=0",
            "limit",
            "Ensure this value is greater than or equal to 1.",
        ),
        (
            "limit=1001",
            "limit",
            "Ensure this value is less than or equal to 1000.",
        ),
        ("limit=ten", "limit", "A valid integer is required."),
        (
            "offset=-1",
            "offset",
            "Ensure this value is greater than or equal to 0.",
        ),
    ] {
        assert_eq!(
            alice
                .call(Method::GET, &format!("/api/task/?{query}"), None)
                .await,
            (400, json!({ field: [message] })),
            "{query}"
        );
    }
}

#[tokio::test]
async fn listing_is_capped_at_a_thousand() {
    let app = spawn_app().await;
    let alice = Client::new(&app, "auth0|alice");
    alice.create("first").await;
    let owner: i64 = sqlx::query_scalar("SELECT owner_id FROM tasks")
        .fetch_one(&app.db)
        .await
        .unwrap();
    sqlx::query(
        "INSERT INTO tasks (owner_id, title, content, created_by) SELECT $1, 'bulk', 'c', 'x' FROM generate_series(1, 1000)",
    )
    .bind(owner)
    .execute(&app.db)
    .await
    .unwrap();
    let response = alice.send(Method::GET, "/api/task/", None).await;
    let link = response.headers()["link"].to_str().unwrap().to_owned();
    assert!(link.contains("limit=1000&offset=1000"), "{link}");
    let body: Vec<Value> = response.json().await.unwrap();
    assert_eq!(body.len(), 1000);
}

#[tokio::test]
async fn bad_bodies_get_drf_errors_never_500() {
    let app = spawn_app().await;
    let alice = Client::new(&app, "auth0|alice");
    let post = |content_type: &'static str, body: Vec<u8>| {
        app.request(Method::POST, "/api/task/", &alice.token)
            .header("Content-Type", content_type)
            .body(body)
            .send()
    };

    let (status, body) = status_and_json(
        post("application/json", b"{\"title\": ".to_vec())
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, 400);
    assert!(
        body["detail"]
            .as_str()
            .unwrap()
            .starts_with("JSON parse error - "),
        "{body}"
    );

    for (raw, kind) in [
        ("[1, 2]", "list"),
        ("\"text\"", "str"),
        ("42", "int"),
        ("null", "NoneType"),
        ("true", "bool"),
    ] {
        assert_eq!(
            status_and_json(
                post("application/json", raw.as_bytes().to_vec())
                    .await
                    .unwrap()
            )
            .await,
            (
                400,
                json!({"non_field_errors": [format!("Invalid data. Expected a dictionary, but got {kind}.")]})
            )
        );
    }

    assert_eq!(
        status_and_json(post("text/plain", b"{}".to_vec()).await.unwrap()).await,
        (
            415,
            json!({"detail": "Unsupported media type \"text/plain\" in request."})
        )
    );

    let mut huge = br#"{"title": "t", "content": "c", "pad": ""#.to_vec();
    huge.extend(std::iter::repeat_n(b'x', 70 * 1024));
    huge.extend(br#""}"#);
    let response = post("application/json", huge).await.unwrap();
    assert_eq!(response.headers()["content-type"], "application/json");
    let (status, body) = status_and_json(response).await;
    assert_eq!(status, 413);
    assert!(body["detail"].is_string());

    let nested = format!("{}{}", "[".repeat(10_000), "]".repeat(10_000));
    assert_eq!(
        post("application/json", nested.into_bytes())
            .await
            .unwrap()
            .status(),
        400
    );
    let invalid_utf8 = b"{\"title\": \"\xff\xfe\", \"content\": \"c\"}".to_vec();
    assert_eq!(
        post("application/json", invalid_utf8)
            .await
            .unwrap()
            .status(),
        400
    );

    let tasks: i64 = sqlx::query_scalar("SELECT count(*) FROM tasks")
        .fetch_one(&app.db)
        .await
        .unwrap();
    assert_eq!(tasks, 0);
}

#[tokio::test]
async fn the_next_link_names_the_public_url_behind_a_proxy() {
    let app = spawn_app_with(&[("PUBLIC_URL", "https://todo.example.com/v1/")]).await;
    let alice = Client::new(&app, "auth0|alice");
    for n in 0..3 {
        alice.create(&format!("task {n}")).await;
    }
    let response = alice.send(Method::GET, "/api/task/?limit=2", None).await;
    assert_eq!(
        response.headers()["link"],
        "<https://todo.example.com/v1/api/task/?limit=2&offset=2>; rel=\"next\""
    );
}

#[tokio::test]
async fn lists_filter_done_or_open_tasks_and_sort_as_asked_keeping_both_in_the_next_link() {
    let app = spawn_app().await;
    let alice = Client::new(&app, "auth0|alice");
    // id order: a b c d; due dates: c < a < d < b; done: b and c.
    let mut ids = Vec::new();
    for (title, due, done) in [
        ("a", "2030-01-02", false),
        ("b", "2030-01-09", true),
        ("c", "2030-01-01", true),
        ("d", "2030-01-05", false),
    ] {
        let body = json!({"title": title, "content": "c", "due_date": due, "completed": done});
        let (status, task) = alice.call(Method::POST, "/api/task/", Some(body)).await;
        assert_eq!((status, task["completed"].clone()), (201, json!(done)));
        ids.push(task["id"].as_i64().unwrap());
    }
    let titles = |query: &'static str| {
        let alice = &alice;
        async move {
            let (status, tasks) = alice
                .call(Method::GET, &format!("/api/task/{query}"), None)
                .await;
            assert_eq!(status, 200, "{query}: {tasks}");
            tasks
                .as_array()
                .unwrap()
                .iter()
                .map(|t| t["title"].as_str().unwrap().to_owned())
                .collect::<Vec<_>>()
        }
    };
    assert_eq!(titles("").await, ["a", "b", "c", "d"], "by id by default");
    assert_eq!(titles("?completed=true").await, ["b", "c"]);
    for open in ["false", "0", "no", "off", "False"] {
        let query: &'static str = Box::leak(format!("?completed={open}").into_boxed_str());
        assert_eq!(titles(query).await, ["a", "d"], "{open}");
    }
    assert_eq!(titles("?ordering=-id").await, ["d", "c", "b", "a"]);
    assert_eq!(titles("?ordering=due_date").await, ["c", "a", "d", "b"]);
    assert_eq!(
        titles("?ordering=-due_date&completed=yes").await,
        ["b", "c"]
    );

    // The next window keeps the filter and the order.
    let response = alice
        .send(
            Method::GET,
            "/api/task/?ordering=due_date&completed=false&limit=1",
            None,
        )
        .await;
    assert_eq!(
        response.headers()["link"],
        format!(
            "<http://127.0.0.1:{}/api/task/?limit=1&offset=1&completed=false&ordering=due_date>; rel=\"next\"",
            app.port
        )
    );
    let first: Value = response.json().await.unwrap();
    assert_eq!(first[0]["title"], "a");

    for (query, errors) in [
        (
            "?completed=maybe",
            json!({"completed": ["Must be a valid boolean."]}),
        ),
        (
            "?ordering=title",
            json!({"ordering": ["\"title\" is not a valid choice."]}),
        ),
        (
            "?ordering=due&completed=2&limit=0",
            json!({
                "completed": ["Must be a valid boolean."],
                "limit": ["Ensure this value is greater than or equal to 1."],
                "ordering": ["\"due\" is not a valid choice."],
            }),
        ),
    ] {
        assert_eq!(
            alice
                .call(Method::GET, &format!("/api/task/{query}"), None)
                .await,
            (400, errors),
            "{query}"
        );
    }
}
