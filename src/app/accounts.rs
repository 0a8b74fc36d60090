//! Signing in: who the session's account is, checking a password with the lock-out after
//! repeated failures, and the account's language.

use super::{operation_error, record, Actor, Ctx, Denied, ReadError, StoreError};
use crate::db::{self, throttle, users, DbConnection};
use crate::domain::account::Language;

/// The session's account, if it still exists and is active.
pub fn signed_in(conn: &mut DbConnection, id: i64) -> Result<Option<Actor>, ReadError> {
    Ok(users::find(conn, id)?
        .filter(|u| u.active)
        .map(|u| Actor::from_account(&u)))
}

/// Why a sign-in was refused.
#[derive(Debug, thiserror::Error)]
pub enum LoginError {
    #[error("wrong email address or password")]
    Wrong,
    #[error("too many failed attempts; locked for a while")]
    Locked,
    #[error(transparent)]
    Denied(Denied),
    #[error(transparent)]
    Store(StoreError),
}
operation_error!(LoginError);

/// Minutes an account or address stays locked after too many failures.
pub const LOCKOUT_MINUTES: i64 = throttle::LOCKOUT_MINUTES;

/// Checks an email address and password; failures count per account and per address.
pub fn login(
    conn: &mut DbConnection,
    ctx: &Ctx,
    email: &str,
    password: &str,
    address: &str,
) -> Result<Actor, LoginError> {
    let email = email.trim().to_lowercase();
    let now = ctx.now.naive_utc();
    let keys = [format!("account:{email}"), format!("address:{address}")];
    for key in &keys {
        if throttle::locked_until(conn, key, now)?.is_some() {
            return Err(LoginError::Locked);
        }
    }
    let user = users::find_by_email(conn, &email)?;
    let valid = crate::password::verify(password, user.as_ref().map(|u| u.password_hash.as_str()));
    match user {
        Some(user) if valid && user.active => {
            db::transaction(conn, |conn| {
                throttle::reset(conn, &keys[0])?;
                record(
                    conn,
                    ctx,
                    Some(user.id),
                    "user.login",
                    None,
                    ("user", user.id),
                    "",
                )
            })?;
            Ok(Actor::from_account(&user))
        }
        _ => {
            db::transaction(conn, |conn| {
                for key in &keys {
                    throttle::record_failure(conn, key, now)?;
                }
                Ok::<_, diesel::result::Error>(())
            })?;
            Err(LoginError::Wrong)
        }
    }
}

/// Remembers the account's language.
pub fn set_language(
    conn: &mut DbConnection,
    actor: &Actor,
    language: Language,
) -> Result<(), ReadError> {
    users::set_language(conn, actor.id, language)?;
    Ok(())
}
