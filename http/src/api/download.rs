//! A file download: any bytes, with their content type and a
//! `Content-Disposition` that names the file (ASCII fallback plus the
//! RFC 6266 `filename*` form for any other name).

use poem::http::header;
use poem::{Body, IntoResponse, Response};
use poem_openapi::registry::{
    MetaHeader, MetaMediaType, MetaResponse, MetaResponses, MetaSchema, MetaSchemaRef, Registry,
};
use poem_openapi::types::Type;
use poem_openapi::ApiResponse;

/// A file to download.
pub struct Download {
    pub body: Body,
    pub file_name: String,
    pub content_type: String,
}

/// `attachment; filename="…"; filename*=UTF-8''…`.
pub fn content_disposition(file_name: &str) -> String {
    let ascii: String = file_name
        .chars()
        .map(|c| {
            if c.is_ascii_graphic() && c != '"' && c != '\\' || c == ' ' {
                c
            } else {
                '_'
            }
        })
        .collect();
    let mut encoded = String::new();
    for b in file_name.bytes() {
        if b.is_ascii_alphanumeric() || b"!#$&+-.^_`|~".contains(&b) {
            encoded.push(b as char);
        } else {
            encoded.push_str(&format!("%{b:02X}"));
        }
    }
    format!("attachment; filename=\"{ascii}\"; filename*=UTF-8''{encoded}")
}

impl IntoResponse for Download {
    fn into_response(self) -> Response {
        Response::builder()
            .content_type(self.content_type)
            .header(
                header::CONTENT_DISPOSITION,
                content_disposition(&self.file_name),
            )
            .body(self.body)
    }
}

impl ApiResponse for Download {
    fn meta() -> MetaResponses {
        let binary =
            || MetaSchemaRef::Inline(Box::new(MetaSchema::new_with_format("string", "binary")));
        MetaResponses {
            responses: vec![MetaResponse {
                description: "The file, with its name in Content-Disposition.",
                status: Some(200),
                status_range: None,
                content: vec![MetaMediaType {
                    content_type: "application/octet-stream",
                    schema: binary(),
                }],
                headers: vec![MetaHeader {
                    name: "Content-Disposition".to_string(),
                    description: Some("attachment; filename=\"…\"".to_string()),
                    required: true,
                    deprecated: false,
                    schema: String::schema_ref(),
                }],
            }],
        }
    }

    fn register(_registry: &mut Registry) {}
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn content_disposition_names_any_file_safely() {
        assert_eq!(
            content_disposition("leads.csv"),
            "attachment; filename=\"leads.csv\"; filename*=UTF-8''leads.csv"
        );
        assert_eq!(
            content_disposition("Bücher \"Q1\".xlsx"),
            "attachment; filename=\"B_cher _Q1_.xlsx\"; filename*=UTF-8''B%C3%BCcher%20%22Q1%22.xlsx"
        );
    }
}
