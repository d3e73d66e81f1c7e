//! The leadger domain: the field catalogue, reading spreadsheet rows,
//! parsing and validating values, matching rows to records, the events of
//! the ledger, the projections built from them, and the application layer
//! (`Ledger`) that both front ends call.
//!
//! Architecture invariant: this crate does no I/O of its own. It is handed
//! readers, a clock and a [`store::Store`]; it knows nothing of sled, poem,
//! clap or tokio.
#![forbid(unsafe_code)]

pub mod app;
pub mod catalogue;
pub mod cell;
pub mod codec;
pub(crate) mod cursor;
pub mod event;
pub mod hashing;
pub mod log;
pub mod matching;
pub mod memstore;
pub mod parse;
pub mod projection;
pub mod read;
pub mod reference;
pub mod store;
pub mod suggest;
pub mod template;
pub mod validate;
pub mod value;

pub use app::{Ledger, LedgerError, LedgerOptions};
