//! Shared helpers for integration tests.
//!
//! Include from an integration test with `mod common;` and then
//! `use common::pki::*;`.

#[allow(dead_code)]
pub mod pki;
