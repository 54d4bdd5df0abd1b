//! A small deterministic random number generator for tests that draw many cases: the same seed
//! gives the same cases on every run and machine. Shared by the integration tests
//! (`mod common;`) and the library's unit tests (through `#[path]`).
#![allow(dead_code, unreachable_pub)]

/// Marsaglia's 32-bit xorshift (shifts 13, 17, 5); the seed must not be 0.
pub struct Xorshift32(pub u32);

impl Xorshift32 {
    /// The next 32 random bits.
    pub fn next_u32(&mut self) -> u32 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 17;
        self.0 ^= self.0 << 5;
        self.0
    }
}
