//! The template builder: the catalogue's four categories as columns, key
//! identifiers red, checked and locked, a toggle for a whole column, and
//! Download, which saves exactly the checked fields.

use serde_json::json;

use crate::browser::browse;
use crate::support::spawn_app;

/// Fetches `path` in the page with the signed-in token, as the page does;
/// answers [status, byte count, first bytes as text].
const FETCH: &str = "
    const done = arguments[arguments.length - 1];
    fetch(arguments[0], {headers: {Authorization: 'Bearer ' + sessionStorage.getItem('leadger.token')}})
      .then(async (r) => {
        const bytes = new Uint8Array(await r.arrayBuffer());
        done([r.status, bytes.length, new TextDecoder().decode(bytes.slice(0, 4000))]);
      })
      .catch((e) => done(String(e)));";

#[tokio::test]
async fn an_admin_builds_and_downloads_a_template() {
    let app = spawn_app();
    browse(move |b| async move {
        b.sign_in(&app.base, &app.admin, "ops").await;
        b.click("#nav-template").await;
        for category in ["main", "contact", "communication", "opportunity"] {
            b.find(&format!("#column-{category}")).await;
        }
        // Key identifiers: checked, locked and red, in every column.
        let keys = b
            .eval(
                "return [...document.querySelectorAll('input[data-key=true]')].map(i =>
                    [i.value, i.checked, i.disabled, getComputedStyle(i.parentElement).color]);",
                vec![],
            )
            .await;
        let keys = keys.as_array().unwrap();
        assert_eq!(keys.len(), 7, "{keys:?}");
        for key in keys {
            assert_eq!(key[1], true, "{key}");
            assert_eq!(key[2], true, "{key}");
            assert_eq!(key[3], "rgb(198, 40, 40)", "{key}");
        }
        b.wait_text("#field-count", "37 of 37 fields").await;

        // The Contact column's toggle takes out its optional fields only.
        b.click("#cat-contact").await;
        b.wait_text("#field-count", "32 of 37 fields").await;
        let contact = b
            .eval(
                "return [...document.querySelectorAll('#column-contact input[data-category]')]
                    .filter(i => i.checked).map(i => i.value);",
                vec![],
            )
            .await;
        assert_eq!(contact, json!(["Contact First Name", "Contact Last Name"]));
        b.screenshot("template").await;

        // Download saves the .xlsx; the page says how big it was.
        b.click("#download").await;
        let status = b.wait_text("#download-status", "Downloaded").await;
        assert!(status.contains(".xlsx"), "{status}");
        let (name, bytes) = b.downloaded(".xlsx").await;
        assert!(bytes.starts_with(b"PK"), "{name} is not a zip");
        let shown = b
            .find("#download-status")
            .await
            .attr("data-bytes")
            .await
            .unwrap();
        assert_eq!(shown, Some(bytes.len().to_string()));

        // The same request the page made, in the page: the xlsx again, and
        // as CSV its header row holds exactly the checked fields.
        let href = b
            .find("#download-status")
            .await
            .attr("data-href")
            .await
            .unwrap()
            .unwrap();
        let answer = b.eval_async(FETCH, vec![json!(href)]).await;
        assert_eq!(answer[0], 200, "{answer}");
        assert_eq!(answer[1], bytes.len(), "{answer}");
        assert!(answer[2].as_str().unwrap().starts_with("PK"), "{answer}");
        let csv_href = href.replace("format=xlsx", "format=csv");
        let answer = b.eval_async(FETCH, vec![json!(csv_href)]).await;
        let header = answer[2]
            .as_str()
            .unwrap()
            .lines()
            .next()
            .unwrap()
            .to_string();
        assert!(header.contains("Contact First Name"), "{header}");
        assert!(header.contains("Opportunity Notes"), "{header}");
        assert!(!header.contains("Contact Title"), "{header}");
    })
    .await;
}
