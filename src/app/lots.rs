//! The lot list as each user may see it, and the read models pages are built from.

use super::{Actor, ReadError};
use crate::db::{bundles, lots, DbConnection};

// The read models pages are built from.
pub use crate::db::award::{LineResult, MemberResult, ResultLine};
pub use crate::db::lots::{Lot, LotAtGlance};
pub use crate::db::orders::{OrderLineRow, OrderLineView};
pub use crate::db::orgs::DeliverySite;
pub use crate::db::quotes::QuoteRow;
use crate::domain::account::Role;

pub struct ListedLot {
    pub lot: Lot,
    pub total: u64,
    pub members: u64,
}

/// The lots this user may see, with their totals.
pub fn list(conn: &mut DbConnection, actor: &Actor) -> Result<Vec<ListedLot>, ReadError> {
    let found = match actor.role {
        Role::Staff => lots::list_all(conn)?,
        Role::Buyer => lots::list_for_members(conn)?,
        Role::Supplier => lots::list_for_supplier(conn, actor.supplier()?)?,
    };
    let mut totals = bundles::all_totals(conn)?;
    Ok(found
        .into_iter()
        .map(|lot| {
            let (total, members) = totals.remove(&lot.id).unwrap_or_default();
            ListedLot {
                lot,
                total,
                members,
            }
        })
        .collect())
}
