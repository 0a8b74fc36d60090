//! The procurement steps that join the database to the pricing engine: building a lot's
//! scenario, evaluating it, awarding and storing the results, confirming after standstill.

use crate::db::procurement::{self as store, AwardLine, AwardMember};
use crate::db::{lots, orders, orgs, DbConnection};
use crate::domain::lot::LotStatus;
use crate::domain::pricing::{
    evaluate, Evaluation, LotTerms, OrderLine, PricingMode, Quote, Scenario, TierTable,
};
use chrono::{DateTime, Duration, NaiveDateTime, TimeZone, Utc};
use chrono_tz::Europe::Berlin;
use std::collections::HashMap;

/// A lot's scenario with the database ids behind its lines and quotes.
pub struct LotScenario {
    pub scenario: Scenario,
    /// Per order line of the scenario: (order line id, member id).
    pub lines: Vec<(i64, i64)>,
    /// Per quote of the scenario: (quote id, supplier id).
    pub quotes: Vec<(i64, i64)>,
}

#[derive(Debug, thiserror::Error)]
pub enum ProcurementError {
    #[error("database: {0}")]
    Database(#[from] diesel::result::Error),
    #[error("stored data breaks a pricing rule: {0}")]
    Invalid(#[from] crate::domain::pricing::InvalidInput),
}

impl crate::db::AsDbError for ProcurementError {
    fn as_db_error(&self) -> Option<&diesel::result::Error> {
        match self {
            ProcurementError::Database(e) => Some(e),
            ProcurementError::Invalid(_) => None,
        }
    }
}

/// Builds the scenario of a lot from its active order lines and the latest quote of every
/// supplier; `only_quote` restricts it to one quote (an award other than the top-ranked).
pub fn lot_scenario(
    conn: &mut DbConnection,
    lot: &lots::Lot,
    only_quote: Option<i64>,
) -> Result<LotScenario, ProcurementError> {
    let terms = LotTerms::new(
        u64::try_from(lot.min_total_quantity).unwrap_or(0),
        lot.increment(),
        lot.vat(),
        lot.list_price(),
    )?;
    let member_names: HashMap<i64, String> = orgs::list_members(conn)?
        .into_iter()
        .map(|m| (m.id, m.name))
        .collect();
    let mut line_ids = Vec::new();
    let mut order_lines = Vec::new();
    for row in orders::active_lines(conn, lot.id)? {
        line_ids.push((row.id, row.member_id));
        order_lines.push(OrderLine {
            id: row.id.to_string(),
            member: member_names
                .get(&row.member_id)
                .cloned()
                .unwrap_or_default(),
            quantity: u64::try_from(row.quantity).unwrap_or(0),
            max_unit_price: row.limit(),
            placed_at: row.placed_at.and_utc(),
        });
    }
    let mut quote_ids = Vec::new();
    let mut quotes = Vec::new();
    for (row, supplier) in store::latest_quotes(conn, lot.id)? {
        if only_quote.is_some_and(|q| q != row.id) {
            continue;
        }
        let Some(pricing) = PricingMode::parse(&row.pricing) else {
            continue;
        };
        quote_ids.push((row.id, row.supplier_id));
        quotes.push(Quote {
            supplier,
            submitted_at: row.submitted_at.and_utc(),
            pricing,
            max_quantity: row.max_quantity.and_then(|m| u64::try_from(m).ok()),
            tiers: TierTable::new(store::tiers_of(conn, row.id)?)?,
        });
    }
    Ok(LotScenario {
        scenario: Scenario::new(terms, quotes, order_lines)?,
        lines: line_ids,
        quotes: quote_ids,
    })
}

/// When the standstill after an award made at `awarded_at` ends: it starts the next day
/// and lasts `days` calendar days (Europe/Berlin); with 0 days it ends at once.
pub fn standstill_end(awarded_at: DateTime<Utc>, days: i64) -> DateTime<Utc> {
    if days <= 0 {
        return awarded_at;
    }
    let award_day = awarded_at.with_timezone(&Berlin).date_naive();
    let first_free_day = award_day + Duration::days(days + 1);
    let midnight = first_free_day.and_hms_opt(0, 0, 0).unwrap_or_default();
    Berlin
        .from_local_datetime(&midnight)
        .earliest()
        .map_or(awarded_at + Duration::days(days + 1), |t| {
            t.with_timezone(&Utc)
        })
}

/// What an award attempt came to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AwardOutcome {
    Awarded {
        standstill_ends_at: NaiveDateTime,
    },
    /// The lot failed (the engine's reason).
    Failed(&'static str),
    /// The chosen quote is not the top-ranked one and no justification was given.
    NeedsJustification,
    /// The chosen quote is ineligible or clears too little.
    NotEligible,
    /// The lot is not (or no longer) waiting for an award.
    WrongState,
}

/// Awards a lot in one transaction: checks the state, runs the engine, stores every line's
/// and member's result. Call inside a transaction.
pub fn award(
    conn: &mut DbConnection,
    mail: &crate::mail::MailContext,
    lot_id: i64,
    quote_id: i64,
    justification: &str,
    actor: i64,
    now: DateTime<Utc>,
) -> Result<(AwardOutcome, Option<Evaluation>), ProcurementError> {
    let Some(lot) = lots::find(conn, lot_id)? else {
        return Ok((AwardOutcome::WrongState, None));
    };
    if lot.stored_status() != LotStatus::Evaluated {
        return Ok((AwardOutcome::WrongState, None));
    }
    let full = lot_scenario(conn, &lot, None)?;
    let evaluation = evaluate(&full.scenario);
    if let Some(reason) = evaluation.failure {
        if lots::transition(
            conn,
            lot_id,
            LotStatus::Evaluated,
            LotStatus::Failed,
            now.naive_utc(),
        )? {
            store::set_outcome_reason(conn, lot_id, reason.as_str())?;
            crate::mail::notify::lot_ended(
                conn,
                mail,
                &lot,
                false,
                reason.as_str(),
                now.naive_utc(),
            )?;
        }
        return Ok((AwardOutcome::Failed(reason.as_str()), Some(evaluation)));
    }
    let full_ranking = evaluation.ranking.clone();
    let full_quotes = full.quotes.clone();
    let top = evaluation
        .award
        .as_ref()
        .and_then(|a| full.quotes.get(a.quote))
        .map(|(id, _)| *id);
    let (chosen, evaluation) = if top == Some(quote_id) {
        (full, evaluation)
    } else {
        if justification.trim().is_empty() {
            return Ok((AwardOutcome::NeedsJustification, None));
        }
        let eligible = evaluation.ranking.iter().any(|r| {
            r.eligible()
                && full
                    .quotes
                    .get(r.quote)
                    .is_some_and(|(id, _)| *id == quote_id)
        });
        if !eligible {
            return Ok((AwardOutcome::NotEligible, None));
        }
        let alone = lot_scenario(conn, &lot, Some(quote_id))?;
        let result = evaluate(&alone.scenario);
        if !result.awarded() {
            return Ok((AwardOutcome::NotEligible, None));
        }
        (alone, result)
    };
    if !lots::transition(
        conn,
        lot_id,
        LotStatus::Evaluated,
        LotStatus::Awarded,
        now.naive_utc(),
    )? {
        return Ok((AwardOutcome::WrongState, None));
    }
    let ends = standstill_end(now, lot.standstill_days).naive_utc();
    store::procedure(conn, lot_id)?;
    store::record_award(
        conn,
        lot_id,
        quote_id,
        actor,
        justification.trim(),
        now.naive_utc(),
        ends,
    )?;
    let lines: Vec<AwardLine> = evaluation
        .lines
        .iter()
        .map(|l| AwardLine {
            lot_id,
            order_line_id: chosen.lines[l.line].0,
            status: l.status.as_str().to_string(),
            quantity: l.quantity as i64,
            unit_price: l.price.map(|p| p.unit_price.ten_thousandths()),
            net: l.price.map(|p| p.net.cents()),
            vat: l.price.map(|p| p.vat.cents()),
            gross: l.price.map(|p| p.gross.cents()),
        })
        .collect();
    let member_ids: HashMap<&str, i64> = chosen
        .scenario
        .orders()
        .iter()
        .zip(&chosen.lines)
        .map(|(o, (_, member))| (o.member.as_str(), *member))
        .collect();
    let members: Vec<AwardMember> = evaluation
        .members
        .iter()
        .filter_map(|m| {
            Some(AwardMember {
                lot_id,
                member_id: *member_ids.get(m.member.as_str())?,
                quantity: m.quantity as i64,
                net: m.net.cents(),
                vat: m.vat.cents(),
                gross: m.gross.cents(),
                saving_vs_list: m.saving_vs_list.map(|s| s.cents()),
                saving_vs_alone: m.saving_vs_alone.map(|s| s.cents()),
            })
        })
        .collect();
    store::store_results(conn, &lines, &members)?;
    crate::mail::notify::award_notices(
        conn,
        mail,
        &lot,
        &full_ranking,
        &full_quotes,
        quote_id,
        justification.trim(),
        ends,
        now.naive_utc(),
    )?;
    crate::db::audit::append(
        conn,
        &crate::db::audit::NewAuditEntry {
            at: now.naive_utc(),
            actor_id: Some(actor),
            action: "lot.awarded",
            lot_id: Some(lot_id),
            entity: "quote",
            entity_id: Some(quote_id),
            details: &format!(
                "quantity={} total_net={} justification={:?}",
                evaluation.award.as_ref().map_or(0, |a| a.quantity),
                evaluation
                    .award
                    .as_ref()
                    .map_or_else(String::new, |a| a.total_net.to_string()),
                justification.trim()
            ),
        },
    )?;
    Ok((
        AwardOutcome::Awarded {
            standstill_ends_at: ends,
        },
        Some(evaluation),
    ))
}

/// Confirms every awarded lot whose standstill has ended; exactly once per lot, even with
/// several processes.
pub fn confirm_due_lots(
    conn: &mut DbConnection,
    mail: &crate::mail::MailContext,
    now: DateTime<Utc>,
) -> Result<usize, ProcurementError> {
    let due = store::due_for_confirmation(conn, now.naive_utc())?;
    let mut confirmed = 0;
    for lot in due {
        let moved = crate::db::transaction(conn, |conn| {
            if !lots::transition(
                conn,
                lot,
                LotStatus::Awarded,
                LotStatus::Confirmed,
                now.naive_utc(),
            )? {
                return Ok(false);
            }
            store::set_confirmed(conn, lot, now.naive_utc())?;
            crate::mail::notify::confirmation(conn, mail, lot, now.naive_utc())?;
            crate::db::audit::append(
                conn,
                &crate::db::audit::NewAuditEntry {
                    at: now.naive_utc(),
                    actor_id: None,
                    action: "lot.confirmed",
                    lot_id: Some(lot),
                    entity: "lot",
                    entity_id: Some(lot),
                    details: "standstill period ended",
                },
            )?;
            Ok::<_, diesel::result::Error>(true)
        })?;
        if moved {
            confirmed += 1;
        }
    }
    Ok(confirmed)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_standstill_starts_the_day_after_the_award() {
        // Awarded on Monday 1 June 2026, 15:00 Berlin; 10 days run 2–11 June.
        let at = Utc
            .with_ymd_and_hms(2026, 6, 1, 13, 0, 0)
            .single()
            .unwrap_or_default();
        let end = standstill_end(at, 10).with_timezone(&Berlin);
        assert_eq!(end.format("%Y-%m-%d %H:%M").to_string(), "2026-06-12 00:00");
        assert_eq!(standstill_end(at, 0), at);
    }
}
