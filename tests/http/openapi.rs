//! The OpenAPI document, the docs page, the health check and templates.

use crate::support::spawn_app;

#[test]
fn the_openapi_document_lists_every_route() {
    let app = spawn_app();
    // No token needed for the document.
    let spec = app.get_anon("/api/openapi.json").ok();
    assert!(spec["openapi"].as_str().unwrap().starts_with("3."));
    assert_eq!(spec["servers"][0]["url"], "/api");
    let expected = [
        ("/imports", "post"),
        ("/imports", "get"),
        ("/imports/{id}", "get"),
        ("/imports/{id}/commit", "post"),
        ("/imports/{id}/file", "get"),
        ("/imports/{id}/changes", "get"),
        ("/progress", "get"),
        ("/leads", "get"),
        ("/leads/{id}", "get"),
        ("/leads/{id}/history", "get"),
        ("/templates/{kind}", "get"),
        ("/ledger/verify", "get"),
        ("/whoami", "get"),
        ("/catalogue", "get"),
    ];
    let paths = spec["paths"].as_object().unwrap();
    for (path, method) in expected {
        let op = &paths
            .get(path)
            .unwrap_or_else(|| panic!("{path} is not in the document"))[method];
        assert!(op.is_object(), "{method} {path} is not in the document");
        assert!(op["security"].is_array(), "{method} {path} needs no token?");
    }
    let n_ops: usize = paths.values().map(|p| p.as_object().unwrap().len()).sum();
    assert_eq!(n_ops, expected.len(), "routes not in the list: {paths:?}");
    let schemes = &spec["components"]["securitySchemes"];
    assert_eq!(schemes["BearerAuth"]["scheme"], "bearer");
    for schema in ["ImportReport", "CommitReport", "LeadView", "ErrorBody"] {
        assert!(
            spec["components"]["schemas"][schema].is_object(),
            "{schema}"
        );
    }
    // The upload is a multipart form with a binary `file`.
    let upload = &paths["/imports"]["post"]["requestBody"]["content"]["multipart/form-data"];
    assert!(upload.is_object(), "{upload}");
}

#[test]
fn the_docs_page_and_health_need_no_token_nor_network() {
    let app = spawn_app();
    let docs = app.get_anon("/docs");
    assert_eq!(docs.status, 200);
    assert!(docs.content_type.starts_with("text/html"));
    let html = String::from_utf8_lossy(&docs.body);
    assert!(html.contains("swagger"), "not the docs page");
    assert!(
        !html.contains("src=\"http") && !html.contains("href=\"http"),
        "the docs page loads assets from the network"
    );
    assert_eq!(app.get_anon("/healthz").ok()["status"], "ok");
    assert_eq!(app.get_anon("/").status, 200);
}

#[test]
fn templates_download_as_csv_and_xlsx() {
    let app = spawn_app();
    let csv =
        app.get("/api/templates/leads?format=csv&fields=Email,Lead%20Status&categories=contact");
    assert_eq!(csv.status, 200, "{}", String::from_utf8_lossy(&csv.body));
    assert!(csv.content_type.starts_with("text/csv"));
    assert!(
        csv.disposition.contains("leads-template.csv"),
        "{}",
        csv.disposition
    );
    let header = String::from_utf8_lossy(&csv.body);
    for field in ["Lead Name", "Email", "Lead Status", "Contact First Name"] {
        assert!(header.contains(field), "{field} missing from {header}");
    }

    let book = app.get_as(&app.auditor, "/api/templates/organizations");
    assert_eq!(book.status, 200);
    assert!(
        book.content_type.contains("spreadsheetml"),
        "{}",
        book.content_type
    );
    assert!(book.disposition.contains("organizations-template.xlsx"));
    assert_eq!(&book.body[..2], b"PK");

    app.get("/api/templates/leads?fields=Emial")
        .error(400, "bad_request");
    app.get("/api/templates/planets").error(400, "bad_request");
}

#[test]
fn verify_answers_the_chain_report() {
    let app = spawn_app();
    app.import("a.csv", &crate::support::leads_csv("V", 3));
    let report = app.get_as(&app.auditor, "/api/ledger/verify").ok();
    assert_eq!(report["ok"], true);
    assert!(report["events"].as_u64().unwrap() > 5);
    assert_eq!(report["first_bad_seq"], serde_json::Value::Null);
}
