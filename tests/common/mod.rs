//! Shared helpers for integration tests.
//!
//! Include from an integration test with `mod common;` and then
//! `use common::pki::*;`.

pub mod pki;
