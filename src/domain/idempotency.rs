//! The key a form or file line carries so that sending it twice stores one thing: an order
//! line or a call-off is stored once per member and key.

/// A form's key as stored beside what it placed.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct IdempotencyKey(String);

impl IdempotencyKey {
    /// The longest key a form may send, in bytes.
    pub const MAX_LEN: usize = 100;

    /// The key as a form sent it, trimmed: 1 to [`Self::MAX_LEN`] bytes, or none.
    pub fn parse(text: &str) -> Option<Self> {
        let key = text.trim();
        (!key.is_empty() && key.len() <= Self::MAX_LEN).then(|| IdempotencyKey(key.to_string()))
    }

    /// The key of line `line` of an uploaded file with SHA-256 `digest` (hex): the same
    /// file twice gives the same keys.
    pub fn of_file_line(digest: &str, line: u64) -> Self {
        let head = digest.get(..32).unwrap_or(digest);
        IdempotencyKey(format!("csv-{head}-{line}"))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_key_is_trimmed_and_neither_empty_nor_too_long() {
        assert_eq!(
            IdempotencyKey::parse("  form-1 ").map(|k| k.as_str().to_string()),
            Some("form-1".to_string())
        );
        assert_eq!(IdempotencyKey::parse(" \t "), None);
        assert!(IdempotencyKey::parse(&"k".repeat(100)).is_some());
        assert_eq!(IdempotencyKey::parse(&"k".repeat(101)), None);
        let digest = "ab".repeat(32);
        assert_eq!(
            IdempotencyKey::of_file_line(&digest, 7).as_str(),
            format!("csv-{}-7", &digest[..32])
        );
    }
}
