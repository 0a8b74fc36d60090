//! Member administrators: buyers whom staff trusted with their own organisation. They manage
//! its delivery sites and invite or deactivate its buyers — never another organisation's,
//! never a role other than buyer. Staff keep full control and grant or withdraw the right.

use super::accounts::end_sessions;
use super::{operation_error, record, Account, Actor, Ctx, Denied, ReadError, StoreError};
use crate::db::orgs::{DeliverySite, Member};
use crate::db::{self, orgs, users, DbConnection};
use crate::domain::account::Role;
use crate::domain::audit::AuditAction;
use crate::domain::ids::{MemberId, UserId};

/// The member this actor may manage: any for staff (`None`), its own for a member
/// administrator, none for anyone else.
pub fn managed_member(
    conn: &mut DbConnection,
    actor: &Actor,
) -> Result<Option<MemberId>, ReadError> {
    match actor.role {
        Role::Staff => Ok(None),
        Role::Buyer if users::is_member_admin(conn, actor.id)? => Ok(Some(actor.member()?)),
        _ => Err(Denied::Forbidden.into()),
    }
}

/// Whether this actor may manage the given member's sites and buyers.
pub fn may_manage(
    conn: &mut DbConnection,
    actor: &Actor,
    member: MemberId,
) -> Result<(), ReadError> {
    match managed_member(conn, actor)? {
        None => Ok(()),
        Some(own) if own == member => Ok(()),
        Some(_) => Err(Denied::NotFound.into()),
    }
}

#[derive(Debug, thiserror::Error)]
pub enum MemberAdminError {
    #[error("not a buyer of a member")]
    NotABuyer,
    #[error("one cannot deactivate oneself")]
    SelfLockout,
    #[error(transparent)]
    Denied(Denied),
    #[error(transparent)]
    Store(StoreError),
}
operation_error!(MemberAdminError);
super::from_read_error!(MemberAdminError);

/// Staff make a buyer the administrator of its member, or withdraw it.
pub fn set_admin(
    conn: &mut DbConnection,
    ctx: &Ctx,
    actor: &Actor,
    user: UserId,
    admin: bool,
) -> Result<(), MemberAdminError> {
    actor.require(Role::Staff)?;
    db::transaction(conn, |conn| {
        let account = users::find(conn, user)?.ok_or(Denied::NotFound)?;
        if account.role != Role::Buyer || account.member_id.is_none() {
            return Err(MemberAdminError::NotABuyer);
        }
        users::set_member_admin(conn, user, admin, actor.id, ctx.now.naive_utc())?;
        let action = if admin {
            AuditAction::MemberAdminGranted
        } else {
            AuditAction::MemberAdminWithdrawn
        };
        record(
            conn,
            ctx,
            Some(actor.id),
            action,
            None,
            ("user", user),
            &account.email,
        )?;
        Ok(())
    })
}

/// What a member administrator manages.
pub struct Managed {
    pub member: Member,
    pub sites: Vec<DeliverySite>,
    pub buyers: Vec<Account>,
    pub admins: Vec<UserId>,
}

pub fn managed(conn: &mut DbConnection, actor: &Actor) -> Result<Managed, ReadError> {
    let member = managed_member(conn, actor)?.ok_or(Denied::NotFound)?;
    let buyers: Vec<Account> = users::list(conn)?
        .into_iter()
        .filter(|u| u.member_id == Some(member))
        .collect();
    let ids: Vec<UserId> = buyers.iter().map(|u| u.id).collect();
    Ok(Managed {
        member: orgs::find_member(conn, member)?.ok_or(Denied::NotFound)?,
        sites: orgs::sites_of(conn, member)?,
        admins: users::member_admins_among(conn, &ids)?,
        buyers,
    })
}

/// A member administrator deactivates or reactivates a buyer of its own member; a
/// deactivated account's sessions and links end at once.
pub fn set_colleague_active(
    conn: &mut DbConnection,
    ctx: &Ctx,
    actor: &Actor,
    user: UserId,
    active: bool,
) -> Result<(), MemberAdminError> {
    let now = ctx.now.naive_utc();
    db::transaction(conn, |conn| {
        let account = users::find(conn, user)?.ok_or(Denied::NotFound)?;
        let Some(member) = account.member_id.filter(|_| account.role == Role::Buyer) else {
            return Err(Denied::NotFound.into());
        };
        may_manage(conn, actor, member)?;
        if user == actor.id {
            return Err(MemberAdminError::SelfLockout);
        }
        users::set_active(conn, user, active, now)?;
        if !active {
            end_sessions(conn, user, now, None)?;
            db::outbox::use_all_tokens_of(conn, user, now)?;
        }
        record(
            conn,
            ctx,
            Some(actor.id),
            AuditAction::UserChanged,
            None,
            ("user", user),
            &format!("{} active={active} by member administrator", account.email),
        )?;
        Ok(())
    })
}
