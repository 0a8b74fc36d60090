//! Accounts: lookup, creation and changes.

use super::schema::users;
use super::{typed, typed_one, Corrupt, DbConnection, Error, RowReader};
use crate::domain::account::{Language, Role};
use crate::domain::ids::{LotId, MemberId, SupplierId, UserId};
use chrono::NaiveDateTime;
use diesel::prelude::*;

/// An account as stored.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = users)]
pub(crate) struct UserRow {
    id: UserId,
    email: String,
    name: String,
    password_hash: String,
    role: String,
    member_id: Option<MemberId>,
    supplier_id: Option<SupplierId>,
    language: String,
    active: bool,
    created_at: NaiveDateTime,
    updated_at: NaiveDateTime,
    joined_at: NaiveDateTime,
}

/// An account with its role and language read into the domain's types.
#[derive(Debug, Clone)]
pub struct User {
    pub id: UserId,
    pub email: String,
    pub name: String,
    pub password_hash: String,
    pub role: Role,
    pub member_id: Option<MemberId>,
    pub supplier_id: Option<SupplierId>,
    pub language: Language,
    pub active: bool,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
    /// When the account joined its organisation.
    pub joined_at: NaiveDateTime,
}

impl TryFrom<UserRow> for User {
    type Error = Corrupt;

    fn try_from(row: UserRow) -> Result<Self, Corrupt> {
        let read = RowReader::new("users", row.id);
        Ok(User {
            role: read.named("role", &row.role, Role::parse)?,
            language: read.named("language", &row.language, Language::parse)?,
            id: row.id,
            email: row.email,
            name: row.name,
            password_hash: row.password_hash,
            member_id: row.member_id,
            supplier_id: row.supplier_id,
            active: row.active,
            created_at: row.created_at,
            updated_at: row.updated_at,
            joined_at: row.joined_at,
        })
    }
}

#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = users)]
pub struct NewUser<'a> {
    pub email: &'a str,
    pub name: &'a str,
    pub password_hash: &'a str,
    pub role: &'a str,
    pub member_id: Option<MemberId>,
    pub supplier_id: Option<SupplierId>,
    pub language: &'a str,
    pub active: bool,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

#[derive(Debug, Clone, AsChangeset)]
#[diesel(table_name = users)]
pub struct UserChanges<'a> {
    pub name: &'a str,
    pub role: &'a str,
    pub member_id: Option<MemberId>,
    pub supplier_id: Option<SupplierId>,
    pub language: &'a str,
    pub active: bool,
    pub updated_at: NaiveDateTime,
}

pub fn find(conn: &mut DbConnection, id: UserId) -> Result<Option<User>, Error> {
    typed_one(
        users::table
            .find(id)
            .select(UserRow::as_select())
            .first(conn)
            .optional()?,
    )
}

pub fn find_by_email(conn: &mut DbConnection, email: &str) -> Result<Option<User>, Error> {
    typed_one(
        users::table
            .filter(users::email.eq(email))
            .select(UserRow::as_select())
            .first(conn)
            .optional()?,
    )
}

pub fn list(conn: &mut DbConnection) -> Result<Vec<User>, Error> {
    typed(
        users::table
            .order((users::role.asc(), users::email.asc()))
            .select(UserRow::as_select())
            .load(conn)?,
    )
}

/// The accounts of one member organisation (buyers), active or not, by name.
pub fn of_member(conn: &mut DbConnection, member: MemberId) -> Result<Vec<User>, Error> {
    typed(
        users::table
            .filter(users::member_id.eq(member))
            .order(users::name.asc())
            .select(UserRow::as_select())
            .load(conn)?,
    )
}

/// The active accounts of a member organisation or a supplier: who gets its emails.
pub fn active_of(
    conn: &mut DbConnection,
    member: Option<MemberId>,
    supplier: Option<SupplierId>,
) -> Result<Vec<User>, Error> {
    let mut query = users::table
        .filter(users::active.eq(true))
        .order(users::id.asc())
        .select(UserRow::as_select())
        .into_boxed();
    match (member, supplier) {
        (Some(m), _) => query = query.filter(users::member_id.eq(m)),
        (None, Some(s)) => query = query.filter(users::supplier_id.eq(s)),
        (None, None) => return Ok(Vec::new()),
    }
    typed(query.load(conn)?)
}

pub fn insert(conn: &mut DbConnection, user: &NewUser<'_>) -> QueryResult<UserId> {
    crate::insert_returning_id!(
        conn,
        diesel::insert_into(users::table).values((user, users::joined_at.eq(user.created_at))),
        users::id
    )
}

/// Marks the account as having joined its (new) organisation now.
pub fn set_joined(conn: &mut DbConnection, id: UserId, now: NaiveDateTime) -> QueryResult<usize> {
    diesel::update(users::table.find(id))
        .set(users::joined_at.eq(now))
        .execute(conn)
}

pub fn update(
    conn: &mut DbConnection,
    id: UserId,
    changes: &UserChanges<'_>,
) -> QueryResult<usize> {
    diesel::update(users::table.find(id))
        .set(changes)
        .execute(conn)
}

pub fn set_language(conn: &mut DbConnection, id: UserId, language: Language) -> QueryResult<usize> {
    diesel::update(users::table.find(id))
        .set(users::language.eq(language.as_str()))
        .execute(conn)
}

pub fn set_password(conn: &mut DbConnection, id: UserId, hash: &str) -> QueryResult<usize> {
    diesel::update(users::table.find(id))
        .set(users::password_hash.eq(hash))
        .execute(conn)
}

pub fn count(conn: &mut DbConnection) -> QueryResult<i64> {
    users::table.count().get_result(conn)
}

/// The active buyers of every member that has (`ordered`) or has not (`!ordered`) an
/// active line in a lot.
pub fn buyers_by_lines(
    conn: &mut DbConnection,
    lot: LotId,
    ordered: bool,
) -> Result<Vec<User>, Error> {
    use super::schema::order_lines;
    let ordering = order_lines::table
        .filter(order_lines::lot_id.eq(lot))
        .filter(order_lines::cancelled_at.is_null())
        .select(order_lines::member_id.nullable());
    let query = users::table
        .filter(users::active.eq(true))
        .filter(users::member_id.is_not_null())
        .order((users::member_id.asc(), users::id.asc()))
        .select(UserRow::as_select())
        .into_boxed();
    let query = if ordered {
        query.filter(users::member_id.eq_any(ordering))
    } else {
        query.filter(users::member_id.ne_all(ordering))
    };
    typed(query.load(conn)?)
}

/// A request to give an account the staff role, waiting for a second staff member.
#[derive(Debug, Clone, Queryable)]
pub struct StaffGrant {
    pub user_id: UserId,
    pub requested_by: UserId,
    pub requested_at: NaiveDateTime,
}

/// Asks for the staff role for an account (replacing an earlier request).
pub fn request_staff(
    conn: &mut DbConnection,
    user: UserId,
    by: UserId,
    now: NaiveDateTime,
) -> QueryResult<()> {
    use super::schema::staff_grants;
    diesel::delete(staff_grants::table.find(user)).execute(conn)?;
    diesel::insert_into(staff_grants::table)
        .values((
            staff_grants::user_id.eq(user),
            staff_grants::requested_by.eq(by),
            staff_grants::requested_at.eq(now),
        ))
        .execute(conn)
        .map(|_| ())
}

/// Removes the request; answers whether there was one.
pub fn withdraw_staff(conn: &mut DbConnection, user: UserId) -> QueryResult<bool> {
    use super::schema::staff_grants;
    diesel::delete(staff_grants::table.find(user))
        .execute(conn)
        .map(|n| n == 1)
}

/// Every waiting request for the staff role.
pub fn staff_grants(conn: &mut DbConnection) -> QueryResult<Vec<StaffGrant>> {
    use super::schema::staff_grants;
    staff_grants::table
        .order(staff_grants::user_id.asc())
        .select((
            staff_grants::user_id,
            staff_grants::requested_by,
            staff_grants::requested_at,
        ))
        .load(conn)
}

pub fn staff_grant(conn: &mut DbConnection, user: UserId) -> QueryResult<Option<StaffGrant>> {
    use super::schema::staff_grants;
    staff_grants::table
        .find(user)
        .select((
            staff_grants::user_id,
            staff_grants::requested_by,
            staff_grants::requested_at,
        ))
        .first(conn)
        .optional()
}

/// Whether the account administers its member.
pub fn is_member_admin(conn: &mut DbConnection, user: UserId) -> QueryResult<bool> {
    use super::schema::member_admins;
    member_admins::table
        .find(user)
        .count()
        .get_result::<i64>(conn)
        .map(|n| n > 0)
}

/// Makes the account an administrator of its member, or no longer one.
pub fn set_member_admin(
    conn: &mut DbConnection,
    user: UserId,
    admin: bool,
    by: UserId,
    now: NaiveDateTime,
) -> QueryResult<()> {
    use super::schema::member_admins;
    diesel::delete(member_admins::table.find(user)).execute(conn)?;
    if admin {
        diesel::insert_into(member_admins::table)
            .values((
                member_admins::user_id.eq(user),
                member_admins::granted_by.eq(by),
                member_admins::granted_at.eq(now),
            ))
            .execute(conn)?;
    }
    Ok(())
}

/// The administrators among the given accounts.
pub fn member_admins_among(conn: &mut DbConnection, ids: &[UserId]) -> QueryResult<Vec<UserId>> {
    use super::schema::member_admins;
    member_admins::table
        .filter(member_admins::user_id.eq_any(ids))
        .select(member_admins::user_id)
        .load(conn)
}

pub fn set_active(
    conn: &mut DbConnection,
    id: UserId,
    active: bool,
    now: NaiveDateTime,
) -> QueryResult<usize> {
    diesel::update(users::table.find(id))
        .set((users::active.eq(active), users::updated_at.eq(now)))
        .execute(conn)
}
