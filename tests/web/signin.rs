//! Signing in: a bad token is refused on the form, a good one shows who
//! is signed in and survives a reload (sessionStorage), Sign out forgets it.

use crate::browser::browse;
use crate::support::spawn_app;

#[tokio::test]
async fn an_admin_signs_in_and_out() {
    let app = spawn_app();
    browse(move |b| async move {
        b.goto(&app.url("/")).await;
        b.find("#token").await;
        b.screenshot("sign-in").await;

        b.find("#token")
            .await
            .send_keys("ldg_not_a_token")
            .await
            .unwrap();
        b.click("#sign-in").await;
        b.wait_text("#sign-in-error", "unknown or revoked").await;

        b.sign_in(&app.base, &app.admin, "ops").await;
        b.wait_text("#who-role", "admin").await;
        b.wait_text("#nav", "Import").await;
        // The Import screen is the admin's home.
        b.find("#import-form").await;

        // A reload keeps the session; the token is never in the URL.
        b.client.refresh().await.unwrap();
        b.wait_text("#who-name", "ops").await;
        let url = b.client.current_url().await.unwrap();
        assert!(!url.as_str().contains("ldg_"), "{url}");

        b.click("#sign-out").await;
        b.find("#token").await;
        let kept = b
            .eval("return sessionStorage.getItem('leadger.token');", vec![])
            .await;
        assert!(kept.is_null(), "{kept}");
    })
    .await;
}
