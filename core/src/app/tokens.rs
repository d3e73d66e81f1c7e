//! API tokens: create, list, revoke, and authenticate a bearer secret.
//!
//! A token is a random secret shown once to whoever created it; the ledger
//! keeps only its blake3 hash (in a `TokenCreated` event, projected into
//! the tokens table). Revoking is an event too, so who could act when is
//! part of the audit trail.

use serde::{Deserialize, Serialize};

use super::report::timestamp;
use super::{Ledger, LedgerError};
use crate::codec;
use crate::event::{Event, Hash, Role};
use crate::projection::keys;
use crate::projection::records::TokenRecord;
use crate::store::{Store, StoreError, Table};

/// What a secret looks like: this prefix, then 64 hex digits.
const SECRET_PREFIX: &str = "ldg_";

/// A token as listed: never its secret nor its hash.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TokenView {
    pub name: String,
    pub role: Role,
    pub created_at: String,
    pub created_by: String,
    /// When it was revoked; null while it is active.
    pub revoked_at: Option<String>,
}

impl From<&TokenRecord> for TokenView {
    fn from(r: &TokenRecord) -> Self {
        TokenView {
            name: r.name.clone(),
            role: r.role,
            created_at: timestamp(r.created_at_ms),
            created_by: r.created_by.clone(),
            revoked_at: r.revoked_at_ms.map(timestamp),
        }
    }
}

impl Role {
    /// The lower-case name users type and JSON shows.
    pub fn name(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::Auditor => "auditor",
        }
    }

    /// Reads `admin` or `auditor`, any case.
    pub fn parse(text: &str) -> Option<Role> {
        match text.trim().to_ascii_lowercase().as_str() {
            "admin" => Some(Role::Admin),
            "auditor" => Some(Role::Auditor),
            _ => None,
        }
    }
}

fn hash_secret(secret: &str) -> Hash {
    *blake3::hash(secret.as_bytes()).as_bytes()
}

/// Compares two hashes without stopping at the first difference.
fn same_hash(a: &Hash, b: &Hash) -> bool {
    a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

fn check_name(name: &str) -> Result<(), LedgerError> {
    let valid = !name.is_empty()
        && name.len() <= 64
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'));
    if valid {
        Ok(())
    } else {
        Err(LedgerError::BadRequest(format!(
            "`{name}` is not a token name: use 1 to 64 letters, digits, `.`, `_` or `-`"
        )))
    }
}

impl<S: Store> Ledger<S> {
    fn token_records(&self) -> Result<Vec<TokenRecord>, LedgerError> {
        let mut out = Vec::new();
        for entry in self.store.scan(Table::Tokens, &[], &[]) {
            let (_, bytes) = entry?;
            out.push(codec::decode::<TokenRecord>(&bytes)?);
        }
        Ok(out)
    }

    fn active_token(&self, name: &str) -> Result<Option<TokenRecord>, LedgerError> {
        Ok(match self.store.get(Table::Tokens, &keys::token(name))? {
            Some(bytes) => {
                Some(codec::decode::<TokenRecord>(&bytes)?).filter(|t| t.revoked_at_ms.is_none())
            }
            None => None,
        })
    }

    /// Creates a token and returns its secret, which is shown this once:
    /// the ledger records only its hash. A revoked token's name may be
    /// used again; an active one's may not.
    pub fn create_token(&self, name: &str, role: Role, actor: &str) -> Result<String, LedgerError> {
        check_name(name)?;
        let _w = self.lock();
        if self.active_token(name)?.is_some() {
            return Err(LedgerError::Conflict(format!(
                "there is already an active token named `{name}`: revoke it first or choose another name"
            )));
        }
        let mut bytes = [0u8; 32];
        getrandom::fill(&mut bytes).map_err(|e| {
            LedgerError::Store(StoreError::Io(format!(
                "the operating system gave no randomness for the token: {e}"
            )))
        })?;
        let secret = format!("{SECRET_PREFIX}{}", super::report::hex(&bytes));
        let event = Event::TokenCreated {
            name: name.to_string(),
            role,
            token_hash: hash_secret(&secret),
        };
        self.append_one(actor, event)?;
        Ok(secret)
    }

    /// Every token ever created (revoked ones too), by name.
    pub fn list_tokens(&self) -> Result<Vec<TokenView>, LedgerError> {
        Ok(self.token_records()?.iter().map(TokenView::from).collect())
    }

    /// Revokes an active token: its secret stops working at once.
    pub fn revoke_token(&self, name: &str, actor: &str) -> Result<(), LedgerError> {
        let _w = self.lock();
        if self.active_token(name)?.is_none() {
            return Err(LedgerError::NotFound(format!(
                "there is no active token named `{name}`: `leadger tokens list` shows them"
            )));
        }
        let event = Event::TokenRevoked {
            name: name.to_string(),
        };
        self.append_one(actor, event)?;
        Ok(())
    }

    /// The name and role of the active token with this secret, if any.
    pub fn authenticate(&self, secret: &str) -> Result<Option<(String, Role)>, LedgerError> {
        let secret = secret.trim();
        if !secret.starts_with(SECRET_PREFIX) {
            return Ok(None);
        }
        let hash = hash_secret(secret);
        Ok(self
            .token_records()?
            .into_iter()
            .find(|t| t.revoked_at_ms.is_none() && same_hash(&t.token_hash, &hash))
            .map(|t| (t.name, t.role)))
    }

    /// Whether any token is active (`serve` creates a first admin token
    /// when none is).
    pub fn has_tokens(&self) -> Result<bool, LedgerError> {
        Ok(self
            .token_records()?
            .iter()
            .any(|t| t.revoked_at_ms.is_none()))
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::memstore::MemStore;
    use crate::LedgerOptions;

    fn ledger() -> Ledger<MemStore> {
        Ledger::open(
            MemStore::new(),
            Box::new(crate::app::SystemClock),
            LedgerOptions::default(),
        )
        .unwrap()
    }

    #[test]
    fn tokens_created_authenticate_with_their_role_until_revoked() {
        let l = ledger();
        assert!(!l.has_tokens().unwrap());
        let admin = l.create_token("ops", Role::Admin, "cli:amy").unwrap();
        let audit = l
            .create_token("audit.bot", Role::Auditor, "cli:amy")
            .unwrap();
        assert!(admin.starts_with("ldg_") && admin.len() == 4 + 64);
        assert_ne!(admin, audit);
        assert!(l.has_tokens().unwrap());
        assert_eq!(
            l.authenticate(&admin).unwrap(),
            Some(("ops".into(), Role::Admin))
        );
        assert_eq!(
            l.authenticate(&audit).unwrap(),
            Some(("audit.bot".into(), Role::Auditor))
        );
        assert_eq!(l.authenticate("ldg_00").unwrap(), None);
        assert_eq!(l.authenticate("").unwrap(), None);

        l.revoke_token("ops", "cli:amy").unwrap();
        assert_eq!(l.authenticate(&admin).unwrap(), None);
        let listed = l.list_tokens().unwrap();
        assert_eq!(listed.len(), 2);
        let ops = listed.iter().find(|t| t.name == "ops").unwrap();
        assert!(ops.revoked_at.is_some());
        assert_eq!(ops.created_by, "cli:amy");
        assert_eq!(ops.role, Role::Admin);
    }

    #[test]
    fn tokens_store_only_the_hash_of_the_secret() {
        let l = ledger();
        let secret = l.create_token("ops", Role::Admin, "cli").unwrap();
        for table in crate::store::Table::ALL {
            for entry in l.store().scan(table, &[], &[]) {
                let (_, bytes) = entry.unwrap();
                let found = bytes.windows(secret.len()).any(|w| w == secret.as_bytes());
                assert!(!found, "the secret is stored in {}", table.name());
            }
        }
    }

    #[test]
    fn tokens_refuse_a_duplicate_active_name_and_bad_names() {
        let l = ledger();
        l.create_token("ops", Role::Admin, "cli").unwrap();
        let dup = l.create_token("ops", Role::Auditor, "cli").unwrap_err();
        assert!(matches!(dup, LedgerError::Conflict(_)), "{dup}");
        for bad in ["", "has space", "slash/no", "ünï"] {
            let err = l.create_token(bad, Role::Admin, "cli").unwrap_err();
            assert!(matches!(err, LedgerError::BadRequest(_)), "{bad}: {err}");
        }
        // A revoked name may be given to a new token.
        l.revoke_token("ops", "cli").unwrap();
        let again = l.create_token("ops", Role::Auditor, "cli").unwrap();
        assert_eq!(
            l.authenticate(&again).unwrap(),
            Some(("ops".into(), Role::Auditor))
        );
    }

    #[test]
    fn tokens_revoke_unknown_or_revoked_is_not_found() {
        let l = ledger();
        let err = l.revoke_token("nobody", "cli").unwrap_err();
        assert!(matches!(err, LedgerError::NotFound(_)), "{err}");
        l.create_token("ops", Role::Admin, "cli").unwrap();
        l.revoke_token("ops", "cli").unwrap();
        let err = l.revoke_token("ops", "cli").unwrap_err();
        assert!(matches!(err, LedgerError::NotFound(_)), "{err}");
        assert!(!l.has_tokens().unwrap());
    }

    #[test]
    fn tokens_survive_a_rebuild_from_the_log() {
        let l = ledger();
        let secret = l.create_token("ops", Role::Admin, "cli").unwrap();
        l.create_token("gone", Role::Auditor, "cli").unwrap();
        l.revoke_token("gone", "cli").unwrap();
        let report = l.rebuild(&crate::app::NoProgress).unwrap();
        assert!(report.identical);
        assert_eq!(
            l.authenticate(&secret).unwrap(),
            Some(("ops".into(), Role::Admin))
        );
        assert_eq!(l.list_tokens().unwrap().len(), 2);
    }
}
