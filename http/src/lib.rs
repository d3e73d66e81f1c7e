//! The leadger HTTP API: the application layer's commands over poem and
//! poem-openapi, with bearer tokens and roles (PRODUCT.md sections 7, 9).
//!
//! Architecture invariant: this crate knows HTTP, OpenAPI and the wire
//! types, and nothing of storage; it calls `Ledger` for every answer and
//! holds no rule of its own beyond who may call what. It is generic over
//! the store, so tests run it on the in-memory one.
//!
//! Module map: `server` assembles the routes and runs them; `api` holds
//! the operations (one `#[OpenApi]` struct per area); `wire` the
//! poem-openapi mirrors of the core reports; `auth` the token middleware;
//! `limit` the upload size limit; `progress` what a long preview or commit is doing; `error` the one error shape; `web` the
//! web page (its files, and the two API routes it needs).
#![forbid(unsafe_code)]

mod api;
mod auth;
mod error;
mod limit;
mod progress;
mod server;
#[cfg(test)]
mod tests;
mod web;
mod wire;

pub use error::ErrorBody;
pub use server::{app, serve, shutdown_signal, Config};
