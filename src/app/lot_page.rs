//! Everything a lot's page shows to each user, read for them: the lot, its bundle, a buyer's
//! own lines and sites, the procurement step, the framework.

use super::access::{awarded_quote, shown_to};
use super::accounts::{self, SessionAtLot, SessionLimits, SessionUser};
use super::kept::{KeptPage, KeptPages, PageKey};
use super::{Actor, Denied, ReadError};
pub use crate::db::award::{MemberTotal, ResultLine};
use crate::db::changes::Token;
use crate::db::lots::{Lot, LotAtGlance};
use crate::db::orders::OrderLineView;
use crate::db::orgs::DeliverySite;
use crate::db::procurement::Procedure;
use crate::db::quotes::QuoteRow;
use crate::db::{award, lots, orders, orgs, quotes, users, DbConnection};
use crate::domain::account::Role;
use crate::domain::ids::{LineId, LotId, MemberId, Named, SupplierId, UserId};
use crate::domain::lot::IndicativeTier;
use crate::domain::rules::{LotState, OpeningRefusal, OpeningStep};
use chrono::{DateTime, NaiveDateTime, Utc};
use std::sync::Arc;

/// Buyers' lot pages as a server keeps them.
pub type KeptLotPages = KeptPages<LotPageData>;

/// The award as everyone concerned reads it.
pub struct AwardInfo {
    pub supplier: String,
    pub standstill_ends_at: Option<NaiveDateTime>,
}

/// Whose stored results a page shows, and so which download it links to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ResultsFor {
    Staff,
    Member,
    Winner,
}

/// The procurement part of a lot's page, as far as this user may see it.
#[derive(Default)]
pub struct ProcedureData {
    /// Why the lot failed or was cancelled (a reason key or staff's own words).
    pub outcome_reason: Option<String>,
    pub award: Option<AwardInfo>,
    /// Staff: how many suppliers have quoted, all that may be known before the opening.
    pub quote_count: Option<i64>,
    /// Staff: who asked for the opening, while it waits for a second person.
    pub opening_requested_by: Option<String>,
    /// Staff: the opening step this person may take now.
    pub opening: Option<Result<OpeningStep, OpeningRefusal>>,
    /// Staff: (first person, second person, when) once the quotes are open.
    pub opened: Option<(String, String, NaiveDateTime)>,
    pub evaluation_visible: bool,
    pub can_revoke: bool,
    pub can_cancel: bool,
    /// A supplier's own revisions, newest first.
    pub own_quotes: Vec<QuoteRow>,
    pub takes_quotes: bool,
    pub results: Vec<ResultLine>,
    pub totals: Vec<MemberTotal>,
    pub results_for: Option<ResultsFor>,
    /// More results exist than the page shows.
    pub results_cut: bool,
    /// Once the results may be read: what was bought, beside what was ordered.
    pub bought: Option<Bought>,
}

/// Units bought at the award (lines over a member's price limit drop out).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Bought {
    /// The whole bundle.
    pub total: u64,
    /// The buyer's own organisation.
    pub own: Option<u64>,
}

/// Everything a lot's page shows to this user.
pub struct LotPageData {
    pub lot: Lot,
    pub state: LotState,
    pub tiers: Vec<IndicativeTier>,
    pub total: u64,
    pub members: u64,
    /// A page of a buyer's own active lines, and the own active sites.
    pub own_lines: Vec<OrderLineView>,
    /// The member's whole part of the bundle: quantity and lines.
    pub own_totals: (u64, u64),
    /// Where the next page of own lines starts, if there is one.
    pub more_lines_after: Option<LineId>,
    pub sites: Vec<DeliverySite>,
    /// Staff: invited suppliers, and those that may still be invited.
    pub invited: Vec<Named<SupplierId>>,
    pub invitable: Vec<Named<SupplierId>>,
    pub procedure: ProcedureData,
    /// A framework lot's term and maximum, and once confirmed its running state.
    pub framework_terms: Option<crate::domain::lot::FrameworkTerms>,
    pub framework: Option<super::frameworks::FrameworkState>,
}

pub fn page(
    conn: &mut DbConnection,
    actor: &Actor,
    id: LotId,
    now: DateTime<Utc>,
    lines_after: Option<LineId>,
) -> Result<LotPageData, ReadError> {
    let glance = lots::at_glance(conn, id, buying_member(actor)?)?;
    page_from(conn, actor, glance, now, lines_after)
}

/// A page to read for a session: the lot at a glance read with the session, and the token
/// read before (none when it could not be read: then the page is not kept).
pub struct PageToRead {
    at_lot: SessionAtLot,
    token: Option<Token>,
    key: PageKey,
}

/// The session's user and the page `key` to read for them, with the lot at a glance read
/// with the session ([`accounts::session_user_at_lot`]); `None` when the session is not
/// live. `token` was read before.
pub fn session_page(
    conn: &mut DbConnection,
    now: NaiveDateTime,
    limits: SessionLimits,
    secret: &str,
    key: PageKey,
    token: Option<Token>,
) -> Result<Option<(SessionUser, PageToRead)>, ReadError> {
    let found = accounts::session_user_at_lot(conn, now, limits, secret, key.lot)?;
    Ok(found.map(|(user, at_lot)| (user, PageToRead { at_lot, token, key })))
}

/// The page of [`session_page`] for its user, read now, and kept for a buyer.
pub fn page_for_session(
    conn: &mut DbConnection,
    actor: &Actor,
    page: PageToRead,
    now: DateTime<Utc>,
    lines_after: Option<LineId>,
    kept: &KeptLotPages,
) -> Result<Arc<LotPageData>, ReadError> {
    let PageToRead { at_lot, token, key } = page;
    let data = Arc::new(page_from(conn, actor, at_lot.glance, now, lines_after)?);
    if let (Some(token), Role::Buyer) = (token, actor.role) {
        let until = unchanged_until(&data, now).map_or(at_lot.unchanged_until, |turn| {
            turn.naive_utc().min(at_lot.unchanged_until)
        });
        if now.naive_utc() < until {
            let page = KeptPage {
                actor: actor.clone(),
                data: data.clone(),
                until,
            };
            kept.keep(key, token, page);
        }
    }
    Ok(data)
}

/// The next moment after `now` at which a buyer's page would read differently without a
/// write: the lot's deadlines, its framework's start and end.
fn unchanged_until(data: &LotPageData, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
    let framework = data.framework.iter().flat_map(|f| f.turns);
    data.state
        .turns()
        .into_iter()
        .chain(framework)
        .filter(|turn| *turn > now)
        .min()
}

/// The member a buyer orders for; none for anyone else.
fn buying_member(actor: &Actor) -> Result<Option<MemberId>, ReadError> {
    Ok(match actor.role {
        Role::Buyer => Some(actor.member()?),
        _ => None,
    })
}

/// A lot's page from the lot at a glance as read for `actor` (with the session, see
/// `accounts::session_user_at_lot`); no lot, or one the actor may not see, is not found.
pub fn page_from(
    conn: &mut DbConnection,
    actor: &Actor,
    glance: Option<LotAtGlance>,
    now: DateTime<Utc>,
    lines_after: Option<LineId>,
) -> Result<LotPageData, ReadError> {
    let member = buying_member(actor)?;
    let glance = glance.ok_or(Denied::NotFound)?;
    let id = glance.lot.id;
    let lot = shown_to(conn, actor, glance.lot)?;
    let procedure = glance.procedure.unwrap_or_default();
    let state = lot.state();
    let tiers = lots::indicative_tiers(conn, id)?;
    let (total, members) = glance.bundle;
    let (mut own_lines, own_totals, sites) = match member {
        Some(member) => (
            orders::lines_of_member(conn, id, member, lines_after, PAGE_LINES as i64 + 1)?,
            glance.member,
            orgs::sites_of(conn, member)?,
        ),
        None => (Vec::new(), (0, 0), Vec::new()),
    };
    let more_lines_after = (own_lines.len() > PAGE_LINES).then(|| {
        own_lines.truncate(PAGE_LINES);
        own_lines.last().map(|l| l.line.id)
    });
    let (invited, invitable) = if actor.role == Role::Staff {
        let invited = lots::invited_suppliers(conn, id)?;
        let invitable = if state.takes_quotes_at(now) {
            orgs::list_suppliers(conn)?
                .into_iter()
                .filter(|s| !invited.iter().any(|i| i.id == s.id))
                .map(Named::from)
                .collect()
        } else {
            Vec::new()
        };
        (invited, invitable)
    } else {
        (Vec::new(), Vec::new())
    };
    let procedure = procedure_data(conn, actor, &lot, procedure, now)?;
    let framework_row = glance.framework;
    let framework_terms = framework_row.as_ref().map(|f| f.terms);
    let framework = match framework_row {
        Some(row) => super::frameworks::state(conn, actor, &lot, row, now)?,
        None => None,
    };
    Ok(LotPageData {
        framework_terms,
        framework,
        lot,
        state,
        tiers,
        total,
        members,
        own_lines,
        own_totals,
        more_lines_after: more_lines_after.flatten(),
        sites,
        invited,
        invitable,
        procedure,
    })
}

fn user_name(conn: &mut DbConnection, id: Option<UserId>) -> Result<String, ReadError> {
    Ok(match id {
        Some(id) => users::find(conn, id)?.map_or_else(String::new, |u| u.name),
        None => String::new(),
    })
}

/// Line results a page shows at most; all of them are in the CSV download.
pub const PAGE_RESULTS: usize = 200;
/// Own order lines a page shows at a time.
pub const PAGE_LINES: usize = 100;

fn procedure_data(
    conn: &mut DbConnection,
    actor: &Actor,
    lot: &Lot,
    procedure: Procedure,
    now: DateTime<Utc>,
) -> Result<ProcedureData, ReadError> {
    let state = lot.state();
    let status = state.status_at(now);
    let mut data = ProcedureData::default();
    if matches!(
        status,
        crate::domain::lot::LotStatus::Failed | crate::domain::lot::LotStatus::Cancelled
    ) {
        data.outcome_reason = Some(procedure.outcome_reason.clone());
    }
    let awarded_quote = awarded_quote(conn, lot, &procedure)?;
    // The award as the page names it, read only for those who are shown it.
    let award = |conn: &mut DbConnection| -> Result<Option<AwardInfo>, ReadError> {
        let Some(quote) = &awarded_quote else {
            return Ok(None);
        };
        Ok(Some(AwardInfo {
            supplier: orgs::find_supplier(conn, quote.supplier_id)?
                .map_or_else(String::new, |s| s.name),
            standstill_ends_at: procedure.standstill_ends_at,
        }))
    };
    match actor.role {
        Role::Staff => {
            data.quote_count = Some(quotes::quote_count(conn, lot.id)?);
            let requested_by = procedure.opening_requested();
            data.opening_requested_by = match requested_by {
                Some(id) => Some(user_name(conn, Some(id))?),
                None => None,
            };
            data.opening = Some(state.opening_step(requested_by, actor.id, now));
            if let (Some(at), Some(_)) = (procedure.opened_at, procedure.opened_by) {
                data.opened = Some((
                    user_name(conn, procedure.opening_requested_by)?,
                    user_name(conn, procedure.opened_by)?,
                    at,
                ));
            }
            data.evaluation_visible = state.quotes_visible_to(Role::Staff);
            data.award = award(conn)?;
            data.can_revoke = state.can_revoke(procedure.standstill_end(), now);
            data.can_cancel = state.can_cancel();
            if state.has_results() {
                data.totals = award::result_members(conn, lot.id)?;
                data.bought = Some(Bought {
                    total: data.totals.iter().map(|t| t.result.quantity).sum(),
                    own: None,
                });
                data.results_for = Some(ResultsFor::Staff);
            }
        }
        Role::Buyer => {
            let member = actor.member()?;
            if state.is_confirmed() {
                data.results = award::result_lines(
                    conn,
                    lot.id,
                    award::ResultFilter {
                        member: Some(member),
                        limit: Some(PAGE_RESULTS as i64 + 1),
                        ..Default::default()
                    },
                )?;
                let all = award::result_members(conn, lot.id)?;
                data.totals = all
                    .iter()
                    .filter(|t| t.result.member_id == member)
                    .cloned()
                    .collect();
                data.bought = Some(Bought {
                    total: all.iter().map(|t| t.result.quantity).sum(),
                    own: Some(data.totals.iter().map(|t| t.result.quantity).sum()),
                });
                data.results_for = Some(ResultsFor::Member);
                data.award = award(conn)?;
            }
        }
        Role::Supplier => {
            let supplier = actor.supplier()?;
            data.own_quotes = quotes::revisions_of(conn, lot.id, supplier)?
                .into_iter()
                .filter(|q| state.receipt_readable_by(actor.joined_at, q.submitted_at.and_utc()))
                .collect();
            data.takes_quotes = state.takes_quotes_at(now);
            if !data.own_quotes.is_empty() {
                data.award = award(conn)?;
            }
            let won = awarded_quote
                .as_ref()
                .is_some_and(|q| q.supplier_id == supplier);
            if state.is_confirmed() && won {
                data.results = award::result_lines(
                    conn,
                    lot.id,
                    award::ResultFilter {
                        accepted_only: true,
                        limit: Some(PAGE_RESULTS as i64 + 1),
                        ..Default::default()
                    },
                )?;
                data.results_for = Some(ResultsFor::Winner);
            }
        }
    }
    // A page shows the first results and says that the download has them all.
    data.results_cut = data.results.len() > PAGE_RESULTS;
    data.results.truncate(PAGE_RESULTS);
    Ok(data)
}
