//! Every error status with its JSON body {error, message}: 400, 401, 403,
//! 404, 413 (upload size and unpacked size), 415 and 422. (409 is in
//! `imports`.)

use std::io::{Read, Write};

use crate::support::{leads_csv, multipart, spawn_app, spawn_app_with};

#[test]
fn bad_requests_answer_400() {
    let app = spawn_app();
    app.get("/api/imports/abc").error(400, "bad_request");
    app.get("/api/leads?limit=-1").error(400, "bad_request");
    app.upload_as(&app.admin, "?kind=planets", "a.csv", b"Lead Name\nA\n")
        .error(400, "bad_request");
    // A multipart body without the `file` field.
    let (content_type, body) = multipart("other", "a.csv", b"Lead Name\nA\n");
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .build()
        .into();
    let mut resp = agent
        .post(app.url("/api/imports"))
        .header("Authorization", format!("Bearer {}", app.admin))
        .header("Content-Type", content_type)
        .send(&body[..])
        .unwrap();
    assert_eq!(resp.status(), 400);
    let json: serde_json::Value =
        serde_json::from_str(&resp.body_mut().read_to_string().unwrap()).unwrap();
    assert_eq!(json["error"], "bad_request");
    // A file without a name.
    app.upload_as(&app.admin, "", "", b"Lead Name\nA\n")
        .error(400, "bad_request");
}

#[test]
fn missing_or_bad_tokens_answer_401_and_auditors_403() {
    let app = spawn_app();
    let message = app.get_anon("/api/leads").error(401, "unauthorized");
    assert!(message.contains("leadger tokens create"), "{message}");
    app.get_as("ldg_0000", "/api/leads")
        .error(401, "unauthorized");
    app.get_as(&app.auditor, "/api/leads").ok();

    let message = app
        .upload_as(&app.auditor, "", "a.csv", &leads_csv("A", 1))
        .error(403, "forbidden");
    assert!(message.contains("auditor"), "{message}");
    let id = app.upload("a.csv", &leads_csv("A", 1)).ok()["import_id"]
        .as_u64()
        .unwrap();
    app.post_as(&app.auditor, &format!("/api/imports/{id}/commit"))
        .error(403, "forbidden");
    // Auditors read everything, the original file included.
    assert_eq!(
        app.get_as(&app.auditor, &format!("/api/imports/{id}/file"))
            .status,
        200
    );
}

#[test]
fn unknown_things_answer_404() {
    let app = spawn_app();
    app.get("/api/imports/99").error(404, "not_found");
    app.get("/api/imports/99/file").error(404, "not_found");
    app.commit(99).error(404, "not_found");
    app.get("/api/leads/7").error(404, "not_found");
    app.get("/api/leads/7/history").error(404, "not_found");
    app.get("/api/no-such-route").error(404, "not_found");
}

#[test]
fn uploads_over_the_limit_answer_413() {
    let app = spawn_app_with(&["--max-upload-mb", "1"]);
    let big = leads_csv("Big", 40_000);
    assert!(big.len() > 1 << 20 && big.len() < 2 << 20);
    let message = app.upload("big.csv", &big).error(413, "too_large");
    assert!(message.contains("--max-upload-mb"), "{message}");
    assert_eq!(app.get("/api/imports").ok()["total"], 0);

    // A body declared far over the limit is refused before it is sent.
    let addr = app.base.trim_start_matches("http://");
    let mut stream = std::net::TcpStream::connect(addr).unwrap();
    write!(
        stream,
        "POST /api/imports HTTP/1.1\r\nHost: {addr}\r\nAuthorization: Bearer {}\r\n\
         Content-Type: multipart/form-data; boundary=x\r\nContent-Length: 10000000000\r\n\r\n",
        app.admin
    )
    .unwrap();
    let mut head = [0u8; 12];
    stream.read_exact(&mut head).unwrap();
    assert_eq!(&head, b"HTTP/1.1 413");
    // The server still answers.
    app.get("/api/imports").ok();
}

#[test]
fn files_that_unpack_too_large_answer_413() {
    let app = spawn_app_with(&["--max-unpacked-mb", "1"]);
    let text = "the same words over and over ".repeat(8);
    let mut rows = vec![vec!["Lead Name", "Notes"]];
    // Every cell unique (shared strings are not repeated), yet all alike,
    // so the file packs small and unpacks past 1 MiB.
    let cells: Vec<(String, String)> = (0..10_000)
        .map(|i| (format!("Lead {i}"), format!("{i}: {text}")))
        .collect();
    for (name, notes) in &cells {
        rows.push(vec![name.as_str(), notes.as_str()]);
    }
    let book = crate::support::xlsx(&rows);
    assert!(
        book.len() < 1 << 20,
        "the packed file must itself be under the limit"
    );
    let message = app.upload("bomb.xlsx", &book).error(413, "too_large");
    assert!(!message.is_empty());
}

#[test]
fn files_of_other_types_answer_415_and_broken_spreadsheets_422() {
    let app = spawn_app();
    let message = app
        .upload("letter.docx", b"PK\x03\x04 a word document")
        .error(415, "unsupported_media_type");
    assert!(message.contains(".docx"), "{message}");
    app.upload("scan.pdf", b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n")
        .error(415, "unsupported_media_type");
    let mut book = crate::support::xlsx(&[vec!["Lead Name"], vec!["Acme"]]);
    book.truncate(book.len() / 2);
    app.upload("broken.xlsx", &book)
        .error(422, "unreadable_file");
}
