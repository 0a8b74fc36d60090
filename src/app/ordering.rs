//! A buyer's order lines in a lot: place, change and cancel until the demand deadline.

use super::{from_read_error, operation_error, record, Actor, Ctx, Denied, StoreError};
use crate::db::lots::{self, Lot};
use crate::db::orders::{self, OrderLineRow};
use crate::db::orgs::{self, DeliverySite};
use crate::db::outbox::{self, NewEmail};
use crate::db::{self, bundles, DbConnection};
use crate::domain::audit::AuditAction;
use crate::domain::idempotency::IdempotencyKey;
use crate::domain::ids::{LineId, LotId, MemberId, SiteId, UserId};
use crate::domain::lot::{FieldError, OrderInput};
use crate::mail::notify::{self, LineChange, LineSummary};

/// The order form's fields as typed.
#[derive(Debug, Clone, Default)]
pub struct OrderRequest {
    pub quantity: String,
    pub site: String,
    pub max_unit_price: String,
    pub reference: String,
}

/// Why an order was refused.
#[derive(Debug, thiserror::Error)]
pub enum OrderError {
    #[error("the order form has mistakes")]
    Invalid(Vec<FieldError>),
    #[error("the lot takes no orders any more")]
    Closed,
    #[error("missing or malformed form key")]
    BadKey,
    #[error(transparent)]
    Denied(Denied),
    #[error(transparent)]
    Store(StoreError),
}
operation_error!(OrderError);
from_read_error!(OrderError);

/// Checks the input against the lot and the member's own active sites.
fn check(
    conn: &mut DbConnection,
    lot: &Lot,
    member: MemberId,
    request: &OrderRequest,
) -> Result<(OrderInput, DeliverySite), OrderError> {
    check_line(
        conn,
        lot.order_increment,
        member,
        &request.site,
        request.line_fields(),
    )?
    .map_err(OrderError::Invalid)
}

impl OrderRequest {
    /// Quantity, limit price and reference, as [`check_line`] takes them.
    fn line_fields(&self) -> (&str, &str, &str) {
        (&self.quantity, &self.max_unit_price, &self.reference)
    }
}

/// The rules of one line for a member, an order's or a call-off's: quantity, limit price and
/// reference as the order form checks them, and one of the member's own active sites.
pub(crate) fn check_line(
    conn: &mut DbConnection,
    increment: u64,
    member: MemberId,
    site: &str,
    (quantity, limit, reference): (&str, &str, &str),
) -> Result<Result<(OrderInput, DeliverySite), Vec<FieldError>>, StoreError> {
    let found = match site_id(site) {
        Some(id) => orgs::find_site(conn, id)?,
        None => None,
    };
    Ok(check_found_line(
        increment,
        member,
        found,
        (quantity, limit, reference),
    ))
}

/// The site id the form names, if it is a number.
fn site_id(site: &str) -> Option<SiteId> {
    site.trim().parse().ok()
}

/// [`check_line`] with the site the form names already read (`None`: no such site).
fn check_found_line(
    increment: u64,
    member: MemberId,
    found: Option<DeliverySite>,
    (quantity, limit, reference): (&str, &str, &str),
) -> Result<(OrderInput, DeliverySite), Vec<FieldError>> {
    let mut errors = Vec::new();
    let input = OrderInput::parse(quantity, limit, reference, increment)
        .map_err(|e| errors.extend(e))
        .ok();
    let site = found.filter(|site| site.member_id == member && site.active);
    if site.is_none() {
        errors.push(FieldError::new("site", "error.site"));
    }
    match (input, site) {
        (Some(input), Some(site)) if errors.is_empty() => Ok((input, site)),
        _ => Err(errors),
    }
}

fn describe(input: &OrderInput, site: SiteId) -> String {
    format!(
        "quantity={} site={} max_unit_price={} reference={:?}",
        input.quantity,
        site,
        input
            .max_unit_price
            .map_or_else(|| "-".to_string(), |p| p.to_string()),
        input.reference
    )
}

/// Checks, before any writing, that the lot takes orders (again inside the transaction).
fn takes_orders(lot: &Lot, ctx: &Ctx) -> Result<(), OrderError> {
    if lot.state().takes_orders_at(ctx.now) {
        Ok(())
    } else {
        Err(OrderError::Closed)
    }
}

/// The email that confirms a placed, changed or cancelled line to the buyer, composed
/// before the transaction that stores it.
fn confirmation(
    ctx: &Ctx,
    actor: &Actor,
    lot: &Lot,
    change: LineChange,
    site: &str,
    input: &OrderInput,
) -> Result<NewEmail, OrderError> {
    let line = LineSummary {
        quantity: input.quantity,
        unit: lot.unit.clone(),
        site: site.to_string(),
        limit: input.max_unit_price,
        reference: input.reference.clone(),
    };
    let email = notify::OrderLineEmail {
        lot,
        change,
        line: &line,
    };
    notify::order_line(&ctx.mail, actor.recipient(), &email, ctx.now.naive_utc())
        .map_err(|e| OrderError::Store(e.into()))
}

/// Counts the change into the member's and the lot's totals as the transaction's last
/// writes, or refuses a line that would grow the lot past what the pricing engine can price
/// (the count and the check are one statement, so simultaneous orders cannot pass the limit
/// together).
fn count_into_bundle(
    conn: &mut DbConnection,
    change: &orders::LineChange,
    removed: Option<u64>,
    added: u64,
) -> Result<(), OrderError> {
    if orders::count_into_lot(conn, change)? {
        return Ok(());
    }
    let refusal = bundles::bundle_size(conn, change.lot)?
        .with_line(removed, added)
        .err()
        .unwrap_or_else(|| FieldError::new("quantity", "error.bundle_quantity"));
    Err(OrderError::Invalid(vec![refusal]))
}

/// A new line checked and ready to store, with its confirmation composed: all of an order
/// but its transaction.
#[derive(Debug)]
pub struct ReadyOrder {
    lot: LotId,
    member: MemberId,
    site: SiteId,
    input: OrderInput,
    key: IdempotencyKey,
    placed_by: UserId,
    now: chrono::NaiveDateTime,
    details: String,
    email: NewEmail,
}

impl ReadyOrder {
    fn new_line(&self) -> orders::NewLine<'_> {
        orders::NewLine {
            lot: self.lot,
            member: self.member,
            site: self.site,
            input: &self.input,
            idempotency_key: self.key.as_str(),
            placed_by: self.placed_by,
            now: self.now,
        }
    }

    fn audit_entry(&self, line: LineId) -> db::audit::NewAuditEntry<'_> {
        db::audit::NewAuditEntry {
            at: self.now,
            actor_id: Some(self.placed_by),
            action: AuditAction::OrderPlaced.as_str(),
            lot_id: Some(self.lot),
            entity: "order_line",
            entity_id: Some(line.get()),
            details: &self.details,
        }
    }
}

/// Checks a new line before it is stored ([`store`], or [`OrderWriter::store`] with others):
/// the buyer's member sees the lot, the lot takes orders, the form is right and names one of
/// the member's active sites. Placing a line is this and then storing it; a form sent twice
/// (the same key) places one line.
pub fn prepare(
    conn: &mut DbConnection,
    ctx: &Ctx,
    actor: &Actor,
    lot_id: LotId,
    request: &OrderRequest,
    key: &str,
) -> Result<ReadyOrder, OrderError> {
    let member = actor.member()?;
    let key = IdempotencyKey::parse(key).ok_or(OrderError::BadKey)?;
    // The lot and the site the form names in one query (no site has id 0).
    let (lot, found) =
        lots::find_with_site(conn, lot_id, site_id(&request.site).unwrap_or_default())?
            .ok_or(Denied::NotFound)?;
    let lot = super::access::shown_to(conn, actor, lot)?;
    takes_orders(&lot, ctx)?;
    let (input, site) = check_found_line(lot.order_increment, member, found, request.line_fields())
        .map_err(OrderError::Invalid)?;
    let email = confirmation(ctx, actor, &lot, LineChange::Placed, &site.name, &input)?;
    Ok(ReadyOrder {
        lot: lot_id,
        member,
        site: site.id,
        details: describe(&input, site.id),
        input,
        key,
        placed_by: actor.id,
        now: ctx.now.naive_utc(),
        email,
    })
}

/// Stores a checked line in its own transaction: the line (once for its form key, only
/// while the lot takes orders), its audit entry, its confirmation and the totals.
pub fn store(conn: &mut DbConnection, order: &ReadyOrder) -> Result<(), OrderError> {
    db::transaction(conn, |conn| {
        let (line, change) = match orders::insert(conn, &order.new_line())? {
            orders::Placed::New(line, change) => (line, change),
            // A form sent again (or at the same instant from a second tab) placed its line then.
            orders::Placed::Again => return Ok(()),
            orders::Placed::LotClosed => return Err(OrderError::Closed),
        };
        db::audit::append(conn, &order.audit_entry(line))?;
        outbox::enqueue(conn, &order.email)?;
        count_into_bundle(conn, &change, None, order.input.quantity)
    })
}

/// Stores lines that arrived together in one transaction, with one statement each for their
/// lines, audit entries, emails and members' totals and one for each lot's bundle, instead
/// of a transaction of seven statements for each. Where anything about one of them is out
/// of the ordinary (its lot stopped taking orders, its form key was used, the bundle would
/// pass its limit, the database failed), that transaction is rolled back and each line is
/// stored on its own by [`store`], so each gets the answer it would have got alone.
pub fn store_together(conn: &mut DbConnection, orders: &[ReadyOrder]) -> StoredTogether {
    if orders.len() > 1 && db::transaction(conn, |conn| write_together(conn, orders)).is_ok() {
        return StoredTogether {
            answers: orders.iter().map(|_| Ok(())).collect(),
            in_one_transaction: true,
        };
    }
    StoredTogether {
        answers: orders.iter().map(|order| store(conn, order)).collect(),
        in_one_transaction: false,
    }
}

/// What storing lines together came to.
#[derive(Debug)]
pub struct StoredTogether {
    /// Each line's answer, in the order given.
    pub answers: Vec<Result<(), OrderError>>,
    /// Whether they were stored in one transaction, or each on its own.
    pub in_one_transaction: bool,
}

/// Why lines that arrived together are not stored together.
#[derive(Debug)]
enum NotTogether {
    /// One of them is out of the ordinary.
    Unusual,
    Failed(diesel::result::Error),
}

impl From<diesel::result::Error> for NotTogether {
    fn from(e: diesel::result::Error) -> Self {
        NotTogether::Failed(e)
    }
}

impl db::AsDbError for NotTogether {
    fn as_db_error(&self) -> Option<&diesel::result::Error> {
        match self {
            NotTogether::Failed(e) => Some(e),
            NotTogether::Unusual => None,
        }
    }
}

fn write_together(conn: &mut DbConnection, orders: &[ReadyOrder]) -> Result<(), NotTogether> {
    use std::collections::BTreeMap;
    // Each lot held open until the commit, checked at the latest time of its lines.
    let mut lots_at: BTreeMap<LotId, chrono::NaiveDateTime> = BTreeMap::new();
    for order in orders {
        let at = lots_at.entry(order.lot).or_insert(order.now);
        *at = (*at).max(order.now);
    }
    for (&lot, &now) in &lots_at {
        if !lots::lock_open_for_orders(conn, lot, now)? {
            return Err(NotTogether::Unusual);
        }
    }
    let lines: Vec<_> = orders.iter().map(ReadyOrder::new_line).collect();
    let stored = orders::insert_together(conn, &lines)?.ok_or(NotTogether::Unusual)?;
    let entries: Vec<_> = orders
        .iter()
        .zip(&stored)
        .map(|(order, (line, _))| order.audit_entry(*line))
        .collect();
    db::audit::append_all(conn, &entries)?;
    let emails: Vec<_> = orders.iter().map(|order| &order.email).collect();
    if !outbox::enqueue_all(conn, emails)? {
        return Err(NotTogether::Unusual);
    }
    let changes: Vec<_> = stored.into_iter().map(|(_, change)| change).collect();
    if !orders::count_together(conn, &changes)? {
        return Err(NotTogether::Unusual);
    }
    Ok(())
}

/// This server's new lines on their way to the database: each order hands its checked line
/// over and waits, while one writer at a time stores all that are waiting together
/// ([`store_together`]). Under load, lines arrive while the writer stores the ones before,
/// so each transaction takes many; a line alone is stored at once.
#[derive(Clone)]
pub struct OrderWriter(
    std::sync::Arc<super::group::GroupCommit<ReadyOrder, Result<(), OrderError>>>,
);

impl Default for OrderWriter {
    fn default() -> Self {
        OrderWriter(super::group::GroupCommit::new(MOST_TOGETHER))
    }
}

/// The most lines one transaction stores together.
const MOST_TOGETHER: usize = 64;

impl OrderWriter {
    /// Stores a checked line with those that arrive with it; answers as [`store`] would.
    pub async fn store(&self, pool: &db::Pool, order: ReadyOrder) -> Result<(), OrderError> {
        self.0
            .submit(pool, order, |conn, orders| {
                store_together(conn, orders).answers
            })
            .await
            .unwrap_or(Err(OrderError::Store(StoreError::GroupNotStored)))
    }
}

/// One of the member's own active lines of a lot.
pub fn own_line(
    conn: &mut DbConnection,
    actor: &Actor,
    lot: LotId,
    line: LineId,
) -> Result<(Lot, OrderLineRow), super::ReadError> {
    let member = actor.member()?;
    let lot = super::access::visible(conn, actor, lot)?;
    match orders::find(conn, line)? {
        Some(row)
            if row.lot_id == lot.id && row.member_id == member && row.cancelled_at.is_none() =>
        {
            Ok((lot, row))
        }
        _ => Err(Denied::NotFound.into()),
    }
}

/// What the page to change a line shows.
pub struct EditData {
    pub lot: Lot,
    pub line: OrderLineRow,
    pub sites: Vec<DeliverySite>,
    pub can_change: bool,
}

pub fn edit_data(
    conn: &mut DbConnection,
    ctx: &Ctx,
    actor: &Actor,
    lot: LotId,
    line: LineId,
) -> Result<EditData, super::ReadError> {
    let (lot, line) = own_line(conn, actor, lot, line)?;
    let sites = orgs::sites_of(conn, line.member_id)?
        .into_iter()
        .filter(|s| s.active || s.id == line.delivery_site_id)
        .collect();
    let can_change = lot.state().takes_orders_at(ctx.now);
    Ok(EditData {
        lot,
        line,
        sites,
        can_change,
    })
}

/// Changes one of the member's own lines.
pub fn change(
    conn: &mut DbConnection,
    ctx: &Ctx,
    actor: &Actor,
    lot_id: LotId,
    line_id: LineId,
    request: &OrderRequest,
) -> Result<(), OrderError> {
    let member = actor.member()?;
    let (lot, _) = own_line(conn, actor, lot_id, line_id)?;
    takes_orders(&lot, ctx)?;
    let (input, site) = check(conn, &lot, member, request)?;
    let now = ctx.now.naive_utc();
    let email = confirmation(ctx, actor, &lot, LineChange::Changed, &site.name, &input)?;
    db::transaction(conn, |conn| {
        if !lots::lock_open_for_orders(conn, lot_id, now)? {
            return Err(OrderError::Closed);
        }
        let Some(change) = orders::update(conn, line_id, site.id, &input, now)? else {
            return Err(Denied::NotFound.into());
        };
        // The change counts the new quantity less the one the line had.
        let before = (input.quantity as i64 - change.quantity).max(0) as u64;
        record(
            conn,
            ctx,
            Some(actor.id),
            AuditAction::OrderChanged,
            Some(lot_id),
            ("order_line", line_id),
            &describe(&input, site.id),
        )?;
        outbox::enqueue(conn, &email)?;
        count_into_bundle(conn, &change, Some(before), input.quantity)
    })
}

/// Cancels one of the member's own lines; cancelling it again changes nothing.
pub fn cancel(
    conn: &mut DbConnection,
    ctx: &Ctx,
    actor: &Actor,
    lot_id: LotId,
    line_id: LineId,
) -> Result<(), OrderError> {
    let (lot, row) = own_line(conn, actor, lot_id, line_id)?;
    takes_orders(&lot, ctx)?;
    let now = ctx.now.naive_utc();
    let site = orgs::find_site(conn, row.delivery_site_id)?
        .map(|s| s.name)
        .unwrap_or_default();
    let email = confirmation(ctx, actor, &lot, LineChange::Cancelled, &site, &row.input())?;
    db::transaction(conn, |conn| {
        if !lots::lock_open_for_orders(conn, lot_id, now)? {
            return Err(OrderError::Closed);
        }
        if let Some(change) = orders::cancel(conn, line_id, now)? {
            record(
                conn,
                ctx,
                Some(actor.id),
                AuditAction::OrderCancelled,
                Some(lot_id),
                ("order_line", line_id),
                "",
            )?;
            outbox::enqueue(conn, &email)?;
            count_into_bundle(conn, &change, Some(row.quantity), 0)?;
        }
        Ok(())
    })
}
