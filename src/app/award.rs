//! The evaluation of opened quotes and the award: the engine ranks the quotes, staff award
//! the top-ranked one (or another with a written justification), and the results of every
//! line and member are stored with the award in one transaction.

use super::scenario::{lot_scenario, LotScenario};
use super::{operation_error, record, Actor, Ctx, Denied, StoreError};
use crate::db::award::{self, LineResult, MemberResult};
use crate::db::lots::{self, Lot};
use crate::db::procurement as store;
use crate::db::{self, DbConnection};
use crate::domain::account::Role;
use crate::domain::audit::AuditAction;
use crate::domain::ids::{LotId, MemberId, QuoteId, UserId};
use crate::domain::lot::LotStatus;
use crate::domain::pricing::{evaluate, Evaluation, InvalidInput};
use crate::mail::notify::AwardNotice;
use chrono::{DateTime, Duration, NaiveDateTime, TimeZone, Utc};
use chrono_tz::Europe::Berlin;
use std::collections::HashMap;

/// What the evaluation page shows: the lot's scenario (every quote with its tiers and lead
/// time) and the engine's evaluation of it.
pub struct EvaluationData {
    pub lot: Lot,
    pub scenario: LotScenario,
    pub evaluation: Evaluation,
    pub can_award: bool,
}

/// Why the evaluation cannot be shown.
#[derive(Debug, thiserror::Error)]
pub enum EvaluationError {
    /// Sealed: nothing about the quotes before the opening.
    #[error("the quotes are sealed until the opening")]
    Sealed { quote_deadline: NaiveDateTime },
    #[error(transparent)]
    Denied(Denied),
    #[error(transparent)]
    Store(StoreError),
}
operation_error!(EvaluationError);
super::from_read_error!(EvaluationError);

/// The evaluation of an opened lot, for staff.
pub fn evaluation(
    conn: &mut DbConnection,
    actor: &Actor,
    lot_id: LotId,
) -> Result<EvaluationData, EvaluationError> {
    let lot = super::access::for_staff(conn, actor, lot_id)?;
    let state = lot.state();
    if !state.quotes_visible_to(actor.role) {
        return Err(EvaluationError::Sealed {
            quote_deadline: lot.quote_deadline,
        });
    }
    let scenario = lot_scenario(conn, &lot, None)?;
    let evaluation = evaluate(&scenario.scenario);
    Ok(EvaluationData {
        can_award: state.can_award(),
        lot,
        scenario,
        evaluation,
    })
}

/// When the standstill after an award made at `awarded_at` ends: it starts the next day
/// and lasts `days` calendar days (Europe/Berlin); with 0 days it ends at once.
pub fn standstill_end(awarded_at: DateTime<Utc>, days: u64) -> DateTime<Utc> {
    // Validation keeps a lot's standstill within 60 days; ten years bounds the arithmetic.
    let days = days.min(3650) as i64;
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
pub enum Awarded {
    /// Awarded; the standstill runs until then.
    Awarded { standstill_ends_at: NaiveDateTime },
    /// The engine found no award: the lot failed (the engine's reason).
    Failed(&'static str),
}

/// Why an award was refused.
#[derive(Debug, thiserror::Error)]
pub enum AwardError {
    #[error("choose a quote")]
    NoQuoteChosen,
    #[error("the justification is too long")]
    JustificationTooLong,
    /// The chosen quote is not the top-ranked one and no justification was given.
    #[error("a quote other than the top-ranked needs a justification")]
    NeedsJustification,
    /// The chosen quote is ineligible or clears too little.
    #[error("the chosen quote cannot be awarded")]
    NotEligible,
    /// The lot is not (or no longer) waiting for an award.
    #[error("the lot is not waiting for an award")]
    WrongState,
    #[error(transparent)]
    Denied(Denied),
    #[error(transparent)]
    Store(StoreError),
}
operation_error!(AwardError);

/// The staff's award form as typed.
pub struct AwardRequest {
    pub quote: String,
    pub justification: String,
}

/// Awards a lot in one transaction: checks the state, runs the engine, stores every line's
/// and member's result, queues the notices and writes the log.
pub fn award(
    conn: &mut DbConnection,
    ctx: &Ctx,
    actor: &Actor,
    lot_id: LotId,
    request: &AwardRequest,
) -> Result<Awarded, AwardError> {
    actor.require(Role::Staff)?;
    let quote_id = request
        .quote
        .trim()
        .parse::<QuoteId>()
        .map_err(|_| AwardError::NoQuoteChosen)?;
    if request.justification.chars().count() > 5000 {
        return Err(AwardError::JustificationTooLong);
    }
    let justification = request.justification.trim();
    db::transaction(conn, |conn| {
        award_in_transaction(conn, ctx, actor.id, lot_id, quote_id, justification)
    })
}

fn award_in_transaction(
    conn: &mut DbConnection,
    ctx: &Ctx,
    actor: UserId,
    lot_id: LotId,
    quote_id: QuoteId,
    justification: &str,
) -> Result<Awarded, AwardError> {
    let now = ctx.now;
    let mail = &ctx.mail;
    let lot = lots::find(conn, lot_id)?.ok_or(Denied::NotFound)?;
    if !lot.state().can_award() {
        return Err(AwardError::WrongState);
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
            let email = crate::mail::notify::LotEndedEmail {
                lot: &lot,
                ending: crate::mail::notify::Ending::Failed,
                reason: reason.as_str(),
            };
            crate::mail::notify::lot_ended(conn, mail, &email, now.naive_utc())?;
        }
        return Ok(Awarded::Failed(reason.as_str()));
    }
    let full_ranking = evaluation.ranking.clone();
    let full_quotes = full.quotes.clone();
    let top = evaluation
        .award
        .as_ref()
        .and_then(|a| full.quotes.get(a.quote))
        .map(|q| q.quote);
    let (chosen, evaluation) = if top == Some(quote_id) {
        (full, evaluation)
    } else {
        if justification.is_empty() {
            return Err(AwardError::NeedsJustification);
        }
        let eligible = evaluation.ranking.iter().any(|r| {
            r.eligible()
                && full
                    .quotes
                    .get(r.quote)
                    .is_some_and(|q| q.quote == quote_id)
        });
        if !eligible {
            return Err(AwardError::NotEligible);
        }
        let alone = lot_scenario(conn, &lot, Some(quote_id))?;
        let result = evaluate(&alone.scenario);
        if !result.awarded() {
            return Err(AwardError::NotEligible);
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
        return Err(AwardError::WrongState);
    }
    let ends = standstill_end(now, lot.standstill_days).naive_utc();
    store::procedure(conn, lot_id)?;
    store::record_award(
        conn,
        lot_id,
        quote_id,
        actor,
        justification,
        now.naive_utc(),
        ends,
    )?;
    let lines: Vec<LineResult> = evaluation
        .lines
        .iter()
        .map(|l| LineResult {
            order_line_id: chosen.lines[l.line].line,
            status: l.status,
            quantity: l.quantity,
            price: l.price,
        })
        .collect();
    let member_ids: HashMap<&str, MemberId> = chosen
        .scenario
        .orders()
        .iter()
        .zip(&chosen.lines)
        .map(|(o, line)| (o.member.as_str(), line.member))
        .collect();
    let members: Vec<MemberResult> = evaluation
        .members
        .iter()
        .map(|m| {
            Ok(MemberResult {
                member_id: *member_ids.get(m.member.as_str()).ok_or(StoreError::Engine(
                    InvalidInput::new("members", "a member of the result has no order line"),
                ))?,
                quantity: m.quantity,
                net: m.net,
                vat: m.vat,
                gross: m.gross,
                saving_vs_list: m.saving_vs_list,
                saving_vs_alone: m.saving_vs_alone,
            })
        })
        .collect::<Result<_, StoreError>>()?;
    award::store_results(conn, lot_id, &lines, &members)?;
    crate::mail::notify::award_notices(
        conn,
        mail,
        &lot,
        &AwardNotice {
            ranking: &full_ranking,
            quote_suppliers: &full_quotes,
            winner_quote: quote_id,
            justification,
            standstill_ends_at: ends,
        },
        now.naive_utc(),
    )?;
    record(
        conn,
        ctx,
        Some(actor),
        AuditAction::LotAwarded,
        Some(lot_id),
        ("quote", quote_id),
        &format!(
            "quantity={} total_net={} justification={:?}",
            evaluation.award.as_ref().map_or(0, |a| a.quantity),
            evaluation
                .award
                .as_ref()
                .map_or_else(String::new, |a| a.total_net.to_string()),
            justification
        ),
    )?;
    Ok(Awarded::Awarded {
        standstill_ends_at: ends,
    })
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
