//! Password hashing with argon2id.

use argon2::password_hash::{
    rand_core::OsRng, PasswordHash, PasswordHasher, PasswordVerifier, SaltString,
};
use argon2::Argon2;
use std::sync::LazyLock;

/// Shortest password accepted.
pub const MIN_LENGTH: usize = 10;

/// Hashes a password as a PHC string (`$argon2id$…`).
pub fn hash(password: &str) -> Result<String, String> {
    let salt = SaltString::generate(&mut OsRng);
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| e.to_string())
}

/// A hash to verify against when the account does not exist, so that answering takes as
/// long as for a real account.
static DUMMY: LazyLock<String> =
    LazyLock::new(|| hash("no account has this password").unwrap_or_default());

/// Checks a password against a stored hash (or the dummy one when there is no account).
pub fn verify(password: &str, stored: Option<&str>) -> bool {
    let stored = stored.unwrap_or(DUMMY.as_str());
    match PasswordHash::new(stored) {
        Ok(parsed) => Argon2::default()
            .verify_password(password.as_bytes(), &parsed)
            .is_ok(),
        Err(_) => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashes_are_argon2id_and_verify() {
        let h = hash("korrekt pferd batterie").unwrap_or_default();
        assert!(h.starts_with("$argon2id$"));
        assert!(verify("korrekt pferd batterie", Some(&h)));
        assert!(!verify("falsch", Some(&h)));
        assert!(!verify("korrekt pferd batterie", None));
    }
}
