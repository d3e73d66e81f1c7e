//! The browser side of the harness: a headless Chromium driven over
//! WebDriver by fantoccini. [`browse`] starts `chromedriver --port=0`,
//! reads the port it chose, opens a session with a fresh profile and
//! download directory, runs the test, and always closes the browser, even
//! when the test panics (then the panic goes on).
//!
//! Every wait is bounded ([`WAIT`]): it polls for a condition and fails
//! with what it was waiting for.

use std::future::Future;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use fantoccini::elements::Element;
use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::{json, Value};
use tempfile::TempDir;

use crate::support::screenshot_dir;

/// The longest any one wait lasts.
pub const WAIT: Duration = Duration::from_secs(30);
const POLL: Duration = Duration::from_millis(100);
const CHROMIUM: &str = "/usr/bin/chromium";
const INSTALL: &str = "the web tests need Chromium and its WebDriver: install them with \
     `apt-get update && apt-get install -y chromium chromium-driver` (as root; .ci/run does this)";

/// One browser session, cheap to clone into the test's task.
#[derive(Clone)]
pub struct Browser {
    pub client: Client,
    /// Where the browser saves downloads.
    pub downloads: PathBuf,
}

/// Fails (never skips) when the browser or its driver is missing.
fn require_chromium() {
    assert!(
        Path::new(CHROMIUM).exists(),
        "{CHROMIUM} is missing: {INSTALL}"
    );
    let driver = Command::new("chromedriver").arg("--version").output();
    assert!(
        driver.is_ok_and(|out| out.status.success()),
        "chromedriver is missing: {INSTALL}"
    );
}

/// Starts chromedriver on a port of its choosing and returns it with the
/// port, read from its "started successfully on port N." line. A driver
/// that exits before saying so (seen once in CI, with nine starting at
/// once on a loaded machine) is started again, up to three times; the
/// panic shows what the last one wrote to stderr.
fn start_driver() -> (Child, u16) {
    require_chromium();
    let mut last = String::new();
    for _ in 0..3 {
        match try_start_driver() {
            Ok(started) => return started,
            Err(why) => last = why,
        }
    }
    panic!("chromedriver did not say which port it listens on: {last}");
}

fn try_start_driver() -> Result<(Child, u16), String> {
    let log = tempfile::NamedTempFile::new().expect("a file for chromedriver's stderr");
    let mut child = Command::new("chromedriver")
        .arg("--port=0")
        .stdout(Stdio::piped())
        .stderr(log.reopen().expect("chromedriver's stderr"))
        .spawn()
        .unwrap_or_else(|e| panic!("chromedriver did not start ({e}): {INSTALL}"));
    let stdout = child.stdout.take().expect("chromedriver's stdout");
    let (tx, rx) = std::sync::mpsc::channel();
    // The thread keeps draining stdout after the port is found, so the
    // driver never blocks on a full pipe.
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if let Some(rest) = line.split("started successfully on port ").nth(1) {
                let _ = tx.send(rest.trim().trim_end_matches('.').parse::<u16>());
            }
        }
    });
    match rx.recv_timeout(WAIT) {
        Ok(Ok(port)) if port != 0 => Ok((child, port)),
        other => {
            let _ = child.kill();
            let _ = child.wait();
            let stderr = std::fs::read_to_string(log.path()).unwrap_or_default();
            Err(format!("{other:?}; its stderr: {}", stderr.trim()))
        }
    }
}

/// Runs `test` in a fresh headless Chromium, then closes it.
pub async fn browse<F, Fut>(test: F)
where
    F: FnOnce(Browser) -> Fut,
    Fut: Future<Output = ()> + Send + 'static,
{
    let (mut driver, port) = start_driver();
    let profile = TempDir::new().expect("profile dir");
    let downloads = profile.path().join("downloads");
    std::fs::create_dir_all(&downloads).expect("downloads dir");
    let caps = json!({
        "browserName": "chrome",
        "goog:chromeOptions": {
            "binary": CHROMIUM,
            "args": [
                "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                "--disable-background-networking", "--disable-component-update",
                "--disable-sync", "--no-first-run", "--window-size=1280,900",
                format!("--user-data-dir={}", profile.path().join("profile").display()),
            ],
            "prefs": {
                "download.default_directory": downloads.to_string_lossy(),
                "download.prompt_for_download": false,
            },
        },
    });
    let Value::Object(caps) = caps else {
        unreachable!("a JSON object")
    };
    let connector = hyper_util::client::legacy::connect::HttpConnector::new();
    let client = match ClientBuilder::new(connector)
        .capabilities(caps)
        .connect(&format!("http://127.0.0.1:{port}"))
        .await
    {
        Ok(client) => client,
        Err(e) => {
            let _ = driver.kill();
            panic!("no WebDriver session with Chromium ({e}): {INSTALL}");
        }
    };
    let browser = Browser {
        client: client.clone(),
        downloads,
    };
    // The test runs as its own task so that a panic in it comes back here
    // as an error, after which the browser is still closed.
    let outcome = tokio::spawn(test(browser)).await;
    let _ = client.close().await;
    let _ = driver.kill();
    let _ = driver.wait();
    if let Err(e) = outcome {
        match e.try_into_panic() {
            Ok(panic) => std::panic::resume_unwind(panic),
            Err(e) => panic!("the test was cancelled: {e}"),
        }
    }
}

impl Browser {
    pub async fn goto(&self, url: &str) {
        self.client.goto(url).await.expect("navigate");
    }

    /// Waits for an element matching `css`.
    pub async fn find(&self, css: &str) -> Element {
        self.client
            .wait()
            .at_most(WAIT)
            .every(POLL)
            .for_element(Locator::Css(css))
            .await
            .unwrap_or_else(|e| panic!("no `{css}` within {WAIT:?}: {e}"))
    }

    /// Runs `script` (a function body; `arguments` holds `args`) in the page.
    pub async fn eval(&self, script: &str, args: Vec<Value>) -> Value {
        self.client
            .execute(script, args)
            .await
            .unwrap_or_else(|e| panic!("script failed: {e}\n{script}"))
    }

    /// Runs an async script: it calls `arguments[arguments.length - 1]`
    /// with its answer.
    pub async fn eval_async(&self, script: &str, args: Vec<Value>) -> Value {
        self.client
            .execute_async(script, args)
            .await
            .unwrap_or_else(|e| panic!("script failed: {e}\n{script}"))
    }

    /// Waits until the text of the first `css` element contains `needle`;
    /// returns that text.
    pub async fn wait_text(&self, css: &str, needle: &str) -> String {
        let deadline = Instant::now() + WAIT;
        let mut last = String::new();
        while Instant::now() < deadline {
            if let Ok(el) = self.client.find(Locator::Css(css)).await {
                last = el.text().await.unwrap_or_default();
                if last.contains(needle) {
                    return last;
                }
            }
            tokio::time::sleep(POLL).await;
        }
        panic!("`{css}` never showed `{needle}` within {WAIT:?}; last text: {last:?}");
    }

    /// Waits until `script` (a function body) returns true.
    pub async fn wait_until(&self, what: &str, script: &str) {
        let deadline = Instant::now() + WAIT;
        while Instant::now() < deadline {
            if self.eval(script, vec![]).await == Value::Bool(true) {
                return;
            }
            tokio::time::sleep(POLL).await;
        }
        panic!("never true within {WAIT:?}: {what}");
    }

    /// Whether an element matching `css` exists right now.
    pub async fn exists(&self, css: &str) -> bool {
        !self
            .client
            .find_all(Locator::Css(css))
            .await
            .expect("find_all")
            .is_empty()
    }

    /// Saves a screenshot of the whole page to target/screenshots/NAME.png:
    /// the window grows to the page's height (at most 4000 px) for it, then
    /// gets its size back.
    pub async fn screenshot(&self, name: &str) {
        let (width, height) = self.client.get_window_size().await.expect("window size");
        // The window is taller than the page's viewport by its own frame.
        let sizes = self
            .eval(
                "return [document.documentElement.scrollHeight, window.innerHeight];",
                vec![],
            )
            .await;
        let (page, inner) = (sizes[0].as_u64(), sizes[1].as_u64());
        let frame = inner.map_or(0, |inner| height.saturating_sub(inner));
        let full = page.map_or(height, |p| p + frame).clamp(height, 4000);
        let resize = |h: u64| self.client.set_window_size(width as u32, h as u32);
        resize(full).await.expect("grow the window");
        let png = self.client.screenshot().await.expect("screenshot");
        resize(height).await.expect("restore the window");
        std::fs::write(screenshot_dir().join(format!("{name}.png")), png).expect("write png");
    }

    /// Opens the page at `base` and signs in with `token`; waits until
    /// the header names `who`.
    pub async fn sign_in(&self, base: &str, token: &str, who: &str) {
        self.goto(&format!("{base}/")).await;
        self.find("#token")
            .await
            .send_keys(token)
            .await
            .expect("type the token");
        self.find("#sign-in")
            .await
            .click()
            .await
            .expect("click Sign in");
        self.wait_text("#who-name", who).await;
    }

    /// Clicks the element matching `css`.
    pub async fn click(&self, css: &str) {
        self.find(css).await.click().await.expect("click");
    }

    /// Waits for a file in the download directory whose name ends with
    /// `suffix` and is complete (Chromium writes `.crdownload` first).
    pub async fn downloaded(&self, suffix: &str) -> (String, Vec<u8>) {
        let deadline = Instant::now() + WAIT;
        while Instant::now() < deadline {
            for entry in std::fs::read_dir(&self.downloads)
                .expect("downloads")
                .flatten()
            {
                let name = entry.file_name().to_string_lossy().into_owned();
                if name.ends_with(suffix) {
                    return (
                        name,
                        std::fs::read(entry.path()).expect("read the download"),
                    );
                }
            }
            tokio::time::sleep(POLL).await;
        }
        panic!("no *{suffix} was downloaded within {WAIT:?}");
    }
}
