//! A buyer's call-off: checked like an order line, previewed with its exact price and any
//! credits, then confirmed — priced, stored with every credit, audited and mailed in one
//! transaction under the lot's row lock.
use super::{
    confirmed_terms, cumulative, member_key, member_of, replay, with_lines, CallOffError,
    CallOffRequest, Terms,
};
use crate::app::{record, Actor, Ctx, StoreError};
use crate::db::award;
use crate::db::frameworks::{self, CallOffRow, Position};
use crate::db::lots::{self, Lot};
use crate::db::orgs::{self, DeliverySite};
use crate::db::{self, DbConnection};
use crate::domain::audit::AuditAction;
use crate::domain::framework::{CallOff, Credit, Framework, Ledger, Priced, Refusal};
use crate::domain::idempotency::IdempotencyKey;
use crate::domain::ids::{CallOffId, LotId, MemberId, SupplierId};
use crate::domain::money::Money;
use crate::mail::notify;
use chrono::{DateTime, Utc};
use std::collections::HashMap;

/// A call-off's line checked by the order form's rules (a call-off has no limit price).
fn check(
    conn: &mut DbConnection,
    framework: &Framework,
    member: MemberId,
    request: &CallOffRequest,
) -> Result<(u64, DeliverySite, String), CallOffError> {
    let (input, site) = crate::app::ordering::check_line(
        conn,
        framework.order_increment,
        member,
        &request.site,
        (&request.quantity, "", &request.reference),
    )?
    .map_err(CallOffError::Invalid)?;
    Ok((input.quantity, site, input.reference))
}

/// What a call-off will get, shown before the buyer confirms it.
pub struct Preview {
    pub lot: Lot,
    pub quantity: u64,
    pub site: DeliverySite,
    pub reference: String,
    pub priced: Priced,
    /// Credits with the members' names.
    pub credits: Vec<(String, Credit)>,
    pub own_credit: Option<Credit>,
}

fn names_of(
    conn: &mut DbConnection,
    credits: &[Credit],
) -> Result<Vec<(String, Credit)>, StoreError> {
    let members: HashMap<MemberId, String> = orgs::list_members(conn)?
        .into_iter()
        .map(|m| (m.id, m.name))
        .collect();
    let mut named: Vec<(String, Credit)> = credits
        .iter()
        .map(|c| {
            (
                members
                    .get(&member_of(&c.member))
                    .cloned()
                    .unwrap_or_default(),
                c.clone(),
            )
        })
        .collect();
    named.sort_by(|a, b| a.0.cmp(&b.0));
    Ok(named)
}

pub(super) fn running_terms(
    conn: &mut DbConnection,
    actor: &Actor,
    lot: LotId,
    now: DateTime<Utc>,
) -> Result<(Lot, Terms), CallOffError> {
    let lot = crate::app::access::visible(conn, actor, lot)?;
    let terms = confirmed_terms(conn, &lot)?.ok_or(CallOffError::NotRunning)?;
    if terms.row.ended_at.is_some() {
        return Err(CallOffError::NotRunning);
    }
    if !terms.framework.runs_at(now) {
        return Err(CallOffError::Refused(Refusal::OutsideTerm));
    }
    Ok((lot, terms))
}

/// Prices the next call-off. One that credits nobody needs only the cumulative quantity
/// (kept with the latest call-off); one that lowers the all-units price replays the
/// framework's lines to credit every earlier one.
fn price_next(
    conn: &mut DbConnection,
    terms: &Terms,
    quantity: u64,
    now: DateTime<Utc>,
) -> Result<(Priced, DateTime<Utc>, Option<Ledger>), CallOffError> {
    let (cumulative, latest) = cumulative(conn, terms.row.lot_id)?;
    let at = next_at(now, latest.as_ref());
    let next = terms
        .framework
        .next_calloff(cumulative, quantity, at)
        .map_err(CallOffError::Refused)?;
    if !next.lowers_price {
        let priced = Priced {
            unit_price: next.unit_price,
            net: next.net,
            vat: next.vat,
            gross: Money::from_cents(next.net.cents() + next.vat.cents()),
            credits: Vec::new(),
            cumulative_quantity: next.cumulative_quantity,
        };
        return Ok((priced, at, None));
    }
    let agreement = with_lines(conn, terms.clone())?;
    let (ledger, _) = replay(conn, &agreement)?;
    let priced = ledger.price(quantity, at).map_err(CallOffError::Refused)?;
    Ok((priced, at, Some(ledger)))
}

/// Prices a call-off without storing anything.
pub fn preview(
    conn: &mut DbConnection,
    ctx: &Ctx,
    actor: &Actor,
    lot: LotId,
    request: &CallOffRequest,
) -> Result<Preview, CallOffError> {
    let member = actor.member()?;
    let (lot, terms) = running_terms(conn, actor, lot, ctx.now)?;
    let (quantity, site, reference) = check(conn, &terms.framework, member, request)?;
    let (priced, _, _) = price_next(conn, &terms, quantity, ctx.now)?;
    let credits = names_of(conn, &priced.credits)?;
    let own_credit = priced
        .credits
        .iter()
        .find(|c| member_of(&c.member) == member)
        .cloned();
    Ok(Preview {
        lot,
        quantity,
        site,
        reference,
        priced,
        credits,
        own_credit,
    })
}

/// A call-off's time: now, but never before the latest stored one, so that the stored order
/// (at, id) is the order in which they were priced.
pub(super) fn next_at(now: DateTime<Utc>, latest: Option<&CallOffRow>) -> DateTime<Utc> {
    latest.map_or(now, |c| now.max(c.at.and_utc()))
}

/// Every member's position after the ledger's latest call-off, kept for the pages.
pub(super) fn store_positions(
    conn: &mut DbConnection,
    lot: LotId,
    ledger: &Ledger,
) -> Result<(), StoreError> {
    let positions: Vec<(MemberId, Position)> = ledger
        .members()
        .into_iter()
        .map(|m| {
            (
                member_of(&m.member),
                Position {
                    quantity: m.quantity,
                    net: m.net,
                    vat: m.vat,
                    credited_net: m.credited_net,
                    credited_vat: Money::from_cents(
                        m.credited_gross.cents() - m.credited_net.cents(),
                    ),
                },
            )
        })
        .collect();
    Ok(frameworks::store_positions(conn, lot, &positions)?)
}

/// Before the first call-off the members' positions are the award's.
fn store_award_positions(conn: &mut DbConnection, lot: LotId) -> Result<(), StoreError> {
    let positions: Vec<(MemberId, Position)> = award::result_members(conn, lot)?
        .into_iter()
        .map(|award::MemberTotal { result: m, .. }| {
            (
                m.member_id,
                Position {
                    quantity: m.quantity,
                    net: m.net,
                    vat: m.vat,
                    credited_net: Money::from_cents(0),
                    credited_vat: Money::from_cents(0),
                },
            )
        })
        .collect();
    Ok(frameworks::store_positions(conn, lot, &positions)?)
}

/// The credits a stored call-off caused.
pub(super) fn store_credits(
    conn: &mut DbConnection,
    calloff: CallOffId,
    priced: &Priced,
) -> Result<(), StoreError> {
    for credit in &priced.credits {
        frameworks::insert_credit(
            conn,
            calloff,
            member_of(&credit.member),
            (credit.net, credit.vat, credit.gross),
        )?;
    }
    Ok(())
}

/// A stored call-off's emails: confirmation, purchase order, credit notes and summary.
#[allow(clippy::too_many_arguments)]
pub(super) fn mail_calloff(
    conn: &mut DbConnection,
    ctx: &Ctx,
    lot: &Lot,
    supplier: SupplierId,
    member: (MemberId, &str),
    id: CallOffId,
    site: &DeliverySite,
    (quantity, reference): (u64, &str),
    priced: &Priced,
) -> Result<(), StoreError> {
    let credits = names_of(conn, &priced.credits)?;
    notify::calloff_placed(
        conn,
        &ctx.mail,
        lot,
        &notify::CallOffNotice {
            id,
            member: member.0,
            member_name: member.1.to_string(),
            supplier,
            site: site.name.clone(),
            address: site.address.clone(),
            reference: reference.to_string(),
            quantity,
            priced,
            credits: credits
                .iter()
                .map(|(name, c)| notify::MemberCredit {
                    member: member_of(&c.member),
                    name: name.clone(),
                    credit: c.clone(),
                })
                .collect(),
        },
        ctx.now.naive_utc(),
    )?;
    Ok(())
}

/// Confirms a call-off: priced, stored with every credit, audited and mailed in one
/// transaction. A form sent twice (the same key) stores one call-off.
pub fn place(
    conn: &mut DbConnection,
    ctx: &Ctx,
    actor: &Actor,
    lot_id: LotId,
    request: &CallOffRequest,
    key: &str,
) -> Result<CallOffId, CallOffError> {
    let member = actor.member()?;
    let key = IdempotencyKey::parse(key).ok_or(CallOffError::BadKey)?;
    let (lot, terms) = running_terms(conn, actor, lot_id, ctx.now)?;
    let (quantity, site, reference) = check(conn, &terms.framework, member, request)?;
    let placed = db::transaction(conn, |conn| {
        // One call-off of a framework at a time, on every server process.
        lots::lock(conn, lot_id)?;
        if let Some(existing) = frameworks::find_by_key(conn, lot_id, member, key.as_str())? {
            return Ok(existing.id);
        }
        // Staff may have ended it while this request waited for the lock.
        if frameworks::find(conn, lot_id)?.is_none_or(|row| row.ended_at.is_some()) {
            return Err(CallOffError::NotRunning);
        }
        let (priced, at, ledger) = price_next(conn, &terms, quantity, ctx.now)?;
        let id = frameworks::insert(
            conn,
            &frameworks::NewCallOff {
                lot: lot_id,
                member,
                site: site.id,
                quantity,
                reference: &reference,
                idempotency_key: key.as_str(),
                placed_by: actor.id,
                at: at.naive_utc(),
                unit_price: priced.unit_price,
                net: priced.net,
                vat: priced.vat,
                gross: priced.gross,
                cumulative_quantity: priced.cumulative_quantity,
            },
        )?;
        match ledger {
            // It lowered the price: the ledger books it under its stored id and re-prices
            // and credits every earlier line.
            Some(mut ledger) => {
                let booked = ledger.apply(&CallOff {
                    id: frameworks::contract_id(id),
                    member: member_key(member),
                    quantity,
                    at,
                });
                if booked.outcome.as_ref().ok() != Some(&priced) {
                    return Err(CallOffError::Store(StoreError::Engine(
                        crate::domain::pricing::InvalidInput::new(
                            "calloff",
                            "priced twice differently",
                        ),
                    )));
                }
                store_credits(conn, id, &priced)?;
                store_positions(conn, lot_id, &ledger)?;
            }
            // It credits nobody: only its member's position grows.
            None => {
                if !frameworks::has_positions(conn, lot_id)? {
                    store_award_positions(conn, lot_id)?;
                }
                frameworks::add_to_position(
                    conn,
                    lot_id,
                    member,
                    (quantity, priced.net, priced.vat),
                )?;
            }
        }
        record(
            conn,
            ctx,
            Some(actor.id),
            AuditAction::CalloffPlaced,
            Some(lot_id),
            ("calloff", id),
            &format!(
                "quantity={quantity} site={} cumulative={} net={} credits={}",
                site.id,
                priced.cumulative_quantity,
                priced.net,
                priced.credits.len()
            ),
        )?;
        let member_name = orgs::find_member(conn, member)?
            .map(|m| m.name)
            .unwrap_or_default();
        mail_calloff(
            conn,
            ctx,
            &lot,
            terms.supplier_id,
            (member, &member_name),
            id,
            &site,
            (quantity, &reference),
            &priced,
        )?;
        Ok(id)
    });
    match placed {
        // The same key raced in from a second request: that one stored the call-off.
        Err(e) if db::is_unique_violation(&e) => {
            frameworks::find_by_key(conn, lot_id, member, key.as_str())?
                .map(|c| c.id)
                .ok_or(CallOffError::NotRunning)
        }
        other => other,
    }
}
