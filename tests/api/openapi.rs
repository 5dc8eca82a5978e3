//! The API reference as a client meets it: `/openapi.json` describes every gateway route
//! with the security its access declaration asks for, every `$ref` in it resolves, `janua
//! openapi` prints the very same document, and `/docs` is a page whose scripts and styles
//! all come from this server, under a Content-Security-Policy that allows nothing else.

use janua::server::{gateway::RouteTable, openapi::openapi_path};
use serde_json::{Value, json};

use super::helpers::TestApp;

async fn served_document(app: &TestApp) -> (String, Value) {
    let response = app.http.get(app.url("/openapi.json")).send().await.unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["content-type"], "application/json");
    let text = response.text().await.unwrap();
    let document = serde_json::from_str(&text).unwrap();
    (text, document)
}

#[tokio::test]
async fn the_served_document_has_every_gateway_route_and_its_security() {
    let app = TestApp::spawn().await;
    let (_, document) = served_document(&app).await;
    assert_eq!(document["openapi"], "3.1.0");

    let routes = RouteTable::from_pool(&janua::proto::descriptor_pool().unwrap()).unwrap();
    let mut count = 0;
    for route in routes.routes() {
        let path = openapi_path(&route.template_source);
        let method = route.http_method.as_str().to_ascii_lowercase();
        let operation = &document["paths"][&path][&method];
        assert!(operation["operationId"].is_string(), "{method} {path}");
        assert!(operation["responses"]["200"].is_object(), "{method} {path}");
        count += 1;
    }
    assert!(count >= 70, "only {count} routes");

    let paths = &document["paths"];
    // Public: no credentials at all.
    assert_eq!(
        paths["/api/v1/auth/register"]["post"]["security"],
        json!([])
    );
    // A user's RPC: an access token; an organization's: a token or an API key.
    assert_eq!(
        paths["/api/v1/auth/me"]["get"]["security"],
        json!([{ "bearerAuth": [] }])
    );
    assert_eq!(
        paths["/api/v1/organizations/{organization_id}/members"]["get"]["security"],
        json!([{ "bearerAuth": [] }, { "apiKeyAuth": [] }])
    );
    let schemes = &document["components"]["securitySchemes"];
    assert_eq!(schemes["bearerAuth"]["scheme"], "bearer");
    assert_eq!(schemes["apiKeyAuth"]["name"], "x-api-key");
    // Comments of the contract become the documentation.
    let login = &paths["/api/v1/auth/login"]["post"];
    assert!(login["description"].as_str().unwrap().len() > 40, "{login}");
}

/// Every `"$ref"` under `value`.
fn references<'a>(value: &'a Value, out: &mut Vec<&'a str>) {
    match value {
        Value::Object(object) => {
            if let Some(Value::String(reference)) = object.get("$ref") {
                out.push(reference);
            }
            object.values().for_each(|v| references(v, out));
        }
        Value::Array(items) => items.iter().for_each(|v| references(v, out)),
        _ => {}
    }
}

#[tokio::test]
async fn every_reference_resolves_and_the_cli_prints_the_same_document() {
    let app = TestApp::spawn().await;
    let (text, document) = served_document(&app).await;
    let mut found = Vec::new();
    references(&document, &mut found);
    assert!(!found.is_empty());
    for reference in found {
        let pointer = reference.strip_prefix('#').unwrap();
        assert!(document.pointer(pointer).is_some(), "{reference} dangles");
    }

    let printed = app.janua(&["openapi"]);
    assert!(printed.status.success(), "{printed:?}");
    assert_eq!(String::from_utf8(printed.stdout).unwrap(), text);
}

/// The values of every `attribute="…"` in `html`.
fn attribute_values<'a>(html: &'a str, attribute: &str) -> Vec<&'a str> {
    let marker = format!("{attribute}=\"");
    html.match_indices(&marker)
        .filter_map(|(at, _)| {
            let rest = &html[at + marker.len()..];
            rest.find('"').map(|end| &rest[..end])
        })
        .collect()
}

#[tokio::test]
async fn docs_is_a_page_whose_assets_all_come_from_this_server() {
    let app = TestApp::spawn().await;
    let response = app.http.get(app.url("/docs")).send().await.unwrap();
    assert_eq!(response.status(), 200);
    let policy = response.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(policy.starts_with("default-src 'none'"), "{policy}");
    assert!(policy.contains("script-src 'self';"), "{policy}");
    assert!(!policy.contains("unsafe-"), "{policy}");
    let page = response.text().await.unwrap();
    assert!(!page.contains("<script>"), "inline script in {page}");

    let assets: Vec<&str> = attribute_values(&page, "src")
        .into_iter()
        .chain(attribute_values(&page, "href"))
        .collect();
    assert!(assets.len() >= 3, "{assets:?}");
    for asset in assets {
        assert!(!asset.contains("//"), "{asset} is not on this server");
        // Relative to /docs, as the browser resolves it.
        let served = app
            .http
            .get(app.url(&format!("/{asset}")))
            .send()
            .await
            .unwrap();
        assert_eq!(served.status(), 200, "{asset}");
        let content_type = served.headers()["content-type"]
            .to_str()
            .unwrap()
            .to_owned();
        assert!(
            content_type.starts_with("text/javascript") || content_type.starts_with("text/css"),
            "{asset}: {content_type}"
        );
        assert!(
            served.bytes().await.unwrap().len() > 100,
            "{asset} is empty"
        );
    }
}
