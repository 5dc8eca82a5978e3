//! Malformed REST input gets a 400/413/404/405 JSON error in the DESIGN.md shape — never a
//! 500 or a dropped connection — and both field spellings are accepted.

use serde_json::Value;

use super::helpers::TestApp;

async fn post(app: &TestApp, path: &str, body: impl Into<reqwest::Body>) -> (u16, Value) {
    let response = app
        .http
        .post(app.url(path))
        .header("content-type", "application/json")
        .body(body)
        .send()
        .await
        .unwrap();
    (response.status().as_u16(), response.json().await.unwrap())
}

#[tokio::test]
async fn malformed_bodies_are_validation_errors() {
    let app = TestApp::spawn().await;
    for (body, needle) in [
        ("{\"email\": ", "not valid JSON"),
        ("[1, 2]", "JSON object"),
        ("{\"email\": 5}", "email"),
        ("{\"no_such_field\": true}", "no_such_field"),
        (
            "{\"email\": \"a@b.c\", \"password\": {\"x\": 1}}",
            "password",
        ),
    ] {
        let (status, error) = post(&app, "/api/v1/auth/login", body).await;
        assert_eq!(status, 400, "{body}: {error}");
        assert_eq!(error["error"]["code"], "VALIDATION_ERROR", "{body}");
        assert_eq!(error["error"]["status"], 400);
        let message = error["error"]["message"].as_str().unwrap();
        assert!(message.contains(needle), "{body}: {message}");
        assert_eq!(
            error["error"]["details"][0]["@type"],
            "type.googleapis.com/google.rpc.BadRequest"
        );
    }
}

#[tokio::test]
async fn both_field_spellings_reach_the_rpc() {
    let app = TestApp::spawn().await;
    for (n, key) in ["display_name", "displayName"].iter().enumerate() {
        let body = format!(
            r#"{{"email": "spelling{n}@example.test", "password": "correct horse battery", "{key}": "Ada"}}"#
        );
        let (status, registered) = post(&app, "/api/v1/auth/register", body).await;
        assert_eq!(status, 200, "{key}: {registered}");
        assert_eq!(registered["user"]["display_name"], "Ada", "{key}");
    }
}

#[tokio::test]
async fn oversized_bodies_get_413() {
    let app = TestApp::spawn_with(&[("JANUA_MAX_REQUEST_BYTES", "4096")]).await;
    let huge = format!("{{\"email\": \"{}\"}}", "a".repeat(64 * 1024));
    let (status, error) = post(&app, "/api/v1/auth/login", huge).await;
    assert_eq!(status, 413);
    assert_eq!(error["error"]["code"], "VALIDATION_ERROR");
}

#[tokio::test]
async fn bad_query_parameters_are_validation_errors() {
    let app = TestApp::spawn().await;
    let token = app.access_token().await;
    for query in ["page_size=lots", "unknown=1", "page_size=1&page_size=2x"] {
        let response = app
            .http
            .get(app.url(&format!("/api/v1/users?{query}")))
            .bearer_auth(&token)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 400, "{query}");
        let error: Value = response.json().await.unwrap();
        assert_eq!(error["error"]["code"], "VALIDATION_ERROR", "{query}");
    }
}

#[tokio::test]
async fn unknown_routes_and_methods_get_json_errors() {
    let app = TestApp::spawn().await;
    let response = app.http.get(app.url("/api/v1/nope")).send().await.unwrap();
    assert_eq!(response.status(), 404);
    let error: Value = response.json().await.unwrap();
    assert_eq!(error["error"]["code"], "NOT_FOUND_ERROR");

    let response = app
        .http
        .put(app.url("/api/v1/auth/login"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 405);
    let error: Value = response.json().await.unwrap();
    assert_eq!(error["error"]["status"], 405);
}
