//! Bearer tokens and roles (PRODUCT.md section 9). One middleware guards
//! every `/api` route: it authenticates the token against the ledger,
//! refuses an auditor anything but reading, and hands the handlers the
//! [`Caller`], whose name is the actor of every event they write. The
//! check runs before any handler reads the request body, so a refused
//! upload is never stored.

use std::sync::Arc;

use leadger_core::event::Role;
use leadger_core::store::Store;
use leadger_core::Ledger;
use poem::http::{header, Method};
use poem::{Endpoint, IntoResponse, Middleware, Request, Response};
use poem_openapi::auth::Bearer;
use poem_openapi::SecurityScheme;

use crate::error::ApiError;

/// A token made with `leadger tokens create NAME --role admin|auditor`
/// (or the `admin` token `leadger serve` prints on its first start).
#[derive(SecurityScheme)]
#[oai(ty = "bearer", bearer_format = "ldg_<64 hex digits>")]
pub struct BearerAuth(
    // Read by the middleware, not the handlers; declared for the document.
    #[allow(dead_code)] pub Bearer,
);

/// Who is calling: the token's name and role.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Caller {
    pub name: String,
    pub role: Role,
}

/// The middleware that requires a token on every route it wraps.
pub struct RequireToken<S: Store> {
    ledger: Arc<Ledger<S>>,
}

impl<S: Store> RequireToken<S> {
    pub fn new(ledger: Arc<Ledger<S>>) -> Self {
        RequireToken { ledger }
    }
}

impl<S: Store + 'static, E: Endpoint> Middleware<E> for RequireToken<S> {
    type Output = RequireTokenEndpoint<S, E>;

    fn transform(&self, inner: E) -> Self::Output {
        RequireTokenEndpoint {
            inner,
            ledger: Arc::clone(&self.ledger),
        }
    }
}

pub struct RequireTokenEndpoint<S: Store, E> {
    inner: E,
    ledger: Arc<Ledger<S>>,
}

const HOW: &str = "send `Authorization: Bearer TOKEN` with a token from `leadger tokens create NAME --role admin|auditor`";

fn bearer(req: &Request) -> Option<&str> {
    let value = req.headers().get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.trim().split_once(' ')?;
    scheme
        .eq_ignore_ascii_case("bearer")
        .then_some(token.trim())
}

impl<S: Store + 'static, E: Endpoint> RequireTokenEndpoint<S, E> {
    fn caller(&self, req: &Request) -> Result<Caller, ApiError> {
        let Some(secret) = bearer(req) else {
            return Err(ApiError::unauthorized(format!(
                "this route needs a bearer token: {HOW}"
            )));
        };
        // A handful of small records, read from the store's cache: cheap
        // enough for the async thread.
        match self.ledger.authenticate(secret)? {
            Some((name, role)) => Ok(Caller { name, role }),
            None => Err(ApiError::unauthorized(format!(
                "the bearer token is unknown or revoked: {HOW}"
            ))),
        }
    }
}

impl<S: Store + 'static, E: Endpoint> Endpoint for RequireTokenEndpoint<S, E> {
    type Output = Response;

    async fn call(&self, mut req: Request) -> poem::Result<Response> {
        let caller = self.caller(&req)?;
        let reads = matches!(*req.method(), Method::GET | Method::HEAD);
        if caller.role == Role::Auditor && !reads {
            return Err(ApiError::forbidden(format!(
                "token `{}` is an auditor's: it may read everything and change nothing; use an admin token",
                caller.name
            ))
            .into());
        }
        req.set_data(caller);
        self.inner.call(req).await.map(IntoResponse::into_response)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bearer_reads_the_scheme_in_any_case() {
        let req = |v: &str| Request::builder().header(header::AUTHORIZATION, v).finish();
        assert_eq!(bearer(&req("Bearer ldg_1")), Some("ldg_1"));
        assert_eq!(bearer(&req("bearer  ldg_1 ")), Some("ldg_1"));
        assert_eq!(bearer(&req("Basic abc")), None);
        assert_eq!(bearer(&req("ldg_1")), None);
        assert_eq!(bearer(&Request::builder().finish()), None);
    }
}
