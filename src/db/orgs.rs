//! Member organisations with their delivery sites, and supplier companies.

use super::schema::{delivery_sites, members, suppliers};
use super::{DbConnection, Prepared};
use crate::domain::ids::{MemberId, Named, SiteId, SupplierId};
use chrono::NaiveDateTime;
use diesel::prelude::*;

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = members)]
pub struct Member {
    pub id: MemberId,
    pub name: String,
    pub city: String,
    pub contact_email: String,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = delivery_sites)]
pub struct DeliverySite {
    pub id: SiteId,
    pub member_id: MemberId,
    pub name: String,
    pub address: String,
    pub active: bool,
    /// The member's own code for the site (may be empty).
    pub code: String,
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = suppliers)]
pub struct Supplier {
    pub id: SupplierId,
    pub name: String,
    pub contact_email: String,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

impl From<Supplier> for Named<SupplierId> {
    fn from(supplier: Supplier) -> Self {
        Named {
            id: supplier.id,
            name: supplier.name,
        }
    }
}

pub fn list_members(conn: &mut DbConnection) -> QueryResult<Vec<Member>> {
    members::table
        .order(members::name.asc())
        .select(Member::as_select())
        .load(conn)
}

pub fn find_member(conn: &mut DbConnection, id: MemberId) -> QueryResult<Option<Member>> {
    members::table
        .find(id)
        .select(Member::as_select())
        .first(conn)
        .optional()
}

pub fn insert_member(
    conn: &mut DbConnection,
    name: &str,
    city: &str,
    contact_email: &str,
    now: NaiveDateTime,
) -> QueryResult<MemberId> {
    crate::insert_returning_id!(
        conn,
        diesel::insert_into(members::table).values((
            members::name.eq(name),
            members::city.eq(city),
            members::contact_email.eq(contact_email),
            members::created_at.eq(now),
            members::updated_at.eq(now),
        )),
        members::id
    )
}

pub fn update_member(
    conn: &mut DbConnection,
    id: MemberId,
    name: &str,
    city: &str,
    contact_email: &str,
    now: NaiveDateTime,
) -> QueryResult<usize> {
    diesel::update(members::table.find(id))
        .set((
            members::name.eq(name),
            members::city.eq(city),
            members::contact_email.eq(contact_email),
            members::updated_at.eq(now),
        ))
        .execute(conn)
}

/// A member's delivery sites, active ones first.
pub fn sites_of(conn: &mut DbConnection, member: MemberId) -> QueryResult<Vec<DeliverySite>> {
    crate::native!(conn, |c| Prepared(
        delivery_sites::table
            .filter(delivery_sites::member_id.eq(member))
            .order((delivery_sites::active.desc(), delivery_sites::name.asc()))
            .select(DeliverySite::as_select())
    )
    .load(c))
}

pub fn find_site(conn: &mut DbConnection, id: SiteId) -> QueryResult<Option<DeliverySite>> {
    delivery_sites::table
        .find(id)
        .select(DeliverySite::as_select())
        .first(conn)
        .optional()
}

pub fn insert_site(
    conn: &mut DbConnection,
    member: MemberId,
    name: &str,
    address: &str,
    now: NaiveDateTime,
) -> QueryResult<SiteId> {
    crate::insert_returning_id!(
        conn,
        diesel::insert_into(delivery_sites::table).values((
            delivery_sites::member_id.eq(member),
            delivery_sites::name.eq(name),
            delivery_sites::address.eq(address),
            delivery_sites::active.eq(true),
            delivery_sites::created_at.eq(now),
        )),
        delivery_sites::id
    )
}

pub fn update_site(
    conn: &mut DbConnection,
    id: SiteId,
    name: &str,
    address: &str,
    active: bool,
) -> QueryResult<usize> {
    diesel::update(delivery_sites::table.find(id))
        .set((
            delivery_sites::name.eq(name),
            delivery_sites::address.eq(address),
            delivery_sites::active.eq(active),
        ))
        .execute(conn)
}

/// Sets a site's own code.
pub fn set_site_code(conn: &mut DbConnection, id: SiteId, code: &str) -> QueryResult<usize> {
    diesel::update(delivery_sites::table.find(id))
        .set(delivery_sites::code.eq(code))
        .execute(conn)
}

pub fn list_suppliers(conn: &mut DbConnection) -> QueryResult<Vec<Supplier>> {
    suppliers::table
        .order(suppliers::name.asc())
        .select(Supplier::as_select())
        .load(conn)
}

pub fn find_supplier(conn: &mut DbConnection, id: SupplierId) -> QueryResult<Option<Supplier>> {
    suppliers::table
        .find(id)
        .select(Supplier::as_select())
        .first(conn)
        .optional()
}

pub fn insert_supplier(
    conn: &mut DbConnection,
    name: &str,
    contact_email: &str,
    now: NaiveDateTime,
) -> QueryResult<SupplierId> {
    crate::insert_returning_id!(
        conn,
        diesel::insert_into(suppliers::table).values((
            suppliers::name.eq(name),
            suppliers::contact_email.eq(contact_email),
            suppliers::created_at.eq(now),
            suppliers::updated_at.eq(now),
        )),
        suppliers::id
    )
}

pub fn update_supplier(
    conn: &mut DbConnection,
    id: SupplierId,
    name: &str,
    contact_email: &str,
    now: NaiveDateTime,
) -> QueryResult<usize> {
    diesel::update(suppliers::table.find(id))
        .set((
            suppliers::name.eq(name),
            suppliers::contact_email.eq(contact_email),
            suppliers::updated_at.eq(now),
        ))
        .execute(conn)
}
