//! The Imports screen: the history (when, who, file name and blake3,
//! kind, counts, state), one import's changes (each field before and
//! after, with links to the leads) and the original file to download.

use crate::browser::browse;
use crate::import::table;
use crate::support::{leads_csv, spawn_app_with, Setup};

#[tokio::test]
async fn the_history_lists_imports_with_their_changes_and_files() {
    let first = leads_csv(&[
        ("Acme Corp", "A-1", "Springfield"),
        ("Beta LLC", "A-2", "Shelbyville"),
    ]);
    let second = leads_csv(&[("Acme Corp", "A-1", "Capital City")]);
    let third = leads_csv(&[("Gamma Inc", "A-3", "Ogdenville")]);
    let app = spawn_app_with(Setup {
        committed: &[("first.csv", &first), ("second.csv", &second)],
        previewed: &[("third.csv", &third)],
        ..Setup::default()
    });
    let third_bytes = third.clone();
    browse(move |b| async move {
        let third = third_bytes;
        b.sign_in(&app.base, &app.admin, "ops").await;
        b.click("#nav-imports").await;
        b.wait_text("#imports-table tbody", "third.csv").await;
        let rows = table(&b, "#imports-table").await;
        assert_eq!(rows.len(), 3, "{rows:?}");
        // Newest first: #, when, who, file and hash, kind, counts, status.
        assert_eq!(rows[0][0], "3");
        assert_eq!(rows[0][2], "cli:tester");
        assert!(rows[0][3].starts_with("third.csv"), "{rows:?}");
        let hash = b
            .eval(
                "return document.querySelector('#imports-table tbody code.hash').textContent;",
                vec![],
            )
            .await;
        assert_eq!(hash, blake3::hash(third.as_bytes()).to_hex().as_str());
        assert_eq!(rows[0][4], "leads");
        assert!(rows[0][5].contains("1 to create"), "{rows:?}");
        assert_eq!(rows[0][6], "previewed");
        assert_eq!(rows[1][6], "committed");
        assert!(rows[1][5].contains("1 updated"), "{rows:?}");
        b.screenshot("imports").await;

        // Import 2 changed Acme's City: before and after.
        b.click("#imports-table a[href='/imports/2']").await;
        b.wait_text("h1", "Import 2").await;
        b.wait_text("#changes h2", "Changes (1 event)").await;
        let changes = table(&b, "#changes-table").await;
        let city: Vec<_> = changes.iter().filter(|r| r[6] == "City").collect();
        assert_eq!(city.len(), 1, "{changes:?}");
        assert_eq!(
            city[0][1..],
            [
                "cli:tester",
                "2",
                "1",
                "2",
                "LeadUpdated",
                "City",
                "Springfield",
                "Capital City"
            ]
        );
        b.wait_text("#results", "1 lead imported").await;
        b.screenshot("import-changes").await;

        // The original file, byte for byte.
        b.click("button.download-file").await;
        let (name, bytes) = b.downloaded("second.csv").await;
        assert_eq!(bytes, second.as_bytes(), "{name}");

        // The lead link in the changes leads to the lead's history.
        b.click("#changes-table a[href='/leads/1']").await;
        b.wait_text("#lead-title", "Acme Corp").await;
        b.wait_text("#history-table", "Capital City").await;
    })
    .await;
}
