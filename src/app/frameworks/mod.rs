//! Framework agreements after the confirmation: the framework's state, a buyer's call-off
//! (preview, then confirm), staff ending it early, and the server closing it at the end of
//! its term. Every call-off is priced by `domain::framework` on the ledger replayed from the
//! stored rows under the lot's row lock, so racing call-offs are priced one after another in
//! the contract's order on every database and server process.

mod end;
mod expire;
mod exports;
mod place;
mod state;
mod statements;
pub mod upload;

pub use end::end_early;
pub use expire::close_expired;
pub use exports::{record_for, scenario, Record};
pub use place::{place, preview, Preview};
pub use state::{state, FrameworkState, PAGE_CALLOFFS};

use crate::app::{from_read_error, operation_error, Denied, StoreError};
use crate::db::frameworks::{self, CallOffRow, FrameworkRow};
use crate::db::lots::Lot;
use crate::db::procurement as store;
use crate::db::{award, quotes, DbConnection};
use crate::domain::framework::{CallOff, Contract, Framework, InitialLine, Ledger, Refusal};
use crate::domain::ids::{LotId, MemberId, SupplierId};
use crate::domain::lot::{FieldError, LotStatus};
use crate::domain::money::Money;
use crate::domain::pricing::TierTable;
use chrono::{DateTime, Months, Utc};

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
    pub supplier_id: SupplierId,
}

impl Agreement {
    pub fn framework(&self) -> &Framework {
        self.contract.framework()
    }
}

pub(super) fn member_key(member: MemberId) -> String {
    member.to_string()
}

pub(super) fn member_of(key: &str) -> MemberId {
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
    pub supplier_id: SupplierId,
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
    let Some(quote) = quotes::find_quote(conn, quote_id)? else {
        return Ok(None);
    };
    let tiers = TierTable::new(quotes::tiers_of(conn, quote_id)?)?;
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
        .map(|row| InitialLine {
            id: format!("OL-{:012}", row.order_line_id),
            member: member_key(row.member_id),
            quantity: row.quantity.max(0) as u64,
            net: Money::from_cents(row.net),
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
fn cumulative(
    conn: &mut DbConnection,
    lot: LotId,
) -> Result<(u64, Option<CallOffRow>), StoreError> {
    let latest = frameworks::latest(conn, lot)?;
    let total = match &latest {
        Some(c) => c.cumulative_quantity.max(0) as u64,
        None => award::result_members(conn, lot)?
            .iter()
            .map(|t| t.result.quantity)
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
