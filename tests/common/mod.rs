//! Helpers shared by the integration tests; each test binary includes this with `mod common;`,
//! and uses only some of it.
#![allow(dead_code, unreachable_pub)]

pub mod corpus;
pub mod temp;

/// Base64 for building `Basic` headers and reading JSON bodies: the crate's own implementation,
/// compiled in from its one home rather than written again here.
#[path = "../../src/base64.rs"]
pub mod base64;
