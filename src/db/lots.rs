//! Lots: their terms, indicative tiers, invited suppliers, state changes and live totals.

use super::bundles::{counts, BUNDLE, MEMBER_PART};
use super::schema::{
    lot_bundles, lot_frameworks, lot_indicative_tiers, lot_invitations, lot_member_totals,
    lot_procedure, lots, suppliers,
};
use super::sessions::SessionAccount;
use super::time::DbTime;
use super::{typed, typed_one, Corrupt, DbConnection, Error, Prepared, RowReader};
use crate::domain::ids::{LotId, MemberId, Named, SiteId, SupplierId, UserId};
use crate::domain::lot::{Category, IndicativeTier, LotStatus, LotTermsInput};
use crate::domain::money::{UnitPrice, VatRate};
use crate::domain::rules::LotState;
use chrono::{DateTime, NaiveDateTime, Utc};
use diesel::prelude::*;

/// A lot's row as stored.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = lots)]
struct LotRow {
    id: LotId,
    title: String,
    specification: String,
    category: String,
    unit: String,
    order_increment: i64,
    min_total_quantity: i64,
    list_unit_price: Option<i64>,
    vat_rate: i64,
    #[diesel(deserialize_as = DbTime)]
    demand_deadline: NaiveDateTime,
    #[diesel(deserialize_as = DbTime)]
    quote_deadline: NaiveDateTime,
    standstill_days: i64,
    status: String,
    created_by: UserId,
    #[diesel(deserialize_as = DbTime)]
    created_at: NaiveDateTime,
    #[diesel(deserialize_as = DbTime)]
    updated_at: NaiveDateTime,
}

/// A lot with its terms read into the domain's types.
#[derive(Debug, Clone)]
pub struct Lot {
    pub id: LotId,
    pub title: String,
    pub specification: String,
    pub category: Category,
    pub unit: String,
    pub order_increment: u64,
    pub min_total_quantity: u64,
    pub list_unit_price: Option<UnitPrice>,
    pub vat_rate: VatRate,
    pub demand_deadline: NaiveDateTime,
    pub quote_deadline: NaiveDateTime,
    pub standstill_days: u64,
    pub status: LotStatus,
    pub created_by: UserId,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

impl TryFrom<LotRow> for Lot {
    type Error = Corrupt;

    fn try_from(row: LotRow) -> Result<Self, Corrupt> {
        let read = RowReader::new("lots", row.id);
        let order_increment = read.quantity("order_increment", row.order_increment)?;
        if order_increment == 0 {
            return Err(Corrupt {
                table: "lots",
                id: row.id.get(),
                column: "order_increment",
            });
        }
        Ok(Lot {
            id: row.id,
            category: read.named("category", &row.category, Category::parse)?,
            order_increment,
            min_total_quantity: read.quantity("min_total_quantity", row.min_total_quantity)?,
            list_unit_price: read.optional_price("list_unit_price", row.list_unit_price)?,
            vat_rate: read.vat("vat_rate", row.vat_rate)?,
            standstill_days: read.quantity("standstill_days", row.standstill_days)?,
            status: read.named("status", &row.status, LotStatus::parse)?,
            title: row.title,
            specification: row.specification,
            unit: row.unit,
            demand_deadline: row.demand_deadline,
            quote_deadline: row.quote_deadline,
            created_by: row.created_by,
            created_at: row.created_at,
            updated_at: row.updated_at,
        })
    }
}

impl Lot {
    /// The status as of `now` (an open lot past its demand deadline is closed).
    pub fn status_at(&self, now: DateTime<Utc>) -> LotStatus {
        self.status.effective(self.demand_deadline.and_utc(), now)
    }

    /// What the lot's rules need to know about it.
    pub fn state(&self) -> LotState {
        LotState {
            status: self.status,
            demand_deadline: self.demand_deadline.and_utc(),
            quote_deadline: self.quote_deadline.and_utc(),
        }
    }
}

/// The columns a lot's terms set, for insert and update alike.
type TermsColumns = (
    diesel::dsl::Eq<lots::title, String>,
    diesel::dsl::Eq<lots::specification, String>,
    diesel::dsl::Eq<lots::category, &'static str>,
    diesel::dsl::Eq<lots::unit, String>,
    diesel::dsl::Eq<lots::order_increment, i64>,
    diesel::dsl::Eq<lots::min_total_quantity, i64>,
    diesel::dsl::Eq<lots::list_unit_price, Option<i64>>,
    diesel::dsl::Eq<lots::vat_rate, i64>,
    diesel::dsl::Eq<lots::demand_deadline, NaiveDateTime>,
    diesel::dsl::Eq<lots::quote_deadline, NaiveDateTime>,
    diesel::dsl::Eq<lots::standstill_days, i64>,
);

fn terms_columns(terms: &LotTermsInput) -> TermsColumns {
    (
        lots::title.eq(terms.title.clone()),
        lots::specification.eq(terms.specification.clone()),
        lots::category.eq(terms.category.as_str()),
        lots::unit.eq(terms.unit.clone()),
        lots::order_increment.eq(terms.order_increment as i64),
        lots::min_total_quantity.eq(terms.min_total_quantity as i64),
        lots::list_unit_price.eq(terms.list_unit_price.map(UnitPrice::ten_thousandths)),
        lots::vat_rate.eq(terms.vat_rate.ten_thousandths()),
        lots::demand_deadline.eq(terms.demand_deadline.naive_utc()),
        lots::quote_deadline.eq(terms.quote_deadline.naive_utc()),
        lots::standstill_days.eq(terms.standstill_days as i64),
    )
}

/// Creates a lot in draft with its indicative tiers and invitations.
pub fn insert(
    conn: &mut DbConnection,
    terms: &LotTermsInput,
    invited: &[SupplierId],
    created_by: UserId,
    now: NaiveDateTime,
) -> QueryResult<LotId> {
    let id = crate::insert_returning_id!(
        conn,
        diesel::insert_into(lots::table).values((
            terms_columns(terms),
            lots::status.eq(LotStatus::Draft.as_str()),
            lots::created_by.eq(created_by),
            lots::created_at.eq(now),
            lots::updated_at.eq(now),
        )),
        lots::id
    )?;
    diesel::insert_into(lot_bundles::table)
        .values((
            lot_bundles::lot_id.eq(id),
            lot_bundles::ordered_quantity.eq(0),
            lot_bundles::ordered_lines.eq(0),
            lot_bundles::members.eq(0),
        ))
        .execute(conn)?;
    replace_tiers_and_invitations(conn, id, &terms.indicative_tiers, invited, now)?;
    super::frameworks::set_terms(conn, id, terms.framework)?;
    Ok(id)
}

/// Changes a draft lot's terms; 0 rows when it is no longer a draft.
pub fn update_draft(
    conn: &mut DbConnection,
    id: LotId,
    terms: &LotTermsInput,
    invited: &[SupplierId],
    now: NaiveDateTime,
) -> QueryResult<usize> {
    let changed = diesel::update(
        lots::table
            .find(id)
            .filter(lots::status.eq(LotStatus::Draft.as_str())),
    )
    .set((terms_columns(terms), lots::updated_at.eq(now)))
    .execute(conn)?;
    if changed == 1 {
        replace_tiers_and_invitations(conn, id, &terms.indicative_tiers, invited, now)?;
        super::frameworks::set_terms(conn, id, terms.framework)?;
    }
    Ok(changed)
}

fn replace_tiers_and_invitations(
    conn: &mut DbConnection,
    lot: LotId,
    tiers: &[IndicativeTier],
    invited: &[SupplierId],
    now: NaiveDateTime,
) -> QueryResult<()> {
    diesel::delete(lot_indicative_tiers::table.filter(lot_indicative_tiers::lot_id.eq(lot)))
        .execute(conn)?;
    for tier in tiers {
        diesel::insert_into(lot_indicative_tiers::table)
            .values((
                lot_indicative_tiers::lot_id.eq(lot),
                lot_indicative_tiers::min_quantity.eq(tier.min_quantity as i64),
                lot_indicative_tiers::unit_price.eq(tier.unit_price.ten_thousandths()),
            ))
            .execute(conn)?;
    }
    diesel::delete(
        lot_invitations::table
            .filter(lot_invitations::lot_id.eq(lot))
            .filter(lot_invitations::supplier_id.ne_all(invited)),
    )
    .execute(conn)?;
    for supplier in invited {
        invite(conn, lot, *supplier, now)?;
    }
    Ok(())
}

/// Invites one more supplier; false if it was invited already.
pub fn invite(
    conn: &mut DbConnection,
    lot: LotId,
    supplier: SupplierId,
    now: NaiveDateTime,
) -> QueryResult<bool> {
    if is_invited(conn, lot, supplier)? {
        return Ok(false);
    }
    diesel::insert_into(lot_invitations::table)
        .values((
            lot_invitations::lot_id.eq(lot),
            lot_invitations::supplier_id.eq(supplier),
            lot_invitations::invited_at.eq(now),
        ))
        .execute(conn)?;
    Ok(true)
}

pub fn find(conn: &mut DbConnection, id: LotId) -> Result<Option<Lot>, Error> {
    typed_one(crate::native!(conn, |c| lots::table
        .find(id)
        .select(LotRow::as_select())
        .first(c)
        .optional())?)
}

/// A lot and the delivery site with id `site`, if there is one (whoever's it is): what an
/// order reads before its transaction, in one query.
pub fn find_with_site(
    conn: &mut DbConnection,
    id: LotId,
    site: SiteId,
) -> Result<Option<(Lot, Option<super::orgs::DeliverySite>)>, Error> {
    use super::orgs::DeliverySite;
    use super::schema::delivery_sites;
    let found: Option<(LotRow, Option<DeliverySite>)> = crate::native!(conn, |c| lots::table
        .left_join(delivery_sites::table.on(delivery_sites::id.eq(site)))
        .filter(lots::id.eq(id))
        .select((LotRow::as_select(), Option::<DeliverySite>::as_select()))
        .first(c)
        .optional())?;
    match found {
        Some((lot, site)) => Ok(typed_one(Some(lot))?.map(|lot| (lot, site))),
        None => Ok(None),
    }
}

/// A lot with what every view of its page shows beside it, read in one query: the live
/// bundle, the procedure's row, the framework terms and one member's part of the bundle.
pub struct LotAtGlance {
    pub lot: Lot,
    /// Total quantity and number of members taking part.
    pub bundle: (u64, u64),
    /// The member's quantity and active lines (zero for anyone else).
    pub member: (u64, u64),
    pub procedure: Option<super::procurement::Procedure>,
    pub framework: Option<super::frameworks::FrameworkRow>,
}

/// What a lot at a glance reads beside the lot's row ([`beside_lot`]): the bundle's and the
/// member's kept counts, the procedure's row and the framework terms.
type Beside = (
    Option<(i64, i64)>,
    Option<(i64, i64)>,
    Option<super::procurement::Procedure>,
    Option<super::frameworks::Row>,
);

/// The columns of [`Beside`], from the lot's rows joined to the lot.
#[diesel::dsl::auto_type]
fn beside_lot() -> _ {
    let procedure: <lot_procedure::table as Table>::AllColumns = lot_procedure::all_columns;
    let framework: <lot_frameworks::table as Table>::AllColumns = lot_frameworks::all_columns;
    (
        (lot_bundles::ordered_quantity, lot_bundles::members).nullable(),
        (
            lot_member_totals::ordered_quantity,
            lot_member_totals::ordered_lines,
        )
            .nullable(),
        procedure.nullable(),
        framework.nullable(),
    )
}

impl LotAtGlance {
    fn read(lot: LotRow, (bundle, own, procedure, framework): Beside) -> Result<Self, Error> {
        Ok(LotAtGlance {
            bundle: counts(BUNDLE, lot.id, bundle)?,
            member: counts(MEMBER_PART, lot.id, own)?,
            lot: Lot::try_from(lot)?,
            procedure,
            framework: framework
                .map(super::frameworks::FrameworkRow::read)
                .transpose()?,
        })
    }
}

pub fn at_glance(
    conn: &mut DbConnection,
    id: LotId,
    member: Option<MemberId>,
) -> Result<Option<LotAtGlance>, Error> {
    // No member has id 0: anyone but a buyer joins no member's row.
    let member = member.unwrap_or_default();
    // Read on every view of a lot: kept prepared without diesel walking the query each
    // time to prove it may be (one shape; see `Prepared`).
    let found: Option<(LotRow, Beside)> = crate::native!(conn, |c| Prepared(
        lots::table
            .left_join(lot_bundles::table)
            .left_join(
                lot_member_totals::table.on(lot_member_totals::lot_id
                    .eq(lots::id)
                    .and(lot_member_totals::member_id.eq(member))),
            )
            .left_join(lot_procedure::table)
            .left_join(lot_frameworks::table)
            .filter(lots::id.eq(id))
            .select((LotRow::as_select(), beside_lot()))
            .limit(1)
    )
    .get_result(c)
    .optional())?;
    found
        .map(|(lot, beside)| LotAtGlance::read(lot, beside))
        .transpose()
}

/// A live session's account with when the session was last used and when it began.
pub type LiveSession = (SessionAccount, NaiveDateTime, NaiveDateTime);

/// The account of a live session (as [`super::sessions::find_user`] finds it, and when the
/// session began) and lot `id` at a glance (as [`at_glance`] reads it for the account's
/// member), in one query: a lot's page costs one trip to the database fewer. `None` when the
/// session is not live; the lot `None` when there is no such lot.
pub fn session_at_glance(
    conn: &mut DbConnection,
    session: &str,
    created_after: NaiveDateTime,
    seen_after: NaiveDateTime,
    id: LotId,
) -> Result<Option<(LiveSession, Option<LotAtGlance>)>, Error> {
    use super::schema::{sessions, users};
    use super::sessions::{live, SessionAccountRow};
    type Found = (SessionAccountRow, DbTime, DbTime, Option<LotRow>, Beside);
    // Read on every view of a lot; one shape (see `Prepared`). Only a buyer's account has
    // a member, so only a buyer joins a member's row.
    let found: Option<Found> = crate::native!(conn, |c| Prepared(
        sessions::table
            .inner_join(users::table)
            .left_join(lots::table.on(lots::id.eq(id)))
            .left_join(lot_bundles::table.on(lot_bundles::lot_id.eq(lots::id)))
            .left_join(
                lot_member_totals::table.on(lot_member_totals::lot_id
                    .eq(lots::id)
                    .and(lot_member_totals::member_id.nullable().eq(users::member_id))),
            )
            .left_join(lot_procedure::table.on(lot_procedure::lot_id.eq(lots::id)))
            .left_join(lot_frameworks::table.on(lot_frameworks::lot_id.eq(lots::id)))
            .filter(live(session, created_after, seen_after))
            .select((
                SessionAccountRow::as_select(),
                sessions::last_seen_at,
                sessions::created_at,
                Option::<LotRow>::as_select(),
                beside_lot(),
            ))
            .limit(1)
    )
    .get_result(c)
    .optional())?;
    let Some((account, seen, created, lot, beside)) = found else {
        return Ok(None);
    };
    let glance = lot.map(|lot| LotAtGlance::read(lot, beside)).transpose()?;
    let account = SessionAccount::try_from(account)?;
    Ok(Some(((account, seen.0, created.0), glance)))
}

/// All lots, newest first (staff).
pub fn list_all(conn: &mut DbConnection) -> Result<Vec<Lot>, Error> {
    typed(crate::native!(conn, |c| lots::table
        .order(lots::id.desc())
        .select(LotRow::as_select())
        .load(c))?)
}

/// Lots members may see: every one past draft.
pub fn list_for_members(conn: &mut DbConnection) -> Result<Vec<Lot>, Error> {
    typed(crate::native!(conn, |c| lots::table
        .filter(lots::status.ne(LotStatus::Draft.as_str()))
        .order((lots::demand_deadline.asc(), lots::id.asc()))
        .select(LotRow::as_select())
        .load(c))?)
}

/// Lots a supplier is invited to and that are no longer drafts.
pub fn list_for_supplier(conn: &mut DbConnection, supplier: SupplierId) -> Result<Vec<Lot>, Error> {
    typed(crate::native!(conn, |c| lots::table
        .inner_join(lot_invitations::table)
        .filter(lot_invitations::supplier_id.eq(supplier))
        .filter(lots::status.ne(LotStatus::Draft.as_str()))
        .order((lots::demand_deadline.asc(), lots::id.asc()))
        .select(LotRow::as_select())
        .load(c))?)
}

pub fn is_invited(conn: &mut DbConnection, lot: LotId, supplier: SupplierId) -> QueryResult<bool> {
    let n: i64 = crate::native!(conn, |c| lot_invitations::table
        .filter(lot_invitations::lot_id.eq(lot))
        .filter(lot_invitations::supplier_id.eq(supplier))
        .count()
        .get_result(c))?;
    Ok(n > 0)
}

pub fn invited_suppliers(
    conn: &mut DbConnection,
    lot: LotId,
) -> QueryResult<Vec<Named<SupplierId>>> {
    lot_invitations::table
        .inner_join(suppliers::table)
        .filter(lot_invitations::lot_id.eq(lot))
        .order(suppliers::name.asc())
        .select((suppliers::id, suppliers::name))
        .load(conn)
}

pub fn indicative_tiers(conn: &mut DbConnection, lot: LotId) -> Result<Vec<IndicativeTier>, Error> {
    let rows: Vec<(i64, i64)> = crate::native!(conn, |c| Prepared(
        lot_indicative_tiers::table
            .filter(lot_indicative_tiers::lot_id.eq(lot))
            .order(lot_indicative_tiers::min_quantity.asc())
            .select((
                lot_indicative_tiers::min_quantity,
                lot_indicative_tiers::unit_price,
            ))
    )
    .load(c))?;
    let read = RowReader::new("lot_indicative_tiers", lot);
    rows.into_iter()
        .map(|(min, price)| {
            Ok(IndicativeTier {
                min_quantity: read.quantity("min_quantity", min)?,
                unit_price: read.price("unit_price", price)?,
            })
        })
        .collect()
}

/// Moves a lot from one status to another if it is still in the first; true if it moved.
pub fn transition(
    conn: &mut DbConnection,
    id: LotId,
    from: LotStatus,
    to: LotStatus,
    now: NaiveDateTime,
) -> QueryResult<bool> {
    diesel::update(lots::table.find(id).filter(lots::status.eq(from.as_str())))
        .set((lots::status.eq(to.as_str()), lots::updated_at.eq(now)))
        .execute(conn)
        .map(|n| n == 1)
}

/// The lot's row if it takes orders at `now`: open, and its demand deadline not passed (the
/// condition [`LotState::takes_orders_at`] states for the page).
#[diesel::dsl::auto_type]
pub(crate) fn taking_orders(id: LotId, now: NaiveDateTime) -> _ {
    let open: &'static str = LotStatus::Open.as_str();
    lots::table
        .find(id)
        .filter(lots::status.eq(open))
        .filter(lots::demand_deadline.gt(now))
}

/// Confirms the lot is open for orders before `now` and keeps it so until this
/// transaction ends. On PostgreSQL that is a shared lock: orders on one lot run side by
/// side, while closing the lot waits for them. On SQLite the transaction holds the write
/// lock from its start (see [`crate::db::transaction`]), so nothing else changes the lot
/// meanwhile. Returns false if the lot is not open for orders.
pub fn lock_open_for_orders(
    conn: &mut DbConnection,
    id: LotId,
    now: NaiveDateTime,
) -> QueryResult<bool> {
    let open = taking_orders(id, now).select(lots::id);
    let found = match conn {
        DbConnection::Pg(c) => open.for_share().first::<i64>(c).optional()?,
        DbConnection::Sqlite(c) => open.first::<i64>(c).optional()?,
    };
    Ok(found.is_some())
}

/// Takes the lot's row for the rest of this transaction, so that steps on one lot (quote
/// revisions, the opening) run one after the other and each reads what the one before
/// stored. Returns false if there is no such lot.
pub fn lock(conn: &mut DbConnection, id: LotId) -> QueryResult<bool> {
    diesel::update(lots::table.find(id))
        .set(lots::updated_at.eq(lots::updated_at))
        .execute(conn)
        .map(|n| n == 1)
}

/// Open lots whose demand deadline has passed.
pub fn due_for_closing(conn: &mut DbConnection, now: NaiveDateTime) -> QueryResult<Vec<LotId>> {
    lots::table
        .filter(lots::status.eq(LotStatus::Open.as_str()))
        .filter(lots::demand_deadline.le(now))
        .select(lots::id)
        .load(conn)
}

/// Open lots whose demand deadline lies in `(after, until]` (for reminders).
pub fn open_with_deadline_between(
    conn: &mut DbConnection,
    after: NaiveDateTime,
    until: NaiveDateTime,
) -> Result<Vec<Lot>, Error> {
    typed(
        lots::table
            .filter(lots::status.eq(LotStatus::Open.as_str()))
            .filter(lots::demand_deadline.gt(after))
            .filter(lots::demand_deadline.le(until))
            .order(lots::id.asc())
            .select(LotRow::as_select())
            .load(conn)?,
    )
}
