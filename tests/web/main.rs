//! Black-box suite: web. The web page that the real `leadger serve`
//! serves, driven in a real headless Chromium over WebDriver (issue 5).
//! It needs Debian's `chromium` and `chromium-driver` (.ci/run installs
//! them); without them every test fails, saying how to install them.
//! Screenshots of each main screen go to target/screenshots/.
#![allow(clippy::unwrap_used)]

// The server: spawn_app() over a data directory prepared with the CLI.
mod support;

// The browser: chromedriver, a session, bounded waits, screenshots.
mod browser;

// Sign-in with a token, who is signed in, a bad token, sign-out.
mod signin;

// The template builder: columns, key identifiers, toggles, Download.
mod template;

// Preview with errors, preview and Import of a clean file, results, lead page,
// and the server's progress shown while a long commit runs.
mod import;

// The history of imports, one import's changes and its original file.
mod history;

// An auditor sees no button that changes anything; a forced write is refused.
mod auditor;

// A lead named <script>… shows as text; the page on a phone-sized screen.
mod display;
