//! Accounts: lookup, creation and changes.

use super::schema::users;
use super::DbConnection;
use crate::domain::account::{Language, Role};
use chrono::NaiveDateTime;
use diesel::prelude::*;

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = users)]
pub struct User {
    pub id: i64,
    pub email: String,
    pub name: String,
    pub password_hash: String,
    pub role: String,
    pub member_id: Option<i64>,
    pub supplier_id: Option<i64>,
    pub language: String,
    pub active: bool,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

impl User {
    pub fn role(&self) -> Option<Role> {
        Role::parse(&self.role)
    }

    pub fn language(&self) -> Language {
        Language::parse(&self.language).unwrap_or_default()
    }
}

#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = users)]
pub struct NewUser<'a> {
    pub email: &'a str,
    pub name: &'a str,
    pub password_hash: &'a str,
    pub role: &'a str,
    pub member_id: Option<i64>,
    pub supplier_id: Option<i64>,
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
    pub member_id: Option<i64>,
    pub supplier_id: Option<i64>,
    pub language: &'a str,
    pub active: bool,
    pub updated_at: NaiveDateTime,
}

pub fn find(conn: &mut DbConnection, id: i64) -> QueryResult<Option<User>> {
    users::table
        .find(id)
        .select(User::as_select())
        .first(conn)
        .optional()
}

pub fn find_by_email(conn: &mut DbConnection, email: &str) -> QueryResult<Option<User>> {
    users::table
        .filter(users::email.eq(email))
        .select(User::as_select())
        .first(conn)
        .optional()
}

pub fn list(conn: &mut DbConnection) -> QueryResult<Vec<User>> {
    users::table
        .order((users::role.asc(), users::email.asc()))
        .select(User::as_select())
        .load(conn)
}

/// The accounts of one member organisation (buyers), active or not, by name.
pub fn of_member(conn: &mut DbConnection, member: i64) -> QueryResult<Vec<User>> {
    users::table
        .filter(users::member_id.eq(member))
        .order(users::name.asc())
        .select(User::as_select())
        .load(conn)
}

/// The active accounts of a member organisation or a supplier: who gets its emails.
pub fn active_of(
    conn: &mut DbConnection,
    member: Option<i64>,
    supplier: Option<i64>,
) -> QueryResult<Vec<User>> {
    let mut query = users::table
        .filter(users::active.eq(true))
        .order(users::id.asc())
        .select(User::as_select())
        .into_boxed();
    match (member, supplier) {
        (Some(m), _) => query = query.filter(users::member_id.eq(m)),
        (None, Some(s)) => query = query.filter(users::supplier_id.eq(s)),
        (None, None) => return Ok(Vec::new()),
    }
    query.load(conn)
}

pub fn insert(conn: &mut DbConnection, user: &NewUser<'_>) -> QueryResult<i64> {
    crate::insert_returning_id!(
        conn,
        diesel::insert_into(users::table).values(user),
        users::id
    )
}

pub fn update(conn: &mut DbConnection, id: i64, changes: &UserChanges<'_>) -> QueryResult<usize> {
    diesel::update(users::table.find(id))
        .set(changes)
        .execute(conn)
}

pub fn set_language(conn: &mut DbConnection, id: i64, language: Language) -> QueryResult<usize> {
    diesel::update(users::table.find(id))
        .set(users::language.eq(language.as_str()))
        .execute(conn)
}

pub fn set_password(conn: &mut DbConnection, id: i64, hash: &str) -> QueryResult<usize> {
    diesel::update(users::table.find(id))
        .set(users::password_hash.eq(hash))
        .execute(conn)
}

pub fn count(conn: &mut DbConnection) -> QueryResult<i64> {
    users::table.count().get_result(conn)
}
