//! The web page (issue 5): one HTML page, its stylesheet and its
//! scripts, embedded in the binary and served without a token. The page
//! is only a client of the API: it signs in with a bearer token, keeps it
//! in `sessionStorage`, and every piece of data it shows comes from an
//! `/api` call that needs that token.
//!
//! The page routes on the client; the server answers each of its paths
//! (`/`, `/template`, `/import`, `/imports`, `/imports/{id}`,
//! `/leads/{id}`, the last being the `url` of every commit result) with
//! the same HTML, so a link can be opened, reloaded or shared.
//!
//! Every answer here carries a strict Content-Security-Policy: scripts
//! and styles only from this server, no inline script, no other origin.
//! Together with building the DOM from text nodes only (never
//! `innerHTML`), a lead named `<script>` can only ever show as text.
//!
//! `api` holds the two small API operations the page needs that the
//! other areas did not have: who is signed in, and the field catalogue.

mod api;
#[cfg(test)]
mod tests;

use poem::http::{header, StatusCode};
use poem::web::Path;
use poem::{get, handler, Response, Route};

pub use api::SessionApi;

/// No script, style, image or connection but from this server; no
/// inline script or style; never framed.
const CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self'; \
     img-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'none'; \
     frame-ancestors 'none'";

const INDEX: &[u8] = include_bytes!("assets/index.html");

/// The page's files under `/assets/`: name, content type, bytes.
const ASSETS: &[(&str, &str, &[u8])] = &[
    ("style.css", CSS, include_bytes!("assets/style.css")),
    ("icon.svg", SVG, include_bytes!("assets/icon.svg")),
    ("js/main.js", JS, include_bytes!("assets/js/main.js")),
    ("js/api.js", JS, include_bytes!("assets/js/api.js")),
    ("js/dom.js", JS, include_bytes!("assets/js/dom.js")),
    ("js/table.js", JS, include_bytes!("assets/js/table.js")),
    (
        "js/template.js",
        JS,
        include_bytes!("assets/js/template.js"),
    ),
    ("js/import.js", JS, include_bytes!("assets/js/import.js")),
    ("js/report.js", JS, include_bytes!("assets/js/report.js")),
    ("js/imports.js", JS, include_bytes!("assets/js/imports.js")),
    ("js/lead.js", JS, include_bytes!("assets/js/lead.js")),
];

const CSS: &str = "text/css; charset=utf-8";
const JS: &str = "text/javascript; charset=utf-8";
const SVG: &str = "image/svg+xml";

/// The page's paths: each answers the same HTML, which routes itself.
const PAGES: &[&str] = &[
    "/",
    "/template",
    "/import",
    "/imports",
    "/imports/<\\d+>",
    "/leads/<\\d+>",
];

/// An answer with the headers every file of the page carries. The files
/// are part of the binary, so a browser must revalidate them after an
/// upgrade: `no-cache` (they are small).
fn file(content_type: &str, bytes: &'static [u8]) -> Response {
    Response::builder()
        .content_type(content_type)
        .header(header::CONTENT_SECURITY_POLICY, CSP)
        .header(header::X_CONTENT_TYPE_OPTIONS, "nosniff")
        .header(header::REFERRER_POLICY, "no-referrer")
        .header(header::CACHE_CONTROL, "no-cache")
        .body(bytes)
}

#[handler]
fn page() -> Response {
    file("text/html; charset=utf-8", INDEX)
}

#[handler]
fn asset(Path(name): Path<String>) -> poem::Result<Response> {
    match ASSETS.iter().find(|(n, _, _)| *n == name) {
        Some((_, content_type, bytes)) => Ok(file(content_type, bytes)),
        None => Err(poem::Error::from_status(StatusCode::NOT_FOUND)),
    }
}

/// Adds the page's routes (none needs a token) to `route`.
pub fn mount(route: Route) -> Route {
    PAGES
        .iter()
        .fold(route, |route, path| route.at(*path, get(page)))
        .at("/assets/*name", get(asset))
}
