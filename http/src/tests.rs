//! Handler tests through `poem::test::TestClient` on the in-memory store:
//! access rules, the error shape of poem's own errors, the upload limit
//! on a streamed (unsized) body, and the open routes.
#![allow(clippy::unwrap_used)]

use std::sync::Arc;

use leadger_core::app::SystemClock;
use leadger_core::event::Role;
use leadger_core::memstore::MemStore;
use leadger_core::{Ledger, LedgerOptions};
use poem::endpoint::BoxEndpoint;
use poem::test::{TestClient, TestForm, TestFormField};
use poem::EndpointExt;
use serde_json::Value;

use crate::{app, Config};

struct Fixture {
    admin: String,
    auditor: String,
    client: TestClient<BoxEndpoint<'static>>,
}

fn fixture(max_upload_bytes: u64) -> Fixture {
    let ledger = Ledger::open(
        MemStore::new(),
        Box::new(SystemClock),
        LedgerOptions::default(),
    )
    .unwrap();
    let admin = ledger.create_token("ops", Role::Admin, "test").unwrap();
    let auditor = ledger.create_token("audit", Role::Auditor, "test").unwrap();
    let config = Config {
        max_upload_bytes,
        ..Config::default()
    };
    let ep = app(Arc::new(ledger), &config).map_to_response().boxed();
    Fixture {
        admin,
        auditor,
        client: TestClient::new(ep),
    }
}

fn bearer(token: &str) -> String {
    format!("Bearer {token}")
}

fn upload(name: &str, bytes: &[u8]) -> TestForm {
    TestForm::new().field(
        TestFormField::bytes(bytes.to_vec())
            .name("file")
            .filename(name),
    )
}

async fn error_of(resp: poem::test::TestResponse) -> (u16, String) {
    let status = resp.0.status().as_u16();
    let body: Value =
        serde_json::from_str(&resp.0.into_body().into_string().await.unwrap()).unwrap();
    assert!(
        body["message"].as_str().is_some_and(|m| !m.is_empty()),
        "{body}"
    );
    (status, body["error"].as_str().unwrap().to_string())
}

#[tokio::test]
async fn api_routes_need_a_valid_token() {
    let f = fixture(1 << 20);
    let resp = f.client.get("/api/imports").send().await;
    assert_eq!(error_of(resp).await, (401, "unauthorized".into()));
    let resp = f
        .client
        .get("/api/imports")
        .header("Authorization", bearer("ldg_nope"))
        .send()
        .await;
    assert_eq!(error_of(resp).await, (401, "unauthorized".into()));
    let resp = f
        .client
        .get("/api/imports")
        .header("Authorization", bearer(&f.auditor))
        .send()
        .await;
    resp.assert_status_is_ok();
}

#[tokio::test]
async fn auditors_may_not_write() {
    let f = fixture(1 << 20);
    let resp = f
        .client
        .post("/api/imports")
        .header("Authorization", bearer(&f.auditor))
        .multipart(upload("a.csv", b"Lead Name\nAcme\n"))
        .send()
        .await;
    assert_eq!(error_of(resp).await, (403, "forbidden".into()));
    let resp = f
        .client
        .post("/api/imports")
        .header("Authorization", bearer(&f.admin))
        .multipart(upload("a.csv", b"Lead Name\nAcme\n"))
        .send()
        .await;
    resp.assert_status_is_ok();
    let preview = resp.json().await;
    preview
        .value()
        .object()
        .get("uploaded_by")
        .assert_string("ops");
}

#[tokio::test]
async fn poem_errors_have_the_json_shape() {
    let f = fixture(1 << 20);
    let auth = bearer(&f.admin);
    let cases = [
        ("/api/nothing-here", 404, "not_found"),
        ("/api/leads/not-a-number", 400, "bad_request"),
        ("/api/leads?kind=planets", 400, "bad_request"),
        ("/api/leads/42", 404, "not_found"),
        ("/nothing-here", 404, "not_found"),
    ];
    for (path, status, code) in cases {
        let resp = f
            .client
            .get(path)
            .header("Authorization", &auth)
            .send()
            .await;
        assert_eq!(error_of(resp).await, (status, code.to_string()), "{path}");
    }
    // A POST without a multipart body.
    let resp = f
        .client
        .post("/api/imports")
        .header("Authorization", &auth)
        .body("plain")
        .send()
        .await;
    let (status, _) = error_of(resp).await;
    assert!(status == 400 || status == 415, "{status}");
    // A GET-only route asked to POST.
    let resp = f
        .client
        .post("/api/leads")
        .header("Authorization", &auth)
        .send()
        .await;
    assert_eq!(error_of(resp).await, (405, "method_not_allowed".into()));
}

#[tokio::test]
async fn a_streamed_upload_past_the_limit_is_refused() {
    let f = fixture(64 * 1024);
    let big = "Lead Name\n".to_string() + &"Acme Corporation\n".repeat(10_000);
    let resp = f
        .client
        .post("/api/imports")
        .header("Authorization", bearer(&f.admin))
        .multipart(upload("big.csv", big.as_bytes()))
        .send()
        .await;
    assert_eq!(error_of(resp).await, (413, "too_large".into()));
}

#[tokio::test]
async fn open_routes_need_no_token() {
    let f = fixture(1 << 20);
    f.client.get("/healthz").send().await.assert_status_is_ok();
    f.client.get("/").send().await.assert_status_is_ok();
    let resp = f.client.get("/docs").send().await;
    resp.assert_status_is_ok();
    let resp = f.client.get("/api/openapi.json").send().await;
    resp.assert_status_is_ok();
    let spec = resp.json().await;
    spec.value()
        .object()
        .get("servers")
        .array()
        .get(0)
        .object()
        .get("url")
        .assert_string("/api");
}
