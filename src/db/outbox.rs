//! The email outbox: written in the transaction of the change, claimed and delivered by a
//! worker, kept with its state for staff. And single-use password tokens.

use super::schema::{outbox, password_tokens};
use super::{DbConnection, Prepared};
use crate::domain::ids::{LotId, UserId};
use chrono::{Duration, NaiveDateTime};
use diesel::prelude::*;

pub const PENDING: &str = "pending";
pub const SENDING: &str = "sending";
pub const SENT: &str = "sent";
pub const FAILED: &str = "failed";

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = outbox)]
pub struct OutboxRow {
    pub id: i64,
    pub message_id: String,
    pub kind: String,
    pub lot_id: Option<LotId>,
    pub recipient: String,
    pub subject: String,
    pub body_text: String,
    pub body_html: String,
    pub attachment_name: Option<String>,
    pub attachment: Option<String>,
    pub status: String,
    pub attempts: i64,
    pub next_attempt_at: NaiveDateTime,
    pub last_error: String,
    pub created_at: NaiveDateTime,
    pub sent_at: Option<NaiveDateTime>,
}

/// An email ready to be stored (a missing lot or attachment is written as NULL, so every
/// email has the same columns and many can be stored in one statement).
#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = outbox)]
#[diesel(treat_none_as_default_value = false)]
pub struct NewEmail {
    pub message_id: String,
    pub kind: String,
    pub lot_id: Option<LotId>,
    pub recipient: String,
    pub subject: String,
    pub body_text: String,
    pub body_html: String,
    pub attachment_name: Option<String>,
    pub attachment: Option<String>,
    pub status: String,
    pub attempts: i64,
    pub next_attempt_at: NaiveDateTime,
    pub last_error: String,
    pub created_at: NaiveDateTime,
}

/// Stores an email unless one with the same Message-ID is there already (true if stored).
/// One statement: the unique Message-ID decides, also between simultaneous writers.
pub fn enqueue(conn: &mut DbConnection, email: &NewEmail) -> QueryResult<bool> {
    let insert = Prepared(
        diesel::insert_into(outbox::table)
            .values(email)
            .on_conflict(outbox::message_id)
            .do_nothing()
            .returning(outbox::id),
    );
    let stored = crate::native!(conn, |c| insert.get_result::<i64>(c).optional())?;
    Ok(stored.is_some())
}

/// Stores several emails in one statement; false (the caller rolls back) if one of them
/// has a Message-ID that is stored already.
pub fn enqueue_all(conn: &mut DbConnection, emails: Vec<&NewEmail>) -> QueryResult<bool> {
    let count = emails.len();
    let stored = crate::native!(conn, |c| diesel::insert_into(outbox::table)
        .values(emails)
        .on_conflict(outbox::message_id)
        .do_nothing()
        .execute(c))?;
    Ok(stored == count)
}

/// Claims up to `limit` due emails for `lease`: pending ones whose time has come, and ones
/// whose previous claim ran out (a worker that died). Each claim is a conditional update, so
/// two workers never hold the same email.
pub fn claim_due(
    conn: &mut DbConnection,
    now: NaiveDateTime,
    lease: Duration,
    limit: i64,
) -> QueryResult<Vec<OutboxRow>> {
    // Another worker may win every candidate of one look; then look again. Each lost claim
    // means an email left the due set, so this ends.
    loop {
        let candidates: Vec<(i64, String, NaiveDateTime)> = outbox::table
            .filter(outbox::status.eq_any([PENDING, SENDING]))
            .filter(outbox::next_attempt_at.le(now))
            .order(outbox::id.asc())
            .limit(limit)
            .select((outbox::id, outbox::status, outbox::next_attempt_at))
            .load(conn)?;
        if candidates.is_empty() {
            return Ok(Vec::new());
        }
        let mut claimed = Vec::new();
        for (id, status, due) in candidates {
            let won = diesel::update(
                outbox::table
                    .find(id)
                    .filter(outbox::status.eq(&status))
                    .filter(outbox::next_attempt_at.eq(due)),
            )
            .set((
                outbox::status.eq(SENDING),
                outbox::next_attempt_at.eq(now + lease),
                outbox::attempts.eq(outbox::attempts + 1),
            ))
            .execute(conn)?;
            if won == 1 {
                if let Some(row) = find(conn, id)? {
                    claimed.push(row);
                }
            }
        }
        if !claimed.is_empty() {
            return Ok(claimed);
        }
    }
}

pub fn find(conn: &mut DbConnection, id: i64) -> QueryResult<Option<OutboxRow>> {
    outbox::table
        .find(id)
        .select(OutboxRow::as_select())
        .first(conn)
        .optional()
}

pub fn mark_sent(conn: &mut DbConnection, id: i64, now: NaiveDateTime) -> QueryResult<usize> {
    let done = diesel::update(outbox::table.find(id).filter(outbox::status.eq(SENDING)))
        .set((
            outbox::status.eq(SENT),
            outbox::sent_at.eq(Some(now)),
            outbox::last_error.eq(""),
        ))
        .execute(conn)?;
    scrub_password_links(conn, id)?;
    Ok(done)
}

/// Once an email with a password link has gone out, its stored copy keeps no usable link:
/// whoever reads the outbox later cannot take over the account.
fn scrub_password_links(conn: &mut DbConnection, id: i64) -> QueryResult<()> {
    let bodies: Option<(String, String)> = outbox::table
        .find(id)
        .filter(outbox::body_text.like("%/password/%"))
        .select((outbox::body_text, outbox::body_html))
        .first(conn)
        .optional()?;
    if let Some((text, html)) = bodies {
        diesel::update(outbox::table.find(id))
            .set((
                outbox::body_text.eq(without_password_tokens(&text)),
                outbox::body_html.eq(without_password_tokens(&html)),
            ))
            .execute(conn)?;
    }
    Ok(())
}

/// The text with the token of every `/password/<token>` link replaced.
fn without_password_tokens(text: &str) -> String {
    let marker = "/password/";
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find(marker) {
        let (before, after) = rest.split_at(at + marker.len());
        out.push_str(before);
        let token_len = after.bytes().take_while(u8::is_ascii_hexdigit).count();
        if token_len > 0 {
            out.push_str("[entfernt]");
        }
        rest = &after[token_len..];
    }
    out.push_str(rest);
    out
}

/// Records a failed attempt: tried again at `retry_at`, or failed for good without one.
pub fn mark_attempt_failed(
    conn: &mut DbConnection,
    id: i64,
    error: &str,
    retry_at: Option<NaiveDateTime>,
) -> QueryResult<usize> {
    let error: String = error.chars().take(1000).collect();
    match retry_at {
        Some(at) => diesel::update(outbox::table.find(id).filter(outbox::status.eq(SENDING)))
            .set((
                outbox::status.eq(PENDING),
                outbox::next_attempt_at.eq(at),
                outbox::last_error.eq(error),
            ))
            .execute(conn),
        None => diesel::update(outbox::table.find(id).filter(outbox::status.eq(SENDING)))
            .set((outbox::status.eq(FAILED), outbox::last_error.eq(error)))
            .execute(conn),
    }
}

/// Staff send a failed (or any unsent) email again.
pub fn resend(conn: &mut DbConnection, id: i64, now: NaiveDateTime) -> QueryResult<usize> {
    diesel::update(outbox::table.find(id).filter(outbox::status.ne(SENDING)))
        .set((
            outbox::status.eq(PENDING),
            outbox::next_attempt_at.eq(now),
            outbox::attempts.eq(0),
        ))
        .execute(conn)
}

/// The outbox for staff, newest first, optionally of one state.
pub fn list(
    conn: &mut DbConnection,
    status: Option<&str>,
    limit: i64,
) -> QueryResult<Vec<OutboxRow>> {
    page(conn, status, None, limit)
}

/// One page of messages, newest first: those older than `before` (a message id), if given.
pub fn page(
    conn: &mut DbConnection,
    status: Option<&str>,
    before: Option<i64>,
    limit: i64,
) -> QueryResult<Vec<OutboxRow>> {
    let mut query = outbox::table
        .select(OutboxRow::as_select())
        .order(outbox::id.desc())
        .limit(limit)
        .into_boxed();
    if let Some(status) = status {
        query = query.filter(outbox::status.eq(status.to_string()));
    }
    if let Some(before) = before {
        query = query.filter(outbox::id.lt(before));
    }
    query.load(conn)
}

pub fn count_by_status(conn: &mut DbConnection, status: &str) -> QueryResult<i64> {
    outbox::table
        .filter(outbox::status.eq(status))
        .count()
        .get_result(conn)
}

/// Stores a token (by its hash) that lets a user set a password once until it expires.
pub fn insert_token(
    conn: &mut DbConnection,
    token_hash: &str,
    user: UserId,
    purpose: &str,
    expires_at: NaiveDateTime,
) -> QueryResult<()> {
    diesel::insert_into(password_tokens::table)
        .values((
            password_tokens::token_hash.eq(token_hash),
            password_tokens::user_id.eq(user),
            password_tokens::purpose.eq(purpose),
            password_tokens::expires_at.eq(expires_at),
        ))
        .execute(conn)
        .map(|_| ())
}

/// The user a token belongs to, if it is unused and not expired.
pub fn valid_token(
    conn: &mut DbConnection,
    token_hash: &str,
    now: NaiveDateTime,
) -> QueryResult<Option<UserId>> {
    password_tokens::table
        .find(token_hash)
        .filter(password_tokens::used_at.is_null())
        .filter(password_tokens::expires_at.gt(now))
        .select(password_tokens::user_id)
        .first(conn)
        .optional()
}

/// Uses a token up; false if it was used or expired meanwhile.
pub fn use_token(
    conn: &mut DbConnection,
    token_hash: &str,
    now: NaiveDateTime,
) -> QueryResult<bool> {
    diesel::update(
        password_tokens::table
            .find(token_hash)
            .filter(password_tokens::used_at.is_null())
            .filter(password_tokens::expires_at.gt(now)),
    )
    .set(password_tokens::used_at.eq(Some(now)))
    .execute(conn)
    .map(|n| n == 1)
}

/// Uses up every open link of an account (one was just used, or the account changed).
pub fn use_all_tokens_of(
    conn: &mut DbConnection,
    user: UserId,
    now: NaiveDateTime,
) -> QueryResult<usize> {
    diesel::update(
        password_tokens::table
            .filter(password_tokens::user_id.eq(user))
            .filter(password_tokens::used_at.is_null()),
    )
    .set(password_tokens::used_at.eq(Some(now)))
    .execute(conn)
}

#[cfg(test)]
mod tests {
    #[test]
    fn password_tokens_are_removed_from_sent_copies() {
        let token = "ab".repeat(32);
        let text =
            format!("Link: https://x.example/password/{token}\nand again /password/{token}.");
        let scrubbed = super::without_password_tokens(&text);
        assert!(!scrubbed.contains(&token));
        assert_eq!(scrubbed.matches("/password/[entfernt]").count(), 2);
        assert_eq!(super::without_password_tokens("no link"), "no link");
    }
}
