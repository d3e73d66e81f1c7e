//! The upload size limit. A request that declares a `Content-Length` over
//! the limit is refused with 413 before its body is read; one without a
//! length (chunked) is counted as it streams and refused as soon as it
//! passes the limit. Nothing is ever held whole in memory either way.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use futures_util::StreamExt;
use poem::http::header;
use poem::{Body, Endpoint, IntoResponse, Middleware, Request, Response};

use crate::error::ApiError;

/// The middleware: refuse bodies over `max_bytes`.
pub struct UploadLimit {
    max_bytes: u64,
}

impl UploadLimit {
    pub fn new(max_bytes: u64) -> Self {
        UploadLimit { max_bytes }
    }
}

impl<E: Endpoint> Middleware<E> for UploadLimit {
    type Output = UploadLimitEndpoint<E>;

    fn transform(&self, inner: E) -> Self::Output {
        UploadLimitEndpoint {
            inner,
            max_bytes: self.max_bytes,
        }
    }
}

pub struct UploadLimitEndpoint<E> {
    inner: E,
    max_bytes: u64,
}

fn mib(bytes: u64) -> String {
    let m = bytes as f64 / (1024.0 * 1024.0);
    if m >= 10.0 {
        format!("{m:.0} MiB")
    } else {
        format!("{m:.1} MiB")
    }
}

impl<E> UploadLimitEndpoint<E> {
    fn refusal(&self, size: Option<u64>) -> ApiError {
        let size = size.map(|s| format!(" ({})", mib(s))).unwrap_or_default();
        ApiError::too_large(format!(
            "the upload{size} is over the limit of {}: split the file, or start the server with a larger --max-upload-mb",
            mib(self.max_bytes)
        ))
    }
}

/// Reads and discards a refused body, so that the client, still sending,
/// hears the 413 instead of a reset connection. Only for bodies of a
/// bounded size, and never when the client waits for `100 Continue` (it
/// then sends nothing until told to).
async fn drain(body: Body) {
    let mut stream = body.into_bytes_stream();
    while let Some(Ok(_)) = stream.next().await {}
}

impl<E: Endpoint> Endpoint for UploadLimitEndpoint<E> {
    type Output = Response;

    async fn call(&self, mut req: Request) -> poem::Result<Response> {
        let declared = req
            .headers()
            .get(header::CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.trim().parse::<u64>().ok());
        if let Some(len) = declared {
            if len > self.max_bytes {
                let expects_continue = req
                    .headers()
                    .get(header::EXPECT)
                    .is_some_and(|v| v.as_bytes().eq_ignore_ascii_case(b"100-continue"));
                if !expects_continue && len <= self.max_bytes.saturating_mul(2) {
                    drain(req.take_body()).await;
                }
                return Err(self.refusal(Some(len)).into());
            }
            // hyper never yields more than the declared length.
            return self.inner.call(req).await.map(IntoResponse::into_response);
        }
        let over = Arc::new(AtomicBool::new(false));
        let flag = Arc::clone(&over);
        let max = self.max_bytes;
        let mut seen = 0u64;
        let counted = req.take_body().into_bytes_stream().map(move |chunk| {
            let chunk = chunk?;
            seen += chunk.len() as u64;
            if seen > max {
                flag.store(true, Ordering::SeqCst);
                return Err(std::io::Error::other("the upload is over the size limit"));
            }
            Ok(chunk)
        });
        req.set_body(Body::from_bytes_stream(counted));
        let answer = self.inner.call(req).await;
        if over.load(Ordering::SeqCst) {
            return Err(self.refusal(None).into());
        }
        answer.map(IntoResponse::into_response)
    }
}
