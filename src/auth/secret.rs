//! [`Secret`]: a credential value that never shows itself and compares in constant time.

use std::fmt;

/// A secret string (password, ticket, token, cookie value). `Debug` and `Display` never show it;
/// equality is compared in constant time.
#[derive(Clone)]
pub struct Secret(String);

impl Secret {
    /// Wraps a secret value.
    pub fn new(value: impl Into<String>) -> Self {
        Secret(value.into())
    }

    /// The secret itself. Call only to verify it.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(<redacted>)")
    }
}

impl PartialEq for Secret {
    /// Compares in constant time for equal lengths, so the comparison does not leak a prefix.
    fn eq(&self, other: &Self) -> bool {
        constant_time_eq(self.0.as_bytes(), other.0.as_bytes())
    }
}

impl Eq for Secret {}

/// Whether `a == b`, in time that depends on the lengths only, never on the content.
///
/// Every byte position up to the longer length is visited; a length mismatch is folded into the
/// result instead of returning early.
pub(crate) fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    let len = a.len().max(b.len());
    let mut diff = u64::from(a.len() != b.len());
    for i in 0..len {
        let x = a.get(i).copied().unwrap_or(0);
        let y = b.get(i).copied().unwrap_or(0);
        diff |= u64::from(x ^ y);
    }
    // Keeps the optimizer from turning the loop back into an early-exit comparison.
    std::hint::black_box(diff) == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn constant_time_eq_compares_bytes() {
        let cases: [(&[u8], &[u8], bool); 6] = [
            (b"", b"", true),
            (b"abc", b"abc", true),
            (b"abc", b"abd", false),
            (b"abc", b"bbc", false),
            (b"abc", b"abcd", false),
            (b"", b"a", false),
        ];
        for (a, b, expected) in cases {
            assert_eq!(constant_time_eq(a, b), expected, "{a:?} {b:?}");
        }
        assert_eq!(Secret::new("s3cret"), Secret::new("s3cret"));
        assert_ne!(Secret::new("s3cret"), Secret::new("s3creT"));
    }

    #[test]
    fn constant_time_eq_agrees_with_eq() {
        let samples: [&[u8]; 6] = [b"", b"a", b"b", b"ab", b"abc", b"abd"];
        for a in samples {
            for b in samples {
                assert_eq!(constant_time_eq(a, b), a == b, "{a:?} vs {b:?}");
            }
        }
        // A shorter prefix padded with zeros must not compare equal.
        assert!(!constant_time_eq(b"ab\0", b"ab"));
    }
}
