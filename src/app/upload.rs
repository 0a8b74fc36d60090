//! A buyer's many order lines at once from a CSV file: a preview that names every problem by
//! its line, then all lines stored in one transaction or none. The same file twice stores
//! its lines once.

use super::{from_read_error, operation_error, record, Actor, Ctx, Denied, StoreError};
use crate::db::lots::{self, Lot};
use crate::db::orders;
use crate::db::orgs;
use crate::db::{self, bundles, DbConnection};
use crate::domain::audit::AuditAction;
use crate::domain::idempotency::IdempotencyKey;
use crate::domain::ids::{LotId, MemberId};
use crate::domain::lot::FieldError;
use crate::domain::quote::sha256_hex;
use crate::domain::upload::{self, FileError, SiteChoice, UploadLine};

#[derive(Debug, thiserror::Error)]
pub enum UploadError {
    #[error("the file cannot be read as orders")]
    File(FileError),
    #[error("lines of the file have mistakes")]
    Lines(Vec<UploadLine>),
    #[error("the lot takes no orders any more")]
    Closed,
    /// The upload would take the lot past what the pricing engine prices.
    #[error("the bundle would grow too large")]
    TooLarge(FieldError),
    #[error(transparent)]
    Denied(Denied),
    #[error(transparent)]
    Store(StoreError),
}
operation_error!(UploadError);
from_read_error!(UploadError);

/// What an upload would add.
pub struct UploadPreview {
    pub lot: Lot,
    pub lines: Vec<UploadLine>,
    /// Site names by id, for the preview's table.
    pub sites: Vec<SiteChoice>,
    pub added_quantity: u64,
    pub own_total_after: u64,
    pub bundle_total_after: u64,
    /// The same file was stored before: confirming adds nothing.
    pub already_uploaded: bool,
}

/// The member's active sites as an upload names them.
pub(crate) fn choices(
    conn: &mut DbConnection,
    member: MemberId,
) -> Result<Vec<SiteChoice>, StoreError> {
    Ok(orgs::sites_of(conn, member)?
        .into_iter()
        .filter(|s| s.active)
        .map(|s| SiteChoice {
            id: s.id,
            name: s.name,
            code: s.code,
        })
        .collect())
}

/// The file's digest, the same whichever line breaks the browser sent it with.
pub(crate) fn digest(text: &str) -> String {
    sha256_hex(&text.replace("\r\n", "\n"))
}

fn read(
    conn: &mut DbConnection,
    ctx: &Ctx,
    actor: &Actor,
    lot_id: LotId,
    text: &str,
) -> Result<(Lot, MemberId, Vec<SiteChoice>, Vec<UploadLine>), UploadError> {
    let member = actor.member()?;
    let lot = super::access::visible(conn, actor, lot_id)?;
    if !lot.state().takes_orders_at(ctx.now) {
        return Err(UploadError::Closed);
    }
    let sites = choices(conn, member)?;
    let lines = upload::read(text, &sites, lot.order_increment).map_err(UploadError::File)?;
    Ok((lot, member, sites, lines))
}

/// Reads and checks the file without storing anything.
pub fn preview(
    conn: &mut DbConnection,
    ctx: &Ctx,
    actor: &Actor,
    lot_id: LotId,
    text: &str,
) -> Result<UploadPreview, UploadError> {
    let (lot, member, sites, lines) = read(conn, ctx, actor, lot_id, text)?;
    let added: u64 = lines
        .iter()
        .filter_map(|l| l.input.as_ref().map(|i| i.quantity))
        .sum();
    let (own, _) = bundles::member_totals(conn, lot_id, member)?;
    let (bundle, _) = bundles::totals(conn, lot_id)?;
    let digest = digest(text);
    let already_uploaded = match lines.first() {
        Some(first) => orders::find_by_idempotency_key(
            conn,
            lot_id,
            member,
            IdempotencyKey::of_file_line(&digest, first.line).as_str(),
        )?
        .is_some(),
        None => false,
    };
    Ok(UploadPreview {
        lot,
        lines,
        sites,
        added_quantity: added,
        own_total_after: own + added,
        bundle_total_after: bundle + added,
        already_uploaded,
    })
}

/// Stores every line of the file in one transaction, or none if any line is wrong; answers
/// how many lines were added (0 when the same file was stored before).
pub fn store(
    conn: &mut DbConnection,
    ctx: &Ctx,
    actor: &Actor,
    lot_id: LotId,
    text: &str,
) -> Result<usize, UploadError> {
    let (lot, member, _, lines) = read(conn, ctx, actor, lot_id, text)?;
    if lines
        .iter()
        .any(|l| !l.errors.is_empty() || l.input.is_none() || l.site.is_none())
    {
        return Err(UploadError::Lines(lines));
    }
    let digest = digest(text);
    let keys: Vec<IdempotencyKey> = lines
        .iter()
        .map(|l| IdempotencyKey::of_file_line(&digest, l.line))
        .collect();
    let now = ctx.now.naive_utc();
    let stored = db::transaction(conn, |conn| {
        if !lots::lock_open_for_orders(conn, lot_id, now)? {
            return Err(UploadError::Closed);
        }
        if orders::find_by_idempotency_key(conn, lot_id, member, keys[0].as_str())?.is_some() {
            return Ok(0);
        }
        let new_lines: Vec<orders::NewLine<'_>> = lines
            .iter()
            .zip(&keys)
            .filter_map(|(l, key)| {
                Some(orders::NewLine {
                    lot: lot_id,
                    member,
                    site: l.site?,
                    input: l.input.as_ref()?,
                    idempotency_key: key.as_str(),
                    placed_by: actor.id,
                    now,
                })
            })
            .collect();
        let change = orders::insert_many(conn, &new_lines)?;
        let quantity: u64 = new_lines.iter().map(|l| l.input.quantity).sum();
        record(
            conn,
            ctx,
            Some(actor.id),
            AuditAction::OrderUploaded,
            Some(lot_id),
            ("lot", lot_id),
            &format!(
                "lines={} quantity={quantity} sha256={digest}",
                new_lines.len()
            ),
        )?;
        let email = crate::mail::notify::OrdersUploadedEmail {
            lot: &lot,
            lines: new_lines.len(),
            quantity,
        };
        crate::mail::notify::orders_uploaded(conn, &ctx.mail, actor.recipient(), &email, now)?;
        let counted = match change {
            Some(change) => orders::count_into_lot(conn, &change)?,
            None => true,
        };
        if !counted {
            return Err(UploadError::TooLarge(FieldError::new(
                "quantity",
                "error.bundle_quantity",
            )));
        }
        Ok(new_lines.len())
    });
    match stored {
        // The same file raced in from a second request: that one stored the lines.
        Err(e) if db::is_unique_violation(&e) => Ok(0),
        other => other,
    }
}

/// The template a buyer fills in: the member's active sites with their codes.
pub fn template(
    conn: &mut DbConnection,
    actor: &Actor,
    lot_id: LotId,
) -> Result<String, UploadError> {
    let member = actor.member()?;
    super::access::visible(conn, actor, lot_id)?;
    let mut csv = crate::export::Csv::new(&[
        "Lieferort",
        "Standortkennung",
        "Menge",
        "Preisobergrenze",
        "Referenz",
    ]);
    for site in choices(conn, member)? {
        csv.row([
            site.name,
            site.code,
            String::new(),
            String::new(),
            String::new(),
        ]);
    }
    Ok(csv.into_string())
}
