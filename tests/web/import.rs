//! The Import screen: a file with errors shows every error in a table the
//! user can sort and copy, and the Import button stays disabled; a clean
//! file previews, imports, lists its results as links, and a link opens
//! the lead's page with its history; the same file again is flagged.

use serde_json::json;

use crate::browser::{browse, Browser};
use crate::support::{leads_csv, spawn_app, spawn_app_with, Setup};

pub const ERRORS_CSV: &str = "Lead Name,Export Value,Country,Lead Status,Email\n\
    Acme,E-1,USA,New,info@acme.example\n\
    Beta,E-2,US,Bogus,bad@email\n\
    Gamma,E-3,Narnia,New,x@y.example\n";

/// The texts of a table's body cells, row by row.
pub async fn table(b: &Browser, css: &str) -> Vec<Vec<String>> {
    let rows = b
        .eval(
            "return [...document.querySelectorAll(arguments[0] + ' tbody tr')]
                .map(tr => [...tr.cells].map(td => td.textContent));",
            vec![json!(css)],
        )
        .await;
    serde_json::from_value(rows).unwrap()
}

/// Chooses `path` in the file input and presses Preview.
pub async fn preview(b: &Browser, path: &str) {
    b.find("#file").await.send_keys(path).await.unwrap();
    b.click("#preview").await;
}

/// Counts, from now on, every progress bar the page shows: a request can
/// be too quick to catch one by looking, never too quick for an observer.
async fn watch_progress(b: &Browser) {
    b.eval(
        "window.progressSeen = 0;
         new MutationObserver((changes) => changes.forEach((c) => c.addedNodes.forEach((n) => {
             if (n.nodeType === 1 && n.matches('.progress')) window.progressSeen += 1;
         }))).observe(document.body, {childList: true, subtree: true});",
        vec![],
    )
    .await;
}

/// How many progress bars were shown; waits until none is left.
async fn progress_seen(b: &Browser) -> u64 {
    b.wait_until(
        "the progress bar is gone",
        "return !document.querySelector('.progress');",
    )
    .await;
    b.eval("return window.progressSeen;", vec![])
        .await
        .as_u64()
        .unwrap()
}

#[tokio::test]
async fn a_file_with_errors_shows_every_error_and_cannot_be_imported() {
    let app = spawn_app();
    let path = app.file("errors.csv", ERRORS_CSV);
    browse(move |b| async move {
        b.sign_in(&app.base, &app.admin, "ops").await;
        preview(&b, &path).await;
        b.wait_text("#errors h2", "Errors (3)").await;
        let errors = table(&b, "#errors-table").await;
        assert_eq!(errors.len(), 3, "{errors:?}");
        assert_eq!(errors[0][..3], ["2", "Country", "USA"]);
        assert!(errors[0][3].contains("did you mean `US`?"), "{errors:?}");
        assert_eq!(errors[1][..3], ["3", "Lead Status", "Bogus"]);
        assert_eq!(errors[2][..3], ["4", "Country", "Narnia"]);
        let warnings = table(&b, "#warnings-table").await;
        assert_eq!(warnings[0][..3], ["3", "Email", "bad@email"]);
        let commit = b.find("#commit").await;
        assert!(!commit.is_enabled().await.unwrap(), "Import is enabled");
        b.screenshot("preview-errors").await;

        // Sorting: by value, then the other way.
        b.click("#errors-table th[data-key=value] button").await;
        let values = |rows: Vec<Vec<String>>| rows.into_iter().map(|r| r[2].clone()).collect::<Vec<_>>();
        assert_eq!(values(table(&b, "#errors-table").await), ["Bogus", "Narnia", "USA"]);
        b.click("#errors-table th[data-key=value] button").await;
        assert_eq!(values(table(&b, "#errors-table").await), ["USA", "Narnia", "Bogus"]);
        let sort = b.find("#errors-table th[data-key=value]").await.attr("aria-sort").await.unwrap();
        assert_eq!(sort.as_deref(), Some("descending"));

        // Copy, and the same text to select by hand.
        b.click("#errors-table button.copy").await;
        // The clipboard answer is asynchronous: wait for the status to say
        // something (waiting for "" would match the empty status at once).
        b.wait_until(
            "the copy status says what happened",
            "return document.querySelector('#errors-table .copy-status').textContent.trim() !== '';",
        )
        .await;
        let said = b.wait_text("#errors-table .copy-status", "").await;
        assert!(said.contains("Copied 3 rows") || said.contains("Select the text"), "{said}");
        b.eval("document.querySelector('#errors-table details').open = true;", vec![]).await;
        b.wait_until(
            "the text view holds the errors as TSV",
            "return document.querySelector('#errors-table textarea').value.startsWith('Row\\tColumn\\tValue\\tMessage\\n2\\tCountry\\tUSA\\t');",
        )
        .await;
    })
    .await;
}

#[tokio::test]
async fn a_clean_file_imports_and_links_to_its_leads() {
    let app = spawn_app();
    let csv = leads_csv(&[
        ("Acme Corp", "A-1", "Springfield"),
        ("Beta LLC", "A-2", "Shelbyville"),
        ("Gamma Inc", "A-3", "Ogdenville"),
    ]);
    let path = app.file("clean.csv", &csv);
    browse(move |b| async move {
        b.sign_in(&app.base, &app.admin, "ops").await;
        watch_progress(&b).await;
        preview(&b, &path).await;
        b.wait_text("#counts [data-count=create] .n", "3").await;
        assert_eq!(
            progress_seen(&b).await,
            1,
            "the preview showed no progress bar"
        );
        b.wait_text("#counts [data-count=errors] .n", "0").await;
        let plan = table(&b, "#plan-table").await;
        assert_eq!(plan[1][..3], ["3", "Beta LLC", "create"]);
        assert!(!b.exists("#errors").await);
        b.screenshot("preview-clean").await;

        b.click("#commit").await;
        b.wait_text("#results", "3 leads imported").await;
        assert_eq!(
            progress_seen(&b).await,
            2,
            "the commit showed no progress bar"
        );
        b.wait_text("#results-counts [data-count=created] .n", "3")
            .await;
        let results = table(&b, "#results-leads").await;
        assert_eq!(results[1], ["3", "2", "Beta LLC", "create"]);
        b.screenshot("results").await;

        // Each name is a link to the lead's page, which shows its history.
        b.click("#results-leads a[href='/leads/2']").await;
        b.wait_text("#lead-title", "Beta LLC").await;
        b.wait_text("#lead-fields", "Shelbyville").await;
        let history = table(&b, "#history-table").await;
        let city: Vec<_> = history.iter().filter(|r| r[5] == "City").collect();
        assert_eq!(city.len(), 1, "{history:?}");
        let city = city[0];
        assert_eq!(
            city[1..],
            ["ops", "1", "3", "LeadCreated", "City", "—", "Shelbyville"]
        );
        assert_eq!(b.client.current_url().await.unwrap().path(), "/leads/2");
        b.screenshot("lead").await;

        // The server answers the lead's address itself: a reload works.
        b.client.refresh().await.unwrap();
        b.wait_text("#lead-title", "Beta LLC").await;

        // The same file again is flagged as already imported.
        b.click("#nav-import").await;
        preview(&b, &path).await;
        let flag = b
            .wait_text("#already-imported", "already imported as import 1 on")
            .await;
        assert!(flag.chars().any(|c| c.is_ascii_digit()), "{flag}");
        b.wait_text("#counts [data-count=unchanged] .n", "3").await;
    })
    .await;
}

/// Records, from now on, every text a progress bar's label shows.
async fn watch_progress_labels(b: &Browser) {
    b.eval(
        "window.progressLabels = [];
         const seen = () => document.querySelectorAll('.progress span:first-of-type')
             .forEach((s) => window.progressLabels.push(s.textContent));
         new MutationObserver(seen).observe(document.body,
             {childList: true, subtree: true, characterData: true});",
        vec![],
    )
    .await;
}

#[tokio::test]
async fn a_long_commit_shows_how_far_the_server_got() {
    // Long enough for the page's progress polls (the first after 200 ms)
    // to see the server at work, whatever the machine's speed: the server
    // waits 60 ms after each chunk of events it writes (12 or so here).
    // A debug binary on a fast hour committed 25,000 rows in less than
    // 200 ms, and the test failed.
    let app = spawn_app_with(Setup {
        server_env: &[("LEADGER_DELAY_AT", "events_written:60")],
        ..Setup::default()
    });
    let (n, shown) = (25_000, "25,000");
    let names: Vec<(String, String)> = (0..n)
        .map(|n| (format!("Lead {n}"), format!("L-{n}")))
        .collect();
    let rows: Vec<(&str, &str, &str)> = names
        .iter()
        .map(|(name, export)| (name.as_str(), export.as_str(), "Springfield"))
        .collect();
    let path = app.file("long.csv", &leads_csv(&rows));
    browse(move |b| async move {
        b.sign_in(&app.base, &app.admin, "ops").await;
        preview(&b, &path).await;
        b.wait_text("#counts [data-count=create] .n", shown).await;
        watch_progress_labels(&b).await;
        b.click("#commit").await;
        b.wait_text("#results", &format!("{shown} leads imported"))
            .await;
        let labels = b.eval("return window.progressLabels;", vec![]).await;
        let labels: Vec<String> = serde_json::from_value(labels).unwrap();
        // The server's own phases, with a percentage, while the commit ran.
        let counted = labels.iter().any(|l| {
            (l.starts_with("Importing: turning the preview into events: ")
                || l.starts_with("Updating the CRM view: "))
                && l.ends_with('%')
        });
        assert!(counted, "no percentage from the server: {labels:?}");
    })
    .await;
}
