//! Display: a lead named like markup is shown as text on every screen
//! (the preview, the results, its page) and nothing of it runs; the page
//! on a phone-sized screen scrolls tables, never the page sideways.

use serde_json::json;

use crate::browser::{browse, Browser};
use crate::import::{preview, table, ERRORS_CSV};
use crate::support::{leads_csv, spawn_app, spawn_app_with, Setup};

const NAME: &str = "<script>alert(1)</script><img src=x onerror=alert(2)>";

/// No alert is open, and no element came out of the name.
async fn nothing_ran(b: &Browser) {
    assert!(b.client.get_alert_text().await.is_err(), "an alert is open");
    let injected = b
        .eval(
            "return document.querySelectorAll('main script, main img').length;",
            vec![],
        )
        .await;
    assert_eq!(injected, 0);
}

#[tokio::test]
async fn a_lead_named_like_markup_is_shown_as_text() {
    let app = spawn_app();
    let path = app.file("markup.csv", &leads_csv(&[(NAME, "M-1", "<b>Town</b>")]));
    browse(move |b| async move {
        b.sign_in(&app.base, &app.admin, "ops").await;
        preview(&b, &path).await;
        b.wait_text("#plan-table", "<script>").await;
        assert_eq!(table(&b, "#plan-table").await[0][1], NAME);
        nothing_ran(&b).await;

        b.click("#commit").await;
        b.wait_text("#results", "1 lead imported").await;
        assert_eq!(table(&b, "#results-leads").await[0][2], NAME);
        nothing_ran(&b).await;

        b.click("#results-leads a").await;
        b.wait_text("#lead-fields", "<b>Town</b>").await;
        let title = b.find("#lead-title").await.text().await.unwrap();
        assert_eq!(title, NAME);
        assert_eq!(b.client.title().await.unwrap(), format!("{NAME} · leadger"));
        nothing_ran(&b).await;
        b.screenshot("markup-lead").await;
    })
    .await;
}

/// The page is no wider than the screen: wide tables scroll in their box.
async fn fits(b: &Browser, screen: &str) {
    let widths = b
        .eval(
            "return [document.documentElement.scrollWidth, window.innerWidth];",
            vec![],
        )
        .await;
    assert!(
        widths[0].as_u64() <= widths[1].as_u64(),
        "{screen} is wider than the screen: {widths}"
    );
}

#[tokio::test]
async fn the_page_fits_a_phone() {
    let csv = "Lead Name,Export Value,City,Contact First Name,Contact Last Name,Contact Email,\
        Communication Subject,Communication Type,Opportunity Title,Opportunity Amount\n\
        Acme Corporation International Holdings,A-1,Springfield,Jane,Doe,jane@acme.example,\
        First call,Phone Call,Spring order,\"$12,500.00\"\n";
    let app = spawn_app_with(Setup {
        committed: &[("acme.csv", csv)],
        ..Setup::default()
    });
    let errors = app.file("errors.csv", ERRORS_CSV);
    browse(move |b| async move {
        b.client.set_window_size(390, 844).await.unwrap();
        b.sign_in(&app.base, &app.admin, "ops").await;
        fits(&b, "sign-in").await;
        preview(&b, &errors).await;
        b.wait_text("#errors h2", "Errors (3)").await;
        fits(&b, "the preview").await;
        b.screenshot("phone-preview").await;
        b.goto(&app.url("/imports")).await;
        b.wait_text("#imports-table", "acme.csv").await;
        fits(&b, "the imports").await;
        b.goto(&app.url("/leads/1")).await;
        b.wait_text("#history-table", "LeadCreated").await;
        b.wait_text("#contacts-table", "jane@acme.example").await;
        b.wait_text("#communications-table", "Phone Call").await;
        b.wait_text("#opportunities-table", "Spring order").await;
        fits(&b, "the lead").await;
        b.screenshot("phone-lead").await;
        let scrolls = b
            .eval("const s = document.querySelector('#history .scroll'); return s.scrollWidth > s.clientWidth;", vec![])
            .await;
        assert_eq!(scrolls, json!(true), "the history table does not scroll in its box");
    })
    .await;
}
