//! An auditor reads everything and changes nothing: the page shows no
//! Import screen and no Import button, even on a previewed import an
//! admin could commit, and a write forced from the page is refused (403).

use serde_json::json;

use crate::browser::browse;
use crate::support::{leads_csv, spawn_app_with, Setup};

/// POSTs to `arguments[0]` with the signed-in token, from the page;
/// answers [status, body].
const FORCE_POST: &str = "
    const done = arguments[arguments.length - 1];
    const form = new FormData();
    form.append('file', new Blob(['Lead Name,Export Value\\nX,X-1\\n']), 'x.csv');
    fetch(arguments[0], {method: 'POST', body: arguments[1] ? form : undefined,
        headers: {Authorization: 'Bearer ' + sessionStorage.getItem('leadger.token')}})
      .then(async (r) => done([r.status, await r.json()]))
      .catch((e) => done(String(e)));";

#[tokio::test]
async fn an_auditor_sees_no_import_button_and_cannot_force_one() {
    let csv = leads_csv(&[("Acme Corp", "A-1", "Springfield")]);
    let app = spawn_app_with(Setup {
        previewed: &[("waiting.csv", &csv)],
        ..Setup::default()
    });
    browse(move |b| async move {
        // An admin is offered the button on the previewed import…
        b.sign_in(&app.base, &app.admin, "ops").await;
        b.goto(&app.url("/imports/1")).await;
        b.wait_text("#plan-table", "Acme Corp").await;
        assert!(b.exists("#commit").await, "the admin has no Import button");
        b.click("#sign-out").await;

        // …an auditor is not, anywhere.
        b.sign_in(&app.base, &app.auditor, "aud").await;
        b.wait_text("#who-role", "auditor").await;
        b.wait_text("#imports-table", "waiting.csv").await;
        let nav = b.find("#nav").await.text().await.unwrap();
        assert!(
            !nav.contains("Import\n") && !b.exists("#nav-import").await,
            "{nav}"
        );
        b.screenshot("auditor").await;
        b.goto(&app.url("/imports/1")).await;
        b.wait_text("#plan-table", "Acme Corp").await;
        assert!(
            !b.exists("#commit").await,
            "an auditor sees the Import button"
        );
        b.goto(&app.url("/import")).await;
        b.wait_text("main", "auditor").await;
        assert!(!b.exists("#preview").await && !b.exists("#file").await);
        // No button on any screen changes anything: the only ones are
        // Sign out, Copy, Download, sorting and paging.
        let buttons = b
            .eval(
                "return [...document.querySelectorAll('button')].map(b => b.textContent);",
                vec![],
            )
            .await;
        assert_eq!(buttons, json!(["Sign out"]));

        // Forced from the page with the auditor's token: refused.
        let commit = b
            .eval_async(
                FORCE_POST,
                vec![json!("/api/imports/1/commit"), json!(false)],
            )
            .await;
        assert_eq!(commit[0], 403, "{commit}");
        assert_eq!(commit[1]["error"], "forbidden", "{commit}");
        let upload = b
            .eval_async(
                FORCE_POST,
                vec![json!("/api/imports?kind=leads"), json!(true)],
            )
            .await;
        assert_eq!(upload[0], 403, "{upload}");
        // Still previewed: nothing was committed.
        b.goto(&app.url("/imports")).await;
        b.wait_text("#imports-table", "previewed").await;
    })
    .await;
}
