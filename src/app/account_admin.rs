//! Staff manage accounts: name, role, organisation, language, active or not. Nobody sets
//! another person's password (accounts get theirs through the emailed link), the staff role
//! takes effect only when a second staff member confirms it, and a supplier's users learn of
//! every account added to their company.

use super::accounts::end_sessions;
use super::passwords::{issue_link, INVITATION_DAYS};
use super::{operation_error, record, Account, Actor, Ctx, Denied, ReadError, StoreError};
use crate::db::orgs::{Member, Supplier};
use crate::db::users::StaffGrant;
use crate::db::{self, orgs, users, DbConnection};
use crate::domain::account::{EmailAddress, Language, Role};
use crate::domain::audit::AuditAction;
use crate::domain::ids::{MemberId, SupplierId, UserId};
use chrono::Duration;

/// What staff enter for an account.
#[derive(Debug, Clone, Default)]
pub struct AccountForm {
    pub email: String,
    pub name: String,
    pub role: String,
    /// `member:<id>` or `supplier:<id>`.
    pub organisation: String,
    pub language: String,
    pub active: bool,
}

/// Why an account was not saved.
#[derive(Debug, thiserror::Error)]
pub enum AccountError {
    /// Message keys of the form's mistakes.
    #[error("the account form has mistakes")]
    Invalid(Vec<&'static str>),
    #[error(transparent)]
    Denied(Denied),
    #[error(transparent)]
    Store(StoreError),
}
operation_error!(AccountError);
super::from_read_error!(AccountError);

/// What saving did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Saved {
    /// Changes stored.
    Changed,
    /// A new account; the invitation went to its address.
    Invited(UserId),
    /// Stored, and the staff role of this account waits for a second staff member.
    StaffRequested(UserId),
}

struct Checked {
    email: String,
    name: String,
    role: Role,
    member_id: Option<MemberId>,
    supplier_id: Option<SupplierId>,
    language: Language,
}

fn check(conn: &mut DbConnection, form: &AccountForm) -> Result<Checked, AccountError> {
    let mut errors = Vec::new();
    let email = EmailAddress::parse(&form.email);
    if email.is_none() {
        errors.push("error.email");
    }
    let name = form.name.trim().to_string();
    if name.is_empty() || name.chars().count() > 200 {
        errors.push("error.name");
    }
    let role = Role::parse(&form.role);
    if role.is_none() {
        errors.push("error.role");
    }
    let language = Language::parse(&form.language).unwrap_or_default();
    let (kind, org) = form.organisation.split_once(':').unwrap_or(("", ""));
    let org: Option<i64> = org.parse().ok();
    let (member_id, supplier_id) = match (role, kind, org) {
        (Some(Role::Staff), _, _) | (None, _, _) => (None, None),
        (Some(Role::Buyer), "member", Some(id))
            if orgs::find_member(conn, MemberId(id))?.is_some() =>
        {
            (Some(MemberId(id)), None)
        }
        (Some(Role::Supplier), "supplier", Some(id))
            if orgs::find_supplier(conn, SupplierId(id))?.is_some() =>
        {
            (None, Some(SupplierId(id)))
        }
        (Some(_), _, _) => {
            errors.push("error.organisation");
            (None, None)
        }
    };
    match (email, role) {
        (Some(email), Some(role)) if errors.is_empty() => Ok(Checked {
            email: email.as_str().to_string(),
            name,
            role,
            member_id,
            supplier_id,
            language,
        }),
        _ => Err(AccountError::Invalid(errors)),
    }
}

/// The accounts page: every account, the organisations to choose from and the waiting
/// staff-role requests.
pub struct Overview {
    pub accounts: Vec<Account>,
    pub members: Vec<Member>,
    pub suppliers: Vec<Supplier>,
    pub grants: Vec<StaffGrant>,
    /// Buyers who administer their member.
    pub admins: Vec<UserId>,
}

pub fn overview(conn: &mut DbConnection, actor: &Actor) -> Result<Overview, ReadError> {
    actor.require(Role::Staff)?;
    let accounts = users::list(conn)?;
    let ids: Vec<UserId> = accounts.iter().map(|a| a.id).collect();
    Ok(Overview {
        admins: users::member_admins_among(conn, &ids)?,
        accounts,
        members: orgs::list_members(conn)?,
        suppliers: orgs::list_suppliers(conn)?,
        grants: users::staff_grants(conn)?,
    })
}

pub fn account(conn: &mut DbConnection, actor: &Actor, id: UserId) -> Result<Account, ReadError> {
    actor.require(Role::Staff)?;
    Ok(users::find(conn, id)?.ok_or(Denied::NotFound)?)
}

/// Asks, as `actor`, for the staff role for an account; a second staff member confirms.
fn request_staff_role(
    conn: &mut DbConnection,
    ctx: &Ctx,
    actor: &Actor,
    id: UserId,
    email: &str,
) -> Result<(), StoreError> {
    users::request_staff(conn, id, actor.id, ctx.now.naive_utc())?;
    record(
        conn,
        ctx,
        Some(actor.id),
        AuditAction::UserStaffRequested,
        None,
        ("user", id),
        email,
    )?;
    Ok(())
}

/// Emails a new account the link to set its password.
fn invite(conn: &mut DbConnection, ctx: &Ctx, account: &Account) -> Result<(), StoreError> {
    Ok(issue_link(
        conn,
        &ctx.mail,
        account,
        crate::domain::account::LinkPurpose::Invitation,
        Duration::days(INVITATION_DAYS),
        ctx.now.naive_utc(),
    )?)
}

/// Tells a supplier's existing users about an account that joined their company.
fn announce_to_supplier(
    conn: &mut DbConnection,
    ctx: &Ctx,
    added: &Account,
) -> Result<(), StoreError> {
    if let Some(supplier) = added.supplier_id {
        let colleagues: Vec<Account> = users::active_of(conn, None, Some(supplier))?
            .into_iter()
            .filter(|u| u.id != added.id)
            .collect();
        crate::mail::notify::supplier_user_added(
            conn,
            &ctx.mail,
            &colleagues,
            added,
            ctx.now.naive_utc(),
        )?;
    }
    Ok(())
}

fn describe(
    email: &str,
    role: Role,
    member_id: Option<MemberId>,
    supplier_id: Option<SupplierId>,
    active: bool,
) -> String {
    format!(
        "{email} role={} member={member_id:?} supplier={supplier_id:?} active={active}",
        role.as_str()
    )
}

/// Creates an account and emails it the link to set its password. A staff account is
/// created inactive and invited only once a second staff member confirms the role.
pub fn create(
    conn: &mut DbConnection,
    ctx: &Ctx,
    actor: &Actor,
    form: &AccountForm,
) -> Result<Saved, AccountError> {
    // Staff create any account; a member administrator invites buyers of its own member.
    let by_member_admin = actor.role != Role::Staff;
    if by_member_admin {
        super::member_admin::managed_member(conn, actor)?;
    }
    let checked = check(conn, form)?;
    if by_member_admin {
        match (checked.role, checked.member_id) {
            (Role::Buyer, Some(member)) => super::member_admin::may_manage(conn, actor, member)?,
            _ => return Err(Denied::Forbidden.into()),
        }
    }
    let now = ctx.now.naive_utc();
    let staff = checked.role == Role::Staff;
    let created = db::transaction(conn, |conn| {
        let id = users::insert(
            conn,
            &users::NewUser {
                email: &checked.email,
                name: &checked.name,
                // "!" is no password hash: nobody signs in before setting one.
                password_hash: "!invited",
                role: checked.role.as_str(),
                member_id: checked.member_id,
                supplier_id: checked.supplier_id,
                language: checked.language.as_str(),
                active: !staff,
                created_at: now,
                updated_at: now,
            },
        )?;
        record(
            conn,
            ctx,
            Some(actor.id),
            AuditAction::UserCreated,
            None,
            ("user", id),
            &describe(
                &checked.email,
                checked.role,
                checked.member_id,
                checked.supplier_id,
                !staff,
            ),
        )?;
        let account = users::find(conn, id)?.ok_or(Denied::NotFound)?;
        if staff {
            request_staff_role(conn, ctx, actor, id, &checked.email)?;
            return Ok(Saved::StaffRequested(id));
        }
        invite(conn, ctx, &account)?;
        announce_to_supplier(conn, ctx, &account)?;
        Ok::<_, AccountError>(Saved::Invited(id))
    });
    match created {
        Err(e) if db::is_unique_violation(&e) => {
            Err(AccountError::Invalid(vec!["error.email_taken"]))
        }
        other => other,
    }
}

/// Changes an account. Asking for the staff role stores the other changes and waits for a
/// second staff member; deactivating it, or moving it to another organisation or role, ends
/// its sessions and open password links.
pub fn update(
    conn: &mut DbConnection,
    ctx: &Ctx,
    actor: &Actor,
    id: UserId,
    form: &AccountForm,
) -> Result<Saved, AccountError> {
    actor.require(Role::Staff)?;
    let checked = check(conn, form)?;
    let now = ctx.now.naive_utc();
    db::transaction(conn, |conn| {
        let before = users::find(conn, id)?.ok_or(Denied::NotFound)?;
        let pending = users::staff_grant(conn, id)?;
        let wants_staff = checked.role == Role::Staff;
        let is_staff = before.role == Role::Staff && pending.is_none();
        if id == actor.id && (!form.active || !wants_staff) {
            return Err(AccountError::Invalid(vec!["error.self_lockout"]));
        }
        // Only a second staff member's confirmation makes an account staff.
        let request_staff = wants_staff && !is_staff;
        let (role, member_id, supplier_id, active) = if request_staff {
            (
                before.role,
                before.member_id,
                before.supplier_id,
                // An account created for the staff role stays inactive until confirmed.
                before.active && form.active,
            )
        } else {
            (
                checked.role,
                checked.member_id,
                checked.supplier_id,
                form.active,
            )
        };
        if !wants_staff && pending.is_some() {
            users::withdraw_staff(conn, id)?;
        }
        users::update(
            conn,
            id,
            &users::UserChanges {
                name: &checked.name,
                role: role.as_str(),
                member_id,
                supplier_id,
                language: checked.language.as_str(),
                active,
                updated_at: now,
            },
        )?;
        let moved = role != before.role
            || member_id != before.member_id
            || supplier_id != before.supplier_id;
        if moved {
            users::set_joined(conn, id, now)?;
        }
        if moved || (before.active && !active) {
            end_sessions(conn, id, now, None)?;
            db::outbox::use_all_tokens_of(conn, id, now)?;
        }
        record(
            conn,
            ctx,
            Some(actor.id),
            AuditAction::UserChanged,
            None,
            ("user", id),
            &describe(&before.email, role, member_id, supplier_id, active),
        )?;
        if moved && supplier_id.is_some() {
            let account = users::find(conn, id)?.ok_or(Denied::NotFound)?;
            announce_to_supplier(conn, ctx, &account)?;
        }
        if request_staff {
            if pending.is_none_or(|p| p.requested_by != actor.id) {
                request_staff_role(conn, ctx, actor, id, &before.email)?;
            }
            return Ok(Saved::StaffRequested(id));
        }
        Ok(Saved::Changed)
    })
}

/// A second staff member confirms the staff role someone else asked for: the account
/// becomes staff (and active), a new account gets its invitation, old sessions end.
pub fn confirm_staff(
    conn: &mut DbConnection,
    ctx: &Ctx,
    actor: &Actor,
    id: UserId,
) -> Result<(), AccountError> {
    actor.require(Role::Staff)?;
    let now = ctx.now.naive_utc();
    db::transaction(conn, |conn| {
        let account = users::find(conn, id)?.ok_or(Denied::NotFound)?;
        let Some(grant) = users::staff_grant(conn, id)? else {
            return Err(AccountError::Invalid(vec!["error.no_grant"]));
        };
        if grant.requested_by == actor.id || id == actor.id {
            return Err(AccountError::Invalid(vec!["error.grant_same_person"]));
        }
        if !users::withdraw_staff(conn, id)? {
            return Err(AccountError::Invalid(vec!["error.no_grant"]));
        }
        users::update(
            conn,
            id,
            &users::UserChanges {
                name: &account.name,
                role: Role::Staff.as_str(),
                member_id: None,
                supplier_id: None,
                language: account.language.as_str(),
                active: true,
                updated_at: now,
            },
        )?;
        users::set_joined(conn, id, now)?;
        end_sessions(conn, id, now, None)?;
        record(
            conn,
            ctx,
            Some(actor.id),
            AuditAction::UserStaffGranted,
            None,
            ("user", id),
            &format!(
                "requested_by={} confirmed_by={}",
                grant.requested_by, actor.id
            ),
        )?;
        if account.password_hash.starts_with('!') {
            invite(conn, ctx, &account)?;
        }
        Ok(())
    })
}
