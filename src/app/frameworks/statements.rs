//! Each member's statement when a framework ends, and the end notice to the supplier.
use super::Agreement;
use crate::app::{Ctx, StoreError};
use crate::db::lots::Lot;
use crate::db::orgs;
use crate::db::DbConnection;
use crate::domain::ids::MemberId;
use crate::mail::notify;
use std::collections::HashMap;

/// Each member's statement for the framework, and the end notice to the supplier.
pub(super) fn statements(
    conn: &mut DbConnection,
    ctx: &Ctx,
    lot: &Lot,
    agreement: &Agreement,
    reason: Option<&str>,
) -> Result<(), StoreError> {
    let names: HashMap<MemberId, String> = orgs::list_members(conn)?
        .into_iter()
        .map(|m| (m.id, m.name))
        .collect();
    // The same figures as each member's overview shows for the framework.
    let members = crate::app::overview::framework_spends(conn, lot.id)?
        .into_iter()
        .map(|(id, spend)| notify::MemberStatement {
            member: id,
            name: names.get(&id).cloned().unwrap_or_default(),
            spend,
        })
        .collect::<Vec<_>>();
    notify::framework_ended(
        conn,
        &ctx.mail,
        lot,
        agreement.supplier_id,
        &members,
        reason,
        ctx.now.naive_utc(),
    )?;
    Ok(())
}
