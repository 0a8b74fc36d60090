//! Passwords are set only through a single-use link sent by email: after an invitation, or
//! on a reset request. Nobody sets another person's password.

use super::accounts::{end_sessions, SessionLimits};
use super::{operation_error, record, run, Account, Ctx, Denied, StoreError};
use crate::db::{self, outbox, throttle, users, DbConnection, Pool};
use crate::domain::account::{EmailAddress, LinkPurpose};
use crate::domain::audit::AuditAction;
use crate::domain::quote::sha256_hex;
use crate::mail::MailContext;
use crate::password::{Hasher, MIN_LENGTH};
use chrono::{Duration, NaiveDateTime};
use rand::RngCore;

/// How long an invitation link works.
pub const INVITATION_DAYS: i64 = 7;
/// How long a reset link works.
pub const RESET_HOURS: i64 = 2;

/// Creates a link for the account and queues the email with it (in the caller's
/// transaction). Only the token's hash is stored.
pub(crate) fn issue_link(
    conn: &mut DbConnection,
    mail: &MailContext,
    user: &Account,
    purpose: LinkPurpose,
    valid_for: Duration,
    now: NaiveDateTime,
) -> Result<(), crate::mail::QueueError> {
    let mut bytes = [0u8; 32];
    rand::thread_rng().fill_bytes(&mut bytes);
    let token = hex::encode(bytes);
    let expires = now + valid_for;
    outbox::insert_token(
        conn,
        &sha256_hex(&token),
        user.id,
        purpose.as_str(),
        expires,
    )?;
    let email = crate::mail::notify::AccountLinkEmail {
        purpose,
        token: &token,
        expires_at: expires,
    };
    crate::mail::notify::account_link(conn, mail, user.into(), &email, now)
}

/// A token as links carry it: 64 hexadecimal digits.
fn well_formed(token: &str) -> bool {
    token.len() == 64 && token.bytes().all(|b| b.is_ascii_hexdigit())
}

/// Does the link still work (unused, not expired)?
pub fn link_works(conn: &mut DbConnection, ctx: &Ctx, token: &str) -> Result<bool, StoreError> {
    Ok(well_formed(token)
        && outbox::valid_token(conn, &sha256_hex(token), ctx.now.naive_utc())?.is_some())
}

/// Why a new password was not set.
#[derive(Debug, thiserror::Error)]
pub enum PasswordError {
    #[error("the link is used, expired or unknown")]
    InvalidLink,
    #[error("the password is too short")]
    TooShort,
    #[error("the passwords differ")]
    Mismatch,
    #[error(transparent)]
    Denied(Denied),
    #[error(transparent)]
    Store(StoreError),
}
operation_error!(PasswordError);

/// Sets the password of the link's account. The link is checked before any hashing; using
/// it ends every other link and every session of the account.
pub async fn set_password(
    pool: &Pool,
    hasher: &Hasher,
    ctx: &Ctx,
    limits: SessionLimits,
    token: &str,
    password: &str,
    repeat: &str,
) -> Result<(), PasswordError> {
    let token_hash = sha256_hex(token);
    let now = ctx.now.naive_utc();
    let valid = well_formed(token) && {
        let token_hash = token_hash.clone();
        run(pool, move |conn| {
            Ok::<_, PasswordError>(outbox::valid_token(conn, &token_hash, now)?.is_some())
        })
        .await?
    };
    if !valid {
        return Err(PasswordError::InvalidLink);
    }
    if password.chars().count() < MIN_LENGTH {
        return Err(PasswordError::TooShort);
    }
    if password != repeat {
        return Err(PasswordError::Mismatch);
    }
    let hash = hasher
        .hash(password.to_string())
        .await
        .map_err(StoreError::from)?;
    let ctx = ctx.clone();
    run(pool, move |conn| {
        db::transaction(conn, |conn| {
            let Some(user) = outbox::valid_token(conn, &token_hash, now)? else {
                return Err(PasswordError::InvalidLink);
            };
            if !outbox::use_token(conn, &token_hash, now)? {
                return Err(PasswordError::InvalidLink);
            }
            outbox::use_all_tokens_of(conn, user, now)?;
            users::set_password(conn, user, &hash)?;
            end_sessions(conn, user, now, Some(limits))?;
            record(
                conn,
                &ctx,
                Some(user),
                AuditAction::UserPasswordSet,
                None,
                ("user", user),
                "",
            )?;
            Ok(())
        })
    })
    .await
}

/// Sends a reset link to an active account with this address. The answer is the same
/// whether the account exists or not; requests are limited per account and per address.
pub fn request_reset(
    conn: &mut DbConnection,
    ctx: &Ctx,
    email: &str,
    address: &str,
) -> Result<(), StoreError> {
    let Some(email) = EmailAddress::parse(email) else {
        return Ok(());
    };
    let now = ctx.now.naive_utc();
    db::transaction(conn, |conn| {
        let allowed = throttle::take(
            conn,
            &format!("reset-address:{address}"),
            throttle::ADDRESS_RESETS,
            now,
        )? && throttle::take(
            conn,
            &format!("reset-account:{}", email.as_str()),
            throttle::ACCOUNT_RESETS,
            now,
        )?;
        if !allowed {
            tracing::warn!(address, "password reset requests limited");
            return Ok(());
        }
        if let Some(user) = users::find_by_email(conn, email.as_str())? {
            if user.active {
                issue_link(
                    conn,
                    &ctx.mail,
                    &user,
                    LinkPurpose::Reset,
                    Duration::hours(RESET_HOURS),
                    now,
                )?;
            }
        }
        Ok::<_, StoreError>(())
    })
}
