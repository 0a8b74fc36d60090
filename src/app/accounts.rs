//! Signing in: who the session's account is, checking a password with the lock-out after
//! repeated failures, and the account's language.

use super::{operation_error, record, run, Actor, Ctx, Denied, ReadError, StoreError};
use crate::db::lots::{self, LotAtGlance};
use crate::db::sessions::SessionAccount;
use crate::db::{self, sessions, throttle, users, DbConnection, Pool};
use crate::domain::account::Language;
use crate::domain::audit::AuditAction;
use crate::domain::ids::{LotId, UserId};
use crate::password::Hasher;
use chrono::{Duration, NaiveDateTime};
use diesel::QueryResult;
use rand::RngCore;

/// How long a session lasts: unused, and at most.
#[derive(Debug, Clone, Copy)]
pub struct SessionLimits {
    pub idle: Duration,
    pub absolute: Duration,
}

/// A session's secret, as the cookie holds it; the server stores only its hash.
fn session_id(secret: &str) -> String {
    crate::domain::quote::sha256_hex(secret)
}

/// Starts a session for an account that has just signed in; answers the secret for the
/// cookie.
fn start_session(conn: &mut DbConnection, user: UserId, now: NaiveDateTime) -> QueryResult<String> {
    let mut bytes = [0u8; 32];
    rand::thread_rng().fill_bytes(&mut bytes);
    let secret = hex::encode(bytes);
    sessions::insert(conn, &session_id(&secret), user, now)?;
    Ok(secret)
}

/// The account of a session that has neither been idle too long nor lasted too long, and
/// is still active.
pub enum SessionUser {
    /// Its use was noted less than a minute ago.
    Seen(Actor),
    /// Its use is to be noted now (a write).
    Due(Actor),
}

/// The account of a live session `now`, without writing: whether its use is to be noted is
/// for the caller to act on ([`noted`]).
pub fn session_user(
    conn: &mut DbConnection,
    now: NaiveDateTime,
    limits: SessionLimits,
    secret: &str,
) -> Result<Option<SessionUser>, ReadError> {
    let (created_after, seen_after) = (now - limits.absolute, now - limits.idle);
    Ok(
        sessions::find_user(conn, &session_id(secret), created_after, seen_after)?
            .map(|(account, last_seen)| seen_or_due(now, account, last_seen)),
    )
}

/// Like [`session_user`], and lot `lot` at a glance for the account, read with the session
/// in one query (`None` when there is no such lot; whether the account may see it is for
/// the caller to check), and until when the session stays as found.
pub fn session_user_at_lot(
    conn: &mut DbConnection,
    now: NaiveDateTime,
    limits: SessionLimits,
    secret: &str,
    lot: LotId,
) -> Result<Option<(SessionUser, SessionAtLot)>, ReadError> {
    let (created_after, seen_after) = (now - limits.absolute, now - limits.idle);
    let found = lots::session_at_glance(conn, &session_id(secret), created_after, seen_after, lot)?;
    Ok(found.map(|((account, last_seen, created), glance)| {
        let at_lot = SessionAtLot {
            glance,
            unchanged_until: unchanged_until(last_seen, created, limits),
        };
        (seen_or_due(now, account, last_seen), at_lot)
    }))
}

/// A lot at a glance as read with a live session.
pub struct SessionAtLot {
    pub glance: Option<LotAtGlance>,
    /// Until this moment (exclusive) the session stays live and its use is not due to be
    /// noted, unless something is written: its idle and longest time, and the minute after
    /// its last noted use ([`seen_or_due`]).
    pub unchanged_until: NaiveDateTime,
}

/// See [`SessionAtLot::unchanged_until`]; the same limits as the lookup's (`sessions::live`:
/// live while used after `now - idle` and begun after `now - absolute`).
fn unchanged_until(
    last_seen: NaiveDateTime,
    created: NaiveDateTime,
    limits: SessionLimits,
) -> NaiveDateTime {
    (last_seen + noted_every().min(limits.idle)).min(created + limits.absolute)
}

/// How often a session's use is noted at most.
fn noted_every() -> Duration {
    Duration::minutes(1)
}

/// A live session's account, and whether its use is to be noted: noting each use to the
/// minute is enough for the idle limit and spares a write on most requests.
fn seen_or_due(
    now: NaiveDateTime,
    account: SessionAccount,
    last_seen: NaiveDateTime,
) -> SessionUser {
    let actor = Actor::from_session(account);
    if now - last_seen >= noted_every() {
        SessionUser::Due(actor)
    } else {
        SessionUser::Seen(actor)
    }
}

/// Notes the use of a session found live `now` if it is due; its account.
pub fn noted(
    conn: &mut DbConnection,
    now: NaiveDateTime,
    secret: &str,
    user: SessionUser,
) -> Result<Actor, ReadError> {
    Ok(match user {
        SessionUser::Seen(actor) => actor,
        SessionUser::Due(actor) => {
            sessions::touch(conn, &session_id(secret), now)?;
            actor
        }
    })
}

/// Ends this session.
pub fn sign_out(conn: &mut DbConnection, secret: &str) -> Result<(), ReadError> {
    sessions::delete(conn, &session_id(secret))?;
    Ok(())
}

/// Ends every session of an account, and forgets sessions that expired.
pub(crate) fn end_sessions(
    conn: &mut DbConnection,
    user: UserId,
    now: NaiveDateTime,
    limits: Option<SessionLimits>,
) -> QueryResult<()> {
    sessions::delete_all_of(conn, user)?;
    if let Some(limits) = limits {
        sessions::delete_expired(conn, now - limits.absolute, now - limits.idle)?;
    }
    Ok(())
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

/// Minutes an account stays locked after too many wrong passwords.
pub const LOCKOUT_MINUTES: i64 = throttle::ACCOUNT_LOGINS.minutes;

/// A signed-in account with the secret of its new session.
pub struct SignedIn {
    pub actor: Actor,
    pub session: String,
}

/// Checks an email address and password and starts a session. Every attempt is counted per account and per
/// address before the password is checked, so simultaneous attempts cannot get past the
/// lock-out; the hashing runs off the async workers without holding a connection.
pub async fn login(
    pool: &Pool,
    hasher: &Hasher,
    ctx: &Ctx,
    email: &str,
    password: &str,
    address: &str,
) -> Result<SignedIn, LoginError> {
    let email = email.trim().to_lowercase();
    let now = ctx.now.naive_utc();
    let account_key = format!("account:{email}");
    let address_key = format!("address:{address}");
    let (user, allowed) = {
        let (email, account_key, address_key) =
            (email.clone(), account_key.clone(), address_key.clone());
        run(pool, move |conn| {
            let allowed = db::transaction(conn, |conn| {
                Ok::<_, diesel::result::Error>(
                    throttle::take(conn, &address_key, throttle::ADDRESS_LOGINS, now)?
                        && throttle::take(conn, &account_key, throttle::ACCOUNT_LOGINS, now)?,
                )
            })?;
            Ok::<_, LoginError>((users::find_by_email(conn, &email)?, allowed))
        })
        .await?
    };
    if !allowed {
        return Err(LoginError::Locked);
    }
    let valid = hasher
        .verify(
            password.to_string(),
            user.as_ref().map(|u| u.password_hash.clone()),
        )
        .await
        .map_err(|e| LoginError::Store(StoreError::Hash(e)))?;
    let user = match user {
        Some(user) if valid && user.active => user,
        _ => return Err(LoginError::Wrong),
    };
    let ctx = ctx.clone();
    let id = user.id;
    let session = run(pool, move |conn| {
        db::transaction(conn, |conn| {
            throttle::reset(conn, &account_key)?;
            throttle::forgive(conn, &address_key)?;
            record(
                conn,
                &ctx,
                Some(id),
                AuditAction::UserLogin,
                None,
                ("user", id),
                "",
            )?;
            start_session(conn, id, now)
        })
        .map_err(LoginError::from)
    })
    .await?;
    Ok(SignedIn {
        actor: Actor::from_account(&user),
        session,
    })
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
