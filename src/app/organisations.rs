//! Staff manage the cooperative's member organisations with their delivery sites, and the
//! suppliers.

use super::{operation_error, record, Account, Actor, Ctx, Denied, ReadError, StoreError};
use crate::db::orgs::{DeliverySite, Member, Supplier};
use crate::db::{self, orgs, users, DbConnection};
use crate::domain::account::{EmailAddress, Role};
use crate::domain::audit::AuditAction;
use crate::domain::ids::{MemberId, SiteId, SupplierId};

/// An organisation's name, city and contact address as entered.
#[derive(Debug, Clone, Default)]
pub struct OrgForm {
    pub name: String,
    pub city: String,
    pub contact_email: String,
}

/// A delivery site as entered.
#[derive(Debug, Clone, Default)]
pub struct SiteForm {
    pub name: String,
    pub address: String,
    pub active: bool,
    /// The member's own code for the site (optional, at most 40 characters).
    pub code: String,
}

/// Why an organisation or site was not saved.
#[derive(Debug, thiserror::Error)]
pub enum OrgError {
    /// Message keys of the form's mistakes.
    #[error("the form has mistakes")]
    Invalid(Vec<&'static str>),
    #[error(transparent)]
    Denied(Denied),
    #[error(transparent)]
    Store(StoreError),
}
operation_error!(OrgError);
super::from_read_error!(OrgError);

struct CheckedOrg {
    name: String,
    city: String,
    email: String,
}

fn check_org(form: &OrgForm) -> Result<CheckedOrg, OrgError> {
    let mut errors = Vec::new();
    let name = form.name.trim().to_string();
    if name.is_empty() || name.chars().count() > 200 {
        errors.push("error.name");
    }
    let city = form.city.trim().to_string();
    if city.chars().count() > 200 {
        errors.push("error.too_long");
    }
    let email = form.contact_email.trim();
    let email = if email.is_empty() {
        String::new()
    } else if let Some(e) = EmailAddress::parse(email) {
        e.as_str().to_string()
    } else {
        errors.push("error.email");
        String::new()
    };
    if errors.is_empty() {
        Ok(CheckedOrg { name, city, email })
    } else {
        Err(OrgError::Invalid(errors))
    }
}

fn check_site(form: &SiteForm) -> Result<(String, String), OrgError> {
    let name = form.name.trim().to_string();
    let address = form.address.trim().to_string();
    if name.is_empty() || name.chars().count() > 200 {
        return Err(OrgError::Invalid(vec!["error.name"]));
    }
    if address.chars().count() > 500 || form.code.trim().chars().count() > 40 {
        return Err(OrgError::Invalid(vec!["error.too_long"]));
    }
    Ok((name, address))
}

/// A name already taken is a form error, not a failure.
fn or_name_taken<T>(result: Result<T, OrgError>) -> Result<T, OrgError> {
    match result {
        Err(e) if db::is_unique_violation(&e) => Err(OrgError::Invalid(vec!["error.name_taken"])),
        other => other,
    }
}

pub fn members(conn: &mut DbConnection, actor: &Actor) -> Result<Vec<Member>, ReadError> {
    actor.require(Role::Staff)?;
    Ok(orgs::list_members(conn)?)
}

/// A member with its delivery sites and buyers.
pub struct MemberData {
    pub member: Member,
    pub sites: Vec<DeliverySite>,
    pub buyers: Vec<Account>,
}

pub fn member(
    conn: &mut DbConnection,
    actor: &Actor,
    id: MemberId,
) -> Result<MemberData, ReadError> {
    actor.require(Role::Staff)?;
    let member = orgs::find_member(conn, id)?.ok_or(Denied::NotFound)?;
    Ok(MemberData {
        member,
        sites: orgs::sites_of(conn, id)?,
        buyers: users::of_member(conn, id)?,
    })
}

pub fn create_member(
    conn: &mut DbConnection,
    ctx: &Ctx,
    actor: &Actor,
    form: &OrgForm,
) -> Result<MemberId, OrgError> {
    actor.require(Role::Staff)?;
    let org = check_org(form)?;
    let now = ctx.now.naive_utc();
    or_name_taken(db::transaction(conn, |conn| {
        let id = orgs::insert_member(conn, &org.name, &org.city, &org.email, now)?;
        record(
            conn,
            ctx,
            Some(actor.id),
            AuditAction::MemberCreated,
            None,
            ("member", id),
            &org.name,
        )?;
        Ok(id)
    }))
}

pub fn update_member(
    conn: &mut DbConnection,
    ctx: &Ctx,
    actor: &Actor,
    id: MemberId,
    form: &OrgForm,
) -> Result<(), OrgError> {
    actor.require(Role::Staff)?;
    let org = check_org(form)?;
    let now = ctx.now.naive_utc();
    or_name_taken(db::transaction(conn, |conn| {
        if orgs::update_member(conn, id, &org.name, &org.city, &org.email, now)? == 0 {
            return Err(Denied::NotFound.into());
        }
        record(
            conn,
            ctx,
            Some(actor.id),
            AuditAction::MemberChanged,
            None,
            ("member", id),
            &org.name,
        )?;
        Ok(())
    }))
}

pub fn create_site(
    conn: &mut DbConnection,
    ctx: &Ctx,
    actor: &Actor,
    member: MemberId,
    form: &SiteForm,
) -> Result<(), OrgError> {
    super::member_admin::may_manage(conn, actor, member)?;
    orgs::find_member(conn, member)?.ok_or(Denied::NotFound)?;
    let (name, address) = check_site(form)?;
    let now = ctx.now.naive_utc();
    or_name_taken(db::transaction(conn, |conn| {
        let id = orgs::insert_site(conn, member, &name, &address, now)?;
        orgs::set_site_code(conn, id, form.code.trim())?;
        record(
            conn,
            ctx,
            Some(actor.id),
            AuditAction::SiteCreated,
            None,
            ("delivery_site", id),
            &name,
        )?;
        Ok(())
    }))
}

/// The member a delivery site belongs to.
pub fn site_member(
    conn: &mut DbConnection,
    actor: &Actor,
    id: SiteId,
) -> Result<MemberId, ReadError> {
    actor.require(Role::Staff)?;
    Ok(orgs::find_site(conn, id)?
        .ok_or(Denied::NotFound)?
        .member_id)
}

pub fn update_site(
    conn: &mut DbConnection,
    ctx: &Ctx,
    actor: &Actor,
    id: SiteId,
    form: &SiteForm,
) -> Result<(), OrgError> {
    if actor.role != Role::Staff {
        super::member_admin::managed_member(conn, actor)?;
    }
    let site = orgs::find_site(conn, id)?.ok_or(Denied::NotFound)?;
    super::member_admin::may_manage(conn, actor, site.member_id)?;
    let (name, address) = check_site(form)?;
    or_name_taken(db::transaction(conn, |conn| {
        orgs::update_site(conn, id, &name, &address, form.active)?;
        orgs::set_site_code(conn, id, form.code.trim())?;
        record(
            conn,
            ctx,
            Some(actor.id),
            AuditAction::SiteChanged,
            None,
            ("delivery_site", id),
            &name,
        )?;
        Ok(())
    }))
}

pub fn suppliers(conn: &mut DbConnection, actor: &Actor) -> Result<Vec<Supplier>, ReadError> {
    actor.require(Role::Staff)?;
    Ok(orgs::list_suppliers(conn)?)
}

pub fn supplier(
    conn: &mut DbConnection,
    actor: &Actor,
    id: SupplierId,
) -> Result<Supplier, ReadError> {
    actor.require(Role::Staff)?;
    Ok(orgs::find_supplier(conn, id)?.ok_or(Denied::NotFound)?)
}

/// Creates a supplier (no id) or changes one.
pub fn save_supplier(
    conn: &mut DbConnection,
    ctx: &Ctx,
    actor: &Actor,
    id: Option<SupplierId>,
    form: &OrgForm,
) -> Result<SupplierId, OrgError> {
    actor.require(Role::Staff)?;
    let org = check_org(form)?;
    let now = ctx.now.naive_utc();
    or_name_taken(db::transaction(conn, |conn| {
        let saved = match id {
            None => orgs::insert_supplier(conn, &org.name, &org.email, now)?,
            Some(id) => {
                if orgs::update_supplier(conn, id, &org.name, &org.email, now)? == 0 {
                    return Err(Denied::NotFound.into());
                }
                id
            }
        };
        let action = if id.is_some() {
            AuditAction::SupplierChanged
        } else {
            AuditAction::SupplierCreated
        };
        record(
            conn,
            ctx,
            Some(actor.id),
            action,
            None,
            ("supplier", saved),
            &org.name,
        )?;
        Ok(saved)
    }))
}
