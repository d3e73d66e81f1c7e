//! The web page's routes through `poem::test::TestClient` on the
//! in-memory store: its paths answer the page without a token and under a
//! strict CSP, its files are all there, `/api/whoami` and `/api/catalogue`
//! answer what the page relies on, and no script writes HTML.
#![allow(clippy::unwrap_used)]

use std::sync::Arc;

use leadger_core::app::SystemClock;
use leadger_core::catalogue::FIELDS;
use leadger_core::event::Role;
use leadger_core::memstore::MemStore;
use leadger_core::{Ledger, LedgerOptions};
use poem::endpoint::BoxEndpoint;
use poem::test::TestClient;
use poem::EndpointExt;
use serde_json::Value;

use super::{ASSETS, INDEX};
use crate::{app, Config};

struct Fixture {
    admin: String,
    auditor: String,
    client: TestClient<BoxEndpoint<'static>>,
}

fn fixture() -> Fixture {
    let ledger = Ledger::open(
        MemStore::new(),
        Box::new(SystemClock),
        LedgerOptions::default(),
    )
    .unwrap();
    let admin = ledger.create_token("ops", Role::Admin, "test").unwrap();
    let auditor = ledger.create_token("audit", Role::Auditor, "test").unwrap();
    let ep = app(Arc::new(ledger), &Config::default())
        .map_to_response()
        .boxed();
    Fixture {
        admin,
        auditor,
        client: TestClient::new(ep),
    }
}

async fn get_json(f: &Fixture, path: &str, token: &str) -> (u16, Value) {
    let resp = f
        .client
        .get(path)
        .header("Authorization", format!("Bearer {token}"))
        .send()
        .await;
    let status = resp.0.status().as_u16();
    let body = resp.0.into_body().into_string().await.unwrap();
    (status, serde_json::from_str(&body).unwrap())
}

#[tokio::test]
async fn every_page_path_answers_the_page_without_a_token() {
    let f = fixture();
    let index = std::str::from_utf8(INDEX).unwrap();
    for path in [
        "/",
        "/template",
        "/import",
        "/imports",
        "/imports/3",
        "/leads/42",
    ] {
        let resp = f.client.get(path).send().await;
        resp.assert_status_is_ok();
        resp.assert_content_type("text/html; charset=utf-8");
        let csp = resp.0.headers().get("content-security-policy").unwrap();
        assert!(
            csp.to_str().unwrap().contains("script-src 'self'"),
            "{path}"
        );
        resp.assert_text(index).await;
    }
    // Not a page: the JSON 404 of every unknown route.
    let resp = f.client.get("/leads/not-a-number").send().await;
    resp.assert_status(poem::http::StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn every_asset_is_served_with_its_type() {
    let f = fixture();
    for (name, content_type, bytes) in ASSETS {
        let resp = f.client.get(format!("/assets/{name}")).send().await;
        resp.assert_status_is_ok();
        resp.assert_content_type(content_type);
        resp.assert_bytes(bytes.to_vec()).await;
    }
    let resp = f.client.get("/assets/js/nothing.js").send().await;
    resp.assert_status(poem::http::StatusCode::NOT_FOUND);
}

/// Every `/assets/…` the HTML names and every module a script imports is
/// one of ASSETS: a file added to the page but not to the table fails here.
#[test]
fn every_file_the_page_names_is_embedded() {
    let has = |name: &str| ASSETS.iter().any(|(n, _, _)| *n == name);
    let index = std::str::from_utf8(INDEX).unwrap();
    for part in index.split("\"/assets/").skip(1) {
        let name = part.split('"').next().unwrap();
        assert!(has(name), "index.html names /assets/{name}");
    }
    for (name, _, bytes) in ASSETS.iter().filter(|(n, _, _)| n.ends_with(".js")) {
        let text = std::str::from_utf8(bytes).unwrap();
        for part in text.split("from './").skip(1) {
            let module = part.split('\'').next().unwrap();
            assert!(has(&format!("js/{module}")), "{name} imports ./{module}");
        }
    }
}

/// The page builds its DOM from text nodes only, so user data can never
/// become markup (PRODUCT.md: a lead named `<script>` shows as text).
#[test]
fn no_script_writes_html() {
    for (name, _, bytes) in ASSETS.iter().filter(|(n, _, _)| n.ends_with(".js")) {
        let text = std::str::from_utf8(bytes).unwrap();
        for sink in [
            "innerHTML",
            "outerHTML",
            "insertAdjacentHTML",
            "document.write",
            "eval(",
        ] {
            assert!(!text.contains(sink), "{name} uses {sink}");
        }
    }
}

#[tokio::test]
async fn whoami_names_the_token_and_its_role() {
    let f = fixture();
    let (status, body) = get_json(&f, "/api/whoami", &f.admin).await;
    assert_eq!(status, 200);
    assert_eq!(body, serde_json::json!({"name": "ops", "role": "admin"}));
    let (_, body) = get_json(&f, "/api/whoami", &f.auditor).await;
    assert_eq!(
        body,
        serde_json::json!({"name": "audit", "role": "auditor"})
    );
    let (status, body) = get_json(&f, "/api/whoami", "ldg_nope").await;
    assert_eq!(
        (status, body["error"].as_str()),
        (401, Some("unauthorized"))
    );
}

#[tokio::test]
async fn the_catalogue_is_cores() {
    let f = fixture();
    let (status, body) = get_json(&f, "/api/catalogue", &f.auditor).await;
    assert_eq!(status, 200);
    let fields = body["fields"].as_array().unwrap();
    assert_eq!(fields.len(), FIELDS.len());
    for (field, def) in fields.iter().zip(FIELDS) {
        assert_eq!(field["header"], def.header);
        assert_eq!(field["category"], def.category.name());
        assert_eq!(field["key"], def.key);
        assert_eq!(field["type"], def.ty.describe());
    }
    let names: Vec<&str> = body["categories"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["main", "contact", "communication", "opportunity"]);
    let (status, _) = get_json(&f, "/api/catalogue", "ldg_nope").await;
    assert_eq!(status, 401);
}

#[tokio::test]
async fn the_document_describes_both_routes() {
    let f = fixture();
    let resp = f.client.get("/api/openapi.json").send().await;
    let spec: Value =
        serde_json::from_str(&resp.0.into_body().into_string().await.unwrap()).unwrap();
    for path in ["/whoami", "/catalogue"] {
        let op = &spec["paths"][path]["get"];
        assert!(op.is_object(), "{path} is not in the document");
        assert!(
            op["security"].is_array(),
            "{path} does not declare its token"
        );
    }
}
