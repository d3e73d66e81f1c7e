//! One error body for every 4xx/5xx answer: `{"error": code, "message":
//! text}`. Ledger errors map to statuses by the table on
//! [`LedgerError`]; poem's own errors (unknown route, bad parameter, bad
//! multipart, …) are caught at the edge and given the same shape.

use leadger_core::store::StoreError;
use leadger_core::LedgerError;
use poem::http::StatusCode;
use poem::{IntoResponse, Response};
use poem_openapi::payload::Json;
use poem_openapi::{ApiResponse, Object};

/// The body of every error answer.
#[derive(Object, Clone, Debug, PartialEq, Eq)]
pub struct ErrorBody {
    /// A short machine-readable code, e.g. `not_found`, `conflict`.
    pub error: String,
    /// What went wrong and what to do, for a person.
    pub message: String,
}

/// The error answers of every operation.
#[derive(ApiResponse, Debug)]
pub enum ApiError {
    /// A malformed request: a bad parameter or body, or a value the ledger
    /// refuses.
    #[oai(status = 400)]
    BadRequest(Json<ErrorBody>),
    /// No bearer token, or one that is unknown or revoked.
    #[oai(status = 401)]
    Unauthorized(Json<ErrorBody>),
    /// The token's role may not do this (auditors only read).
    #[oai(status = 403)]
    Forbidden(Json<ErrorBody>),
    /// No such import, lead or route.
    #[oai(status = 404)]
    NotFound(Json<ErrorBody>),
    /// A commit that is stale (preview again), repeated, or of a preview
    /// with validation errors; a token name already in use.
    #[oai(status = 409)]
    Conflict(Json<ErrorBody>),
    /// The upload is over the size limit, or would unpack too large.
    #[oai(status = 413)]
    TooLarge(Json<ErrorBody>),
    /// The file is not a spreadsheet type leadger reads.
    #[oai(status = 415)]
    Unsupported(Json<ErrorBody>),
    /// The file claims to be a spreadsheet but cannot be read.
    #[oai(status = 422)]
    Unreadable(Json<ErrorBody>),
    /// The server failed; the message says how.
    #[oai(status = 500)]
    Internal(Json<ErrorBody>),
    /// The data directory is held by another process.
    #[oai(status = 503)]
    Unavailable(Json<ErrorBody>),
}

fn body(error: &str, message: impl Into<String>) -> Json<ErrorBody> {
    Json(ErrorBody {
        error: error.to_string(),
        message: message.into(),
    })
}

impl ApiError {
    pub fn unauthorized(message: impl Into<String>) -> Self {
        ApiError::Unauthorized(body("unauthorized", message))
    }

    pub fn forbidden(message: impl Into<String>) -> Self {
        ApiError::Forbidden(body("forbidden", message))
    }

    pub fn too_large(message: impl Into<String>) -> Self {
        ApiError::TooLarge(body("too_large", message))
    }

    pub fn bad_request(message: impl Into<String>) -> Self {
        ApiError::BadRequest(body("bad_request", message))
    }

    pub fn internal(message: impl Into<String>) -> Self {
        ApiError::Internal(body("internal", message))
    }
}

impl From<LedgerError> for ApiError {
    fn from(e: LedgerError) -> Self {
        let b = body(e.code(), e.to_string());
        match e {
            LedgerError::BadRequest(_) => ApiError::BadRequest(b),
            LedgerError::NotFound(_) => ApiError::NotFound(b),
            LedgerError::Conflict(_) | LedgerError::HasErrors { .. } => ApiError::Conflict(b),
            LedgerError::Unsupported(_) => ApiError::Unsupported(b),
            LedgerError::Unreadable(_) => ApiError::Unreadable(b),
            LedgerError::TooLarge(_) => ApiError::TooLarge(b),
            LedgerError::Store(StoreError::Locked { .. }) => ApiError::Unavailable(b),
            LedgerError::Store(_) | LedgerError::Corrupt(_) | LedgerError::Internal(_) => {
                tracing::error!(error = %e, "request failed");
                ApiError::Internal(b)
            }
        }
    }
}

/// The `error` code of an answer poem produced itself.
fn code_for(status: StatusCode) -> String {
    match status.as_u16() {
        400 => "bad_request".into(),
        401 => "unauthorized".into(),
        403 => "forbidden".into(),
        404 => "not_found".into(),
        409 => "conflict".into(),
        413 => "too_large".into(),
        415 => "unsupported_media_type".into(),
        422 => "unreadable_file".into(),
        503 => "unavailable".into(),
        s if s >= 500 => "internal".into(),
        _ => status
            .canonical_reason()
            .unwrap_or("error")
            .to_ascii_lowercase()
            .replace([' ', '-'], "_"),
    }
}

/// Turns any error that reaches the edge into the JSON error shape. Our
/// own [`ApiError`]s already are answers and pass unchanged.
pub async fn into_json_response(err: poem::Error) -> Response {
    if err.is_from_response() {
        return err.into_response();
    }
    let status = err.status();
    let message = match status.as_u16() {
        404 => "there is no such route: the API is described at /api/openapi.json".to_string(),
        405 => "this route does not take that method: see /api/openapi.json".to_string(),
        // poem-openapi names path parameters by position (`param0`).
        _ => (0..4).fold(err.to_string(), |m, i| {
            m.replace(&format!("path `param{i}`"), "the path")
        }),
    };
    if status.is_server_error() {
        tracing::error!(%status, %message, "request failed");
    }
    let mut resp = body(&code_for(status), message).into_response();
    resp.set_status(status);
    resp
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ledger_errors_map_to_the_status_table() {
        let cases: Vec<(LedgerError, u16, &str)> = vec![
            (LedgerError::BadRequest("x".into()), 400, "bad_request"),
            (LedgerError::NotFound("x".into()), 404, "not_found"),
            (LedgerError::Conflict("x".into()), 409, "conflict"),
            (
                LedgerError::HasErrors {
                    import_id: 1,
                    errors: 2,
                },
                409,
                "has_errors",
            ),
            (
                LedgerError::Unsupported("x".into()),
                415,
                "unsupported_media_type",
            ),
            (LedgerError::Unreadable("x".into()), 422, "unreadable_file"),
            (LedgerError::TooLarge("x".into()), 413, "too_large"),
            (
                LedgerError::Store(StoreError::Locked { path: "d".into() }),
                503,
                "locked",
            ),
            (LedgerError::Corrupt("x".into()), 500, "internal"),
            (LedgerError::Internal("x".into()), 500, "internal"),
        ];
        for (e, status, code) in cases {
            let resp = ApiError::from(e).into_response();
            assert_eq!(resp.status().as_u16(), status, "{code}");
        }
    }

    #[test]
    fn poem_statuses_get_codes() {
        assert_eq!(
            code_for(StatusCode::METHOD_NOT_ALLOWED),
            "method_not_allowed"
        );
        assert_eq!(code_for(StatusCode::LENGTH_REQUIRED), "length_required");
        assert_eq!(code_for(StatusCode::BAD_GATEWAY), "internal");
    }
}
