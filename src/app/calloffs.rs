//! Framework agreements after the confirmation: the framework's state, a buyer's call-off
//! (preview, then confirm), staff ending it early, and the server closing it at the end of
//! its term. Every call-off is priced by `domain::calloff` on the ledger replayed from the
//! stored rows under the lot's row lock, so racing call-offs are priced one after another in
//! the contract's order on every database and server process.

use super::{from_read_error, operation_error, record, Actor, Ctx, Denied, ReadError, StoreError};
use crate::db::frameworks::{self, CallOffRow, CreditRow, FrameworkRow, Position};
use crate::db::lots::{self, Lot};
use crate::db::orgs::{self, DeliverySite};
use crate::db::procurement as store;
use crate::db::{self, DbConnection};
use crate::domain::account::Role;
use crate::domain::calloff::{
    CallOff, Contract, Credit, Framework, InitialLine, Ledger, Priced, Refusal,
};
use crate::domain::lot::{FieldError, FrameworkTerms, LotStatus};
use crate::domain::money::{Money, UnitPrice};
use crate::domain::pricing::{PricingMode, TierTable};
use crate::mail::notify;
use chrono::{DateTime, Months, NaiveDateTime, Utc};
use std::collections::HashMap;

/// The call-off form's fields as typed.
#[derive(Debug, Clone, Default)]
pub struct CallOffRequest {
    pub quantity: String,
    pub site: String,
    pub reference: String,
}

#[derive(Debug, thiserror::Error)]
pub enum CallOffError {
    #[error("the call-off form has mistakes")]
    Invalid(Vec<FieldError>),
    #[error("the framework does not run")]
    NotRunning,
    #[error("refused by the contract: {0:?}")]
    Refused(Refusal),
    #[error("missing or malformed form key")]
    BadKey,
    #[error(transparent)]
    Denied(Denied),
    #[error(transparent)]
    Store(StoreError),
}
operation_error!(CallOffError);
from_read_error!(CallOffError);

/// A confirmed framework's contract: the terms, the price schedule and the initial call-off.
pub struct Agreement {
    pub row: FrameworkRow,
    pub contract: Contract,
    pub supplier_id: i64,
}

impl Agreement {
    pub fn framework(&self) -> &Framework {
        self.contract.framework()
    }
}

pub(super) fn member_key(member: i64) -> String {
    member.to_string()
}

pub(super) fn member_of(key: &str) -> i64 {
    key.parse().unwrap_or_default()
}

/// The end of a term of `months` from `start`.
pub fn term_end(start: DateTime<Utc>, months: u32) -> DateTime<Utc> {
    start
        .checked_add_months(Months::new(months))
        .unwrap_or(DateTime::<Utc>::MAX_UTC)
}

/// A confirmed framework's terms and price schedule, without its lines: enough to price a
/// call-off that crosses no tier and to show the framework's page.
#[derive(Clone)]
pub struct Terms {
    pub row: FrameworkRow,
    pub framework: Framework,
    pub supplier_id: i64,
}

impl Terms {
    pub fn runs_at(&self, now: DateTime<Utc>) -> bool {
        self.row.ended_at.is_none() && self.framework.runs_at(now)
    }
}

/// The terms of a confirmed framework lot; `None` for a one-off lot or one not confirmed.
pub fn confirmed_terms(conn: &mut DbConnection, lot: &Lot) -> Result<Option<Terms>, StoreError> {
    if lot.status != LotStatus::Confirmed {
        return Ok(None);
    }
    match frameworks::find(conn, lot.id)? {
        Some(row) => terms_of(conn, lot, row),
        None => Ok(None),
    }
}

/// The terms of a confirmed lot whose framework row is read already.
fn terms_of(
    conn: &mut DbConnection,
    lot: &Lot,
    row: FrameworkRow,
) -> Result<Option<Terms>, StoreError> {
    if lot.status != LotStatus::Confirmed {
        return Ok(None);
    }
    let Some(procedure) = store::find_procedure(conn, lot.id)? else {
        return Ok(None);
    };
    let (Some(quote_id), Some(confirmed_at)) = (procedure.awarded_quote_id, procedure.confirmed_at)
    else {
        return Ok(None);
    };
    let Some(quote) = store::find_quote(conn, quote_id)? else {
        return Ok(None);
    };
    let tiers = TierTable::new(store::tiers_of(conn, quote_id)?)?;
    let start = confirmed_at.and_utc();
    // The supplier's capacity caps the lot's maximum where it is smaller.
    let max_quantity = quote.max_quantity.map_or(row.terms.max_quantity, |cap| {
        cap.min(row.terms.max_quantity)
    });
    let framework = Framework {
        pricing: quote.pricing,
        tiers,
        vat_rate: lot.vat_rate,
        list_unit_price: lot.list_unit_price,
        order_increment: lot.order_increment,
        max_quantity,
        start,
        end: term_end(start, row.terms.term_months),
    };
    Ok(Some(Terms {
        row,
        framework,
        supplier_id: quote.supplier_id,
    }))
}

/// The agreement of a confirmed framework lot, with every line of its initial call-off.
pub fn agreement(conn: &mut DbConnection, lot: &Lot) -> Result<Option<Agreement>, StoreError> {
    let Some(terms) = confirmed_terms(conn, lot)? else {
        return Ok(None);
    };
    Ok(Some(with_lines(conn, terms)?))
}

pub(super) fn with_lines(conn: &mut DbConnection, terms: Terms) -> Result<Agreement, StoreError> {
    let initial = frameworks::initial_lines(conn, terms.row.lot_id)?
        .into_iter()
        .map(|(line, member, quantity, net)| InitialLine {
            id: format!("OL-{line:012}"),
            member: member_key(member),
            quantity: quantity.max(0) as u64,
            net: Money::from_cents(net),
        })
        .collect();
    let contract = Contract::new(terms.framework, initial)?;
    Ok(Agreement {
        row: terms.row,
        contract,
        supplier_id: terms.supplier_id,
    })
}

/// The cumulative quantity and the latest call-off, without reading the lines: the latest
/// call-off keeps it, before the first one the award's members' totals hold it.
fn cumulative(conn: &mut DbConnection, lot: i64) -> Result<(u64, Option<CallOffRow>), StoreError> {
    let latest = frameworks::latest(conn, lot)?;
    let total = match &latest {
        Some(c) => c.cumulative_quantity.max(0) as u64,
        None => store::result_members(conn, lot)?
            .iter()
            .map(|(m, _)| m.quantity)
            .sum(),
    };
    Ok((total, latest))
}

/// The ledger after every stored call-off, replayed in the contract's order.
pub(super) fn replay(
    conn: &mut DbConnection,
    agreement: &Agreement,
) -> Result<(Ledger, Vec<CallOffRow>), StoreError> {
    let rows = frameworks::all_of(conn, agreement.row.lot_id)?;
    let mut ledger = Ledger::open(&agreement.contract);
    for row in &rows {
        ledger.apply(&CallOff {
            id: row.contract_id(),
            member: member_key(row.member_id),
            quantity: row.quantity.max(0) as u64,
            at: row.at.and_utc(),
        });
    }
    Ok((ledger, rows))
}

/// The framework as the page shows it.
pub struct FrameworkState {
    pub terms: FrameworkTerms,
    pub start: DateTime<Utc>,
    pub end: DateTime<Utc>,
    pub ended: Option<(NaiveDateTime, String)>,
    pub running: bool,
    pub pricing: PricingMode,
    pub max_quantity: u64,
    pub cumulative: u64,
    pub current_price: UnitPrice,
    /// (min quantity, price) of the next tier, if any.
    pub next_tier: Option<(u64, UnitPrice)>,
    /// The member's own position and history (buyers).
    pub own: Option<Position>,
    pub own_calloffs: Vec<(CallOffRow, String, String)>,
    pub own_credits: Vec<CreditRow>,
    pub can_call_off: bool,
    pub sites: Vec<DeliverySite>,
    /// The moments at which `running` may change without a write (the term's start and end).
    pub turns: [DateTime<Utc>; 2],
}

/// How many of a member's own call-offs the page lists (the CSV has them all).
pub const PAGE_CALLOFFS: i64 = 50;

/// A framework's state for its page (given its row, read already), without its lines.
pub fn state(
    conn: &mut DbConnection,
    actor: &Actor,
    lot: &Lot,
    row: FrameworkRow,
    now: DateTime<Utc>,
) -> Result<Option<FrameworkState>, StoreError> {
    let Some(agreement) = terms_of(conn, lot, row)? else {
        return Ok(None);
    };
    let f = &agreement.framework;
    let (cumulative, latest) = cumulative(conn, lot.id)?;
    let current_price = match f.pricing {
        PricingMode::AllUnits => f.tier_price(cumulative),
        PricingMode::Graduated => f.tier_price(cumulative + 1),
    };
    let running = agreement.runs_at(now) && cumulative < f.max_quantity;
    let (own, own_calloffs, own_credits, sites) = match (actor.role, actor.member_id) {
        (Role::Buyer, Some(member)) => {
            let positions = frameworks::positions(conn, lot.id)?;
            let own = match positions.into_iter().find(|(id, _, _)| *id == member) {
                Some((_, _, p)) => Some(p),
                None if latest.is_none() => {
                    // Before the first call-off: the award's figures.
                    store::result_members(conn, lot.id)?
                        .into_iter()
                        .find(|(m, _)| m.member_id == member)
                        .map(|(m, _)| Position {
                            quantity: m.quantity,
                            net: m.net,
                            vat: m.vat,
                            credited_net: Money::from_cents(0),
                            credited_vat: Money::from_cents(0),
                        })
                }
                None => None,
            };
            (
                own,
                frameworks::of_member(conn, lot.id, Some(member), Some(PAGE_CALLOFFS))?,
                frameworks::credits(conn, lot.id, Some(member))?,
                orgs::sites_of(conn, member)?
                    .into_iter()
                    .filter(|s| s.active)
                    .collect(),
            )
        }
        _ => (None, Vec::new(), Vec::new(), Vec::new()),
    };
    Ok(Some(FrameworkState {
        terms: agreement.row.terms,
        start: f.start,
        end: f.end,
        ended: agreement
            .row
            .ended_at
            .map(|at| (at, agreement.row.end_reason.clone())),
        running,
        pricing: f.pricing,
        max_quantity: f.max_quantity,
        cumulative,
        current_price,
        next_tier: f.next_tier(cumulative),
        can_call_off: running && actor.role == Role::Buyer,
        own,
        own_calloffs,
        own_credits,
        sites,
        turns: f.turns(),
    }))
}

/// A call-off's line checked by the order form's rules (a call-off has no limit price).
fn check(
    conn: &mut DbConnection,
    framework: &Framework,
    member: i64,
    request: &CallOffRequest,
) -> Result<(u64, DeliverySite, String), CallOffError> {
    let (input, site) = super::ordering::check_line(
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
    let members: HashMap<i64, String> = orgs::list_members(conn)?
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
    lot: i64,
    now: DateTime<Utc>,
) -> Result<(Lot, Terms), CallOffError> {
    let lot = super::access::visible(conn, actor, lot)?;
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
    lot: i64,
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
    lot: i64,
    ledger: &Ledger,
) -> Result<(), StoreError> {
    let positions: Vec<(i64, Position)> = ledger
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
fn store_award_positions(conn: &mut DbConnection, lot: i64) -> Result<(), StoreError> {
    let positions: Vec<(i64, Position)> = store::result_members(conn, lot)?
        .into_iter()
        .map(|(m, _)| {
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
    calloff: i64,
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
    supplier: i64,
    member: (i64, &str),
    id: i64,
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
                .map(|(name, c)| (member_of(&c.member), name.clone(), c.clone()))
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
    lot_id: i64,
    request: &CallOffRequest,
    key: &str,
) -> Result<i64, CallOffError> {
    let member = actor.member()?;
    let key = key.trim();
    if key.is_empty() || key.len() > 100 {
        return Err(CallOffError::BadKey);
    }
    let (lot, terms) = running_terms(conn, actor, lot_id, ctx.now)?;
    let (quantity, site, reference) = check(conn, &terms.framework, member, request)?;
    let placed = db::transaction(conn, |conn| {
        // One call-off of a framework at a time, on every server process.
        lots::lock(conn, lot_id)?;
        if let Some(existing) = frameworks::find_by_key(conn, lot_id, member, key)? {
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
                idempotency_key: key,
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
            "calloff.placed",
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
        Err(CallOffError::Store(StoreError::Database(db::Error::Query(e))))
            if db::is_unique_violation(&e) =>
        {
            frameworks::find_by_key(conn, lot_id, member, key)?
                .map(|c| c.id)
                .ok_or(CallOffError::NotRunning)
        }
        other => other,
    }
}

/// Staff end a running framework early, with a reason everyone concerned is told.
pub fn end_early(
    conn: &mut DbConnection,
    ctx: &Ctx,
    actor: &Actor,
    lot_id: i64,
    reason: &str,
) -> Result<(), CallOffError> {
    actor.require(Role::Staff)?;
    let reason = reason.trim();
    if reason.is_empty() || reason.chars().count() > 2000 {
        return Err(CallOffError::Invalid(vec![FieldError::new(
            "reason",
            "error.reason",
        )]));
    }
    let lot = super::access::for_staff(conn, actor, lot_id)?;
    db::transaction(conn, |conn| {
        lots::lock(conn, lot_id)?;
        let Some(agreement) = agreement(conn, &lot)? else {
            return Err(CallOffError::NotRunning);
        };
        if !frameworks::end(conn, lot_id, reason, Some(actor.id), ctx.now.naive_utc())? {
            return Err(CallOffError::NotRunning);
        }
        record(
            conn,
            ctx,
            Some(actor.id),
            "framework.ended",
            Some(lot_id),
            ("lot", lot_id),
            reason,
        )?;
        statements(conn, ctx, &lot, &agreement, Some(reason))?;
        Ok(())
    })
}

/// Closes every framework whose term is over (once each), and sends the statements.
pub fn close_expired(conn: &mut DbConnection, ctx: &Ctx) -> Result<usize, StoreError> {
    let mut closed = 0;
    for lot_id in frameworks::running(conn)? {
        let Some(lot) = lots::find(conn, lot_id)? else {
            continue;
        };
        // Cheap first: only a confirmed framework past the end of its term is closed.
        let (Some(row), Some(procedure)) = (
            frameworks::find(conn, lot_id)?,
            store::find_procedure(conn, lot_id)?,
        ) else {
            continue;
        };
        let due = lot.status == LotStatus::Confirmed
            && procedure
                .confirmed_at
                .is_some_and(|at| term_end(at.and_utc(), row.terms.term_months) <= ctx.now);
        if !due {
            continue;
        }
        let done = db::transaction(conn, |conn| -> Result<bool, StoreError> {
            lots::lock(conn, lot_id)?;
            let Some(agreement) = agreement(conn, &lot)? else {
                return Ok(false);
            };
            if agreement.framework().end > ctx.now {
                return Ok(false);
            }
            if !frameworks::end(conn, lot_id, "term_over", None, ctx.now.naive_utc())? {
                return Ok(false);
            }
            record(
                conn,
                ctx,
                None,
                "framework.closed",
                Some(lot_id),
                ("lot", lot_id),
                "term_over",
            )?;
            statements(conn, ctx, &lot, &agreement, None)?;
            Ok(true)
        })?;
        closed += usize::from(done);
    }
    Ok(closed)
}

/// Each member's statement for the framework, and the end notice to the supplier.
fn statements(
    conn: &mut DbConnection,
    ctx: &Ctx,
    lot: &Lot,
    agreement: &Agreement,
    reason: Option<&str>,
) -> Result<(), StoreError> {
    let (ledger, _) = replay(conn, agreement)?;
    let names: HashMap<i64, String> = orgs::list_members(conn)?
        .into_iter()
        .map(|m| (m.id, m.name))
        .collect();
    // The same figures as each member's overview shows for the framework.
    let members = super::overview::framework_spends(conn, lot.id)?
        .into_iter()
        .map(|(id, spend)| (id, names.get(&id).cloned().unwrap_or_default(), spend))
        .collect::<Vec<_>>();
    notify::framework_ended(
        conn,
        &ctx.mail,
        lot,
        agreement.supplier_id,
        &members,
        &ledger.summary(),
        reason,
        ctx.now.naive_utc(),
    )?;
    Ok(())
}

/// Every call-off and credit of a framework, for the CSV and the scenario export: staff and
/// the framework's supplier see all, a member only its own.
pub struct Record {
    pub calloffs: Vec<(CallOffRow, String, String)>,
    pub credits: Vec<CreditRow>,
}

pub fn record_for(
    conn: &mut DbConnection,
    actor: &Actor,
    lot_id: i64,
) -> Result<Record, ReadError> {
    let lot = super::access::visible(conn, actor, lot_id)?;
    let agreement = agreement(conn, &lot)?.ok_or(Denied::NotFound)?;
    let member = match actor.role {
        Role::Staff => None,
        Role::Supplier if actor.supplier_id == Some(agreement.supplier_id) => None,
        Role::Buyer => Some(actor.member()?),
        Role::Supplier => return Err(Denied::NotFound.into()),
    };
    let mut calloffs = frameworks::of_member(conn, lot_id, member, None)?;
    calloffs.reverse();
    Ok(Record {
        calloffs,
        credits: frameworks::credits(conn, lot_id, member)?,
    })
}

/// The framework as a `sammelkauf calloffs` scenario (staff): the contract and the stored
/// call-offs, so anyone can re-price them with the CLI.
pub fn scenario(conn: &mut DbConnection, actor: &Actor, lot_id: i64) -> Result<String, ReadError> {
    let lot = super::access::for_staff(conn, actor, lot_id)?;
    let agreement = agreement(conn, &lot)?.ok_or(Denied::NotFound)?;
    let rows = frameworks::all_of(conn, lot_id)?;
    let calloffs: Vec<CallOff> = rows
        .iter()
        .map(|r| CallOff {
            id: r.contract_id(),
            member: member_key(r.member_id),
            quantity: r.quantity.max(0) as u64,
            at: r.at.and_utc(),
        })
        .collect();
    Ok(crate::calloff_scenario::render_scenario(
        &agreement.contract,
        &calloffs,
    ))
}
