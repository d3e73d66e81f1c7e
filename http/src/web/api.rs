//! `/api/whoami` and `/api/catalogue`: what the web page needs to draw
//! itself. Who is signed in decides which buttons it shows (an auditor
//! sees none that change anything; the server refuses them anyway), and
//! the template builder's checkboxes are the core catalogue itself, so the
//! page never keeps a copy of the field list.

use leadger_core::catalogue::{Category, FIELDS};
use leadger_core::event;
use poem::web::Data;
use poem_openapi::payload::Json;
use poem_openapi::{Enum, Object, OpenApi, Tags};

use crate::auth::{BearerAuth, Caller};
use crate::error::ApiError;

#[derive(Tags)]
enum Session {
    /// The caller's own token.
    Tokens,
}

/// What a token may do.
#[derive(Enum, Clone, Copy, Debug, PartialEq, Eq)]
#[oai(rename_all = "lowercase")]
pub enum Role {
    /// Import, commit and read.
    Admin,
    /// Read everything, change nothing.
    Auditor,
}

impl From<event::Role> for Role {
    fn from(role: event::Role) -> Self {
        match role {
            event::Role::Admin => Role::Admin,
            event::Role::Auditor => Role::Auditor,
        }
    }
}

/// The token the request was made with.
#[derive(Object, Clone, Debug, PartialEq, Eq)]
pub struct WhoAmI {
    /// The token's name: the actor recorded in every event it writes.
    pub name: String,
    pub role: Role,
}

/// One of the four categories of a template.
#[derive(Object, Clone, Debug, PartialEq, Eq)]
pub struct CategoryView {
    /// `main`, `contact`, `communication` or `opportunity`, as the
    /// template route's `categories` parameter takes them.
    pub name: String,
    /// The category's title, e.g. `Main (Lead)`.
    pub title: String,
}

/// One column a template may hold.
#[derive(Object, Clone, Debug, PartialEq, Eq)]
pub struct FieldView {
    /// The header text, exactly as a template writes it.
    pub header: String,
    /// The category's `name`.
    pub category: String,
    /// A key identifier: always part of a template that uses its category.
    pub key: bool,
    /// What the column holds, for a person: `date`, `e-mail address`, …
    #[oai(rename = "type")]
    pub ty: String,
    /// An example value.
    pub example: String,
}

/// The field catalogue, in template order.
#[derive(Object, Clone, Debug, PartialEq, Eq)]
pub struct Catalogue {
    pub categories: Vec<CategoryView>,
    pub fields: Vec<FieldView>,
}

fn title(category: Category) -> &'static str {
    match category {
        Category::Main => "Main (Lead)",
        Category::Contact => "Contact",
        Category::Communication => "Communication",
        Category::Opportunity => "Opportunity",
    }
}

/// The catalogue as the API describes it.
pub fn catalogue() -> Catalogue {
    Catalogue {
        categories: Category::ALL
            .into_iter()
            .map(|c| CategoryView {
                name: c.name().to_string(),
                title: title(c).to_string(),
            })
            .collect(),
        fields: FIELDS
            .iter()
            .map(|f| FieldView {
                header: f.header.to_string(),
                category: f.category.name().to_string(),
                key: f.key,
                ty: f.ty.describe().to_string(),
                example: f.example.to_string(),
            })
            .collect(),
    }
}

/// The operations; they need no ledger: the caller is the auth
/// middleware's, the catalogue is static.
pub struct SessionApi;

#[OpenApi]
impl SessionApi {
    /// Who is signed in
    ///
    /// The name and role of the token the request carries: the web page
    /// calls it to sign in.
    #[oai(path = "/whoami", method = "get", tag = "Session::Tokens")]
    async fn whoami(
        &self,
        _auth: BearerAuth,
        caller: Data<&Caller>,
    ) -> Result<Json<WhoAmI>, ApiError> {
        Ok(Json(WhoAmI {
            name: caller.name.clone(),
            role: caller.role.into(),
        }))
    }

    /// The fields a template may hold
    ///
    /// Every field of the catalogue with its category, whether it is a key
    /// identifier, and its type: what `fields` of the template route takes.
    #[oai(
        path = "/catalogue",
        method = "get",
        tag = "crate::api::Area::Templates"
    )]
    async fn catalogue(&self, _auth: BearerAuth) -> Result<Json<Catalogue>, ApiError> {
        Ok(Json(catalogue()))
    }
}
