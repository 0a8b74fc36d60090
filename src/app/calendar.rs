//! A user's deadlines in their calendar: an iCalendar feed (RFC 5545) of the demand and quote
//! deadlines of every lot the user can see, behind a secret URL the user can renew or revoke.

use super::{record, Actor, Ctx, StoreError};
use crate::db::{self, calendar, users, DbConnection};
use crate::domain::audit::AuditAction;
use crate::domain::quote::sha256_hex;
use chrono::{DateTime, NaiveDateTime, Utc};
use icalendar::{Calendar, Component, Event, EventLike};
use rand::RngCore;

/// A feed token as the URL carries it: 64 hexadecimal digits.
fn well_formed(token: &str) -> bool {
    token.len() == 64 && token.bytes().all(|b| b.is_ascii_hexdigit())
}

/// Since when the user has a feed, if any.
pub fn status(conn: &mut DbConnection, actor: &Actor) -> Result<Option<NaiveDateTime>, StoreError> {
    Ok(calendar::created_at(conn, actor.id)?)
}

/// A new secret URL for the user's feed (the old one stops working); answers the token,
/// shown once.
pub fn renew(conn: &mut DbConnection, ctx: &Ctx, actor: &Actor) -> Result<String, StoreError> {
    let mut bytes = [0u8; 32];
    rand::thread_rng().fill_bytes(&mut bytes);
    let token = hex::encode(bytes);
    db::transaction(conn, |conn| -> Result<(), StoreError> {
        calendar::set(conn, actor.id, &sha256_hex(&token), ctx.now.naive_utc())?;
        record(
            conn,
            ctx,
            Some(actor.id),
            AuditAction::CalendarRenewed,
            None,
            ("user", actor.id),
            "",
        )?;
        Ok(())
    })?;
    Ok(token)
}

pub fn revoke(conn: &mut DbConnection, ctx: &Ctx, actor: &Actor) -> Result<(), StoreError> {
    db::transaction(conn, |conn| -> Result<(), StoreError> {
        if calendar::revoke(conn, actor.id)? {
            record(
                conn,
                ctx,
                Some(actor.id),
                AuditAction::CalendarRevoked,
                None,
                ("user", actor.id),
                "",
            )?;
        }
        Ok(())
    })
}

/// The feed behind a token, or `None` (unknown, revoked, or the account deactivated).
pub fn feed(
    conn: &mut DbConnection,
    token: &str,
    base_url: &str,
    now: DateTime<Utc>,
) -> Result<Option<String>, StoreError> {
    if !well_formed(token) {
        return Ok(None);
    }
    let Some(user) = calendar::user_of(conn, &sha256_hex(token))? else {
        return Ok(None);
    };
    let Some(account) = users::find(conn, user)? else {
        return Ok(None);
    };
    if !account.active {
        return Ok(None);
    }
    let actor = Actor::from_account(&account);
    let lots = match super::lots::list(conn, &actor) {
        Ok(lots) => lots,
        Err(super::ReadError::Denied(_)) => return Ok(None),
        Err(super::ReadError::Store(e)) => return Err(e),
    };
    let tr = crate::i18n::Tr(account.language);
    let mut cal = Calendar::new();
    cal.name(tr.t("calendar.name"));
    for listed in lots {
        let lot = &listed.lot;
        let url = format!("{}/lots/{}", base_url.trim_end_matches('/'), lot.id);
        for (kind, at) in [
            ("demand", lot.demand_deadline),
            ("quote", lot.quote_deadline),
        ] {
            let summary = tr.f(&format!("calendar.{kind}"), &[("lot", lot.title.clone())]);
            cal.push(
                Event::new()
                    .uid(&format!("lot-{}-{kind}@sammelkauf", lot.id))
                    .timestamp(now)
                    .summary(&summary)
                    .starts(at.and_utc())
                    .ends(at.and_utc())
                    .url(&url)
                    .description(&url)
                    .done(),
            );
        }
    }
    Ok(Some(cal.done().to_string()))
}
