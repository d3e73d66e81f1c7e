//! The whole server: routes, middleware, the listener and graceful
//! shutdown.
//!
//! | path | what | token |
//! |---|---|---|
//! | `/api/…` | the API ([`crate::api`]) | yes |
//! | `/api/openapi.json` | its OpenAPI document | no |
//! | `/docs` | a browsable docs page (Swagger UI, assets embedded) | no |
//! | `/healthz` | `{"status":"ok"}` | no |
//! | `/`, `/leads/{id}`, … | the web page ([`crate::web`]) | no |
//! | `/assets/…` | its stylesheet and scripts | no |

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use leadger_core::store::Store;
use leadger_core::Ledger;
use poem::listener::TcpAcceptor;
use poem::middleware::{CatchPanic, Tracing};
use poem::web::Json;
use poem::{get, handler, Endpoint, EndpointExt, IntoResponse, Route, Server};

use crate::auth::RequireToken;
use crate::error::{into_json_response, ApiError};
use crate::limit::UploadLimit;

/// How the server behaves.
#[derive(Clone, Debug)]
pub struct Config {
    /// Bodies over this many bytes are refused with 413.
    pub max_upload_bytes: u64,
    /// How long in-flight requests (a commit, say) may take to finish
    /// after a shutdown signal before their connections are dropped.
    pub shutdown_grace: Duration,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            max_upload_bytes: 100 << 20,
            shutdown_grace: Duration::from_secs(120),
        }
    }
}

#[handler]
fn healthz() -> Json<serde_json::Value> {
    Json(serde_json::json!({"status": "ok"}))
}

/// The application: every route, with errors in the one JSON shape.
pub fn app<S: Store + 'static>(ledger: Arc<Ledger<S>>, config: &Config) -> impl Endpoint {
    let api = crate::api::service(Arc::clone(&ledger));
    let spec = api.spec_endpoint();
    let docs = api.swagger_ui();
    crate::web::mount(Route::new())
        .at("/healthz", get(healthz))
        .nest("/docs", docs)
        .at("/api/openapi.json", spec)
        .nest(
            "/api",
            api.with(UploadLimit::new(config.max_upload_bytes))
                .with(RequireToken::new(ledger)),
        )
        .catch_all_error(into_json_response)
        .with(CatchPanic::new().with_handler(|_| {
            ApiError::internal("the server failed while answering: see its log").into_response()
        }))
        .with(Tracing)
}

/// Serves `app` on an already bound listener until `shutdown` resolves,
/// then lets in-flight requests finish for up to `config.shutdown_grace`.
/// Work already handed to the blocking pool (a commit) runs to its end
/// whatever happens to its connection: the append protocol makes it all
/// or nothing, and it is acknowledged only when it is durable.
pub async fn serve<S: Store + 'static>(
    listener: std::net::TcpListener,
    ledger: Arc<Ledger<S>>,
    config: Config,
    shutdown: impl Future<Output = ()>,
) -> std::io::Result<()> {
    listener.set_nonblocking(true)?;
    let acceptor = TcpAcceptor::from_std(listener)?;
    Server::new_with_acceptor(acceptor)
        .run_with_graceful_shutdown(app(ledger, &config), shutdown, Some(config.shutdown_grace))
        .await
}

/// A future that resolves on Ctrl-C or SIGTERM. The handlers are installed
/// when this is called (inside a tokio runtime), not when the future is
/// first polled: a caller that says it is listening after calling it will
/// not be killed by a SIGTERM sent as soon as it says so.
#[cfg(unix)]
pub fn shutdown_signal() -> std::io::Result<impl std::future::Future<Output = ()>> {
    use tokio::signal::unix::{signal, SignalKind};
    let mut interrupt = signal(SignalKind::interrupt())?;
    let mut terminate = signal(SignalKind::terminate())?;
    Ok(async move {
        tokio::select! {
            _ = interrupt.recv() => {}
            _ = terminate.recv() => {}
        }
    })
}

/// A future that resolves on Ctrl-C.
#[cfg(not(unix))]
pub fn shutdown_signal() -> std::io::Result<impl std::future::Future<Output = ()>> {
    Ok(async {
        if tokio::signal::ctrl_c().await.is_err() {
            std::future::pending::<()>().await;
        }
    })
}
