//! Many call-offs at once from a CSV file on a running framework: each line priced in the
//! file's order on a copy of the ledger for the preview, then all stored in one transaction
//! (under the lot's row lock, as single call-offs are) or none; the same file once.
use super::place::{mail_calloff, next_at, running_terms, store_credits, store_positions};
use super::{member_key, replay, with_lines, Agreement, CallOffError};
use crate::app::{record, Actor, Ctx, Denied, ReadError, StoreError};
use crate::db::frameworks;
use crate::db::lots::{self, Lot};
use crate::db::orgs::{self, DeliverySite};
use crate::db::{self, DbConnection};
use crate::domain::audit::AuditAction;
use crate::domain::framework::{CallOff, Priced, Refusal};
use crate::domain::idempotency::IdempotencyKey;
use crate::domain::ids::LotId;

/// One call-off of an upload, as previewed or stored.
pub struct UploadedCallOff {
    pub line: u64,
    pub site: DeliverySite,
    pub quantity: u64,
    pub reference: String,
    pub priced: Priced,
}

/// Why an upload of call-offs was refused as a whole.
#[derive(Debug, thiserror::Error)]
pub enum CallOffUploadError {
    #[error("the file cannot be read as call-offs")]
    File(crate::domain::upload::FileError),
    #[error("lines of the file have mistakes")]
    Lines(Vec<crate::domain::upload::UploadLine>),
    /// The contract refuses the call-off of this line (past the maximum, after the term).
    #[error("line {0} refused: {1:?}")]
    Refused(u64, Refusal),
    #[error(transparent)]
    CallOff(#[from] CallOffError),
}

impl From<ReadError> for CallOffUploadError {
    fn from(e: ReadError) -> Self {
        CallOffUploadError::CallOff(e.into())
    }
}

impl From<StoreError> for CallOffUploadError {
    fn from(e: StoreError) -> Self {
        CallOffUploadError::CallOff(CallOffError::Store(e))
    }
}

impl From<diesel::result::Error> for CallOffUploadError {
    fn from(e: diesel::result::Error) -> Self {
        CallOffUploadError::CallOff(e.into())
    }
}

impl From<Denied> for CallOffUploadError {
    fn from(e: Denied) -> Self {
        CallOffUploadError::CallOff(e.into())
    }
}

type Upload = (Lot, Agreement, Vec<(u64, DeliverySite, u64, String)>);

fn read_upload(
    conn: &mut DbConnection,
    ctx: &Ctx,
    actor: &Actor,
    lot: LotId,
    text: &str,
) -> Result<Upload, CallOffUploadError> {
    let member = actor.member()?;
    let (lot, terms) = running_terms(conn, actor, lot, ctx.now)?;
    let agreement = with_lines(conn, terms)?;
    let sites = crate::app::upload::choices(conn, member)?;
    let lines = crate::domain::upload::read(text, &sites, agreement.framework().order_increment)
        .map_err(CallOffUploadError::File)?;
    if lines.iter().any(|l| !l.errors.is_empty()) {
        return Err(CallOffUploadError::Lines(lines));
    }
    let mut checked = Vec::new();
    for l in &lines {
        let (Some(site), Some(input)) = (l.site, &l.input) else {
            return Err(CallOffUploadError::Lines(lines));
        };
        let site = orgs::find_site(conn, site)?.ok_or(Denied::NotFound)?;
        checked.push((l.line, site, input.quantity, input.reference.clone()));
    }
    Ok((lot, agreement, checked))
}

/// Prices the call-offs of a file one after another on a copy of the ledger: what each
/// would cost and credit, with nothing stored.
pub fn preview_upload(
    conn: &mut DbConnection,
    ctx: &Ctx,
    actor: &Actor,
    lot: LotId,
    text: &str,
) -> Result<Vec<UploadedCallOff>, CallOffUploadError> {
    let (_, agreement, lines) = read_upload(conn, ctx, actor, lot, text)?;
    let (mut ledger, rows) = replay(conn, &agreement)?;
    let at = next_at(ctx.now, rows.last());
    let member = actor.member()?;
    let mut out = Vec::new();
    for (i, (line, site, quantity, reference)) in lines.into_iter().enumerate() {
        let result = ledger.apply(&CallOff {
            id: format!("preview-{i:09}"),
            member: member_key(member),
            quantity,
            at,
        });
        let priced = result
            .outcome
            .map_err(|r| CallOffUploadError::Refused(line, r))?;
        out.push(UploadedCallOff {
            line,
            site,
            quantity,
            reference,
            priced,
        });
    }
    Ok(out)
}

/// Stores every call-off of a file in one transaction, priced one after another in the
/// file's order, or none; the same file twice stores them once. Answers how many were
/// stored.
pub fn place_upload(
    conn: &mut DbConnection,
    ctx: &Ctx,
    actor: &Actor,
    lot_id: LotId,
    text: &str,
) -> Result<usize, CallOffUploadError> {
    let member = actor.member()?;
    let (lot, agreement, lines) = read_upload(conn, ctx, actor, lot_id, text)?;
    let digest = crate::app::upload::digest(text);
    let placed = db::transaction(conn, |conn| -> Result<usize, CallOffUploadError> {
        lots::lock(conn, lot_id)?;
        let first_key = IdempotencyKey::of_file_line(&digest, lines[0].0);
        if frameworks::find_by_key(conn, lot_id, member, first_key.as_str())?.is_some() {
            return Ok(0);
        }
        if frameworks::find(conn, lot_id)?.is_none_or(|row| row.ended_at.is_some()) {
            return Err(CallOffError::NotRunning.into());
        }
        let (mut ledger, rows) = replay(conn, &agreement)?;
        let at = next_at(ctx.now, rows.last());
        let mut stored = Vec::new();
        for (line, site, quantity, reference) in &lines {
            let priced = ledger
                .price(*quantity, at)
                .map_err(|r| CallOffUploadError::Refused(*line, r))?;
            let key = IdempotencyKey::of_file_line(&digest, *line);
            let id = frameworks::insert(
                conn,
                &frameworks::NewCallOff {
                    lot: lot_id,
                    member,
                    site: site.id,
                    quantity: *quantity,
                    reference,
                    idempotency_key: key.as_str(),
                    placed_by: actor.id,
                    at: at.naive_utc(),
                    unit_price: priced.unit_price,
                    net: priced.net,
                    vat: priced.vat,
                    gross: priced.gross,
                    cumulative_quantity: priced.cumulative_quantity,
                },
            )?;
            ledger.apply(&CallOff {
                id: frameworks::contract_id(id),
                member: member_key(member),
                quantity: *quantity,
                at,
            });
            store_credits(conn, id, &priced)?;
            stored.push((id, site.clone(), *quantity, reference.clone(), priced));
        }
        store_positions(conn, lot_id, &ledger)?;
        record(
            conn,
            ctx,
            Some(actor.id),
            AuditAction::CalloffUploaded,
            Some(lot_id),
            ("lot", lot_id),
            &format!("calloffs={} sha256={digest}", stored.len()),
        )?;
        // Every call-off is confirmed, ordered and credited as if placed one by one.
        let member_name = orgs::find_member(conn, member)?
            .map(|m| m.name)
            .unwrap_or_default();
        for (id, site, quantity, reference, priced) in &stored {
            mail_calloff(
                conn,
                ctx,
                &lot,
                agreement.supplier_id,
                (member, &member_name),
                *id,
                site,
                (*quantity, reference),
                priced,
            )?;
        }
        Ok(stored.len())
    });
    match placed {
        Err(e) if db::is_unique_violation(&e) => Ok(0),
        other => other,
    }
}

impl From<crate::db::Error> for CallOffUploadError {
    fn from(e: crate::db::Error) -> Self {
        CallOffUploadError::CallOff(e.into())
    }
}

impl crate::db::AsDbError for CallOffUploadError {
    fn as_db_error(&self) -> Option<&diesel::result::Error> {
        match self {
            CallOffUploadError::CallOff(CallOffError::Store(e)) => e.as_db_error(),
            _ => None,
        }
    }
}

impl From<diesel::r2d2::PoolError> for CallOffUploadError {
    fn from(e: diesel::r2d2::PoolError) -> Self {
        CallOffUploadError::CallOff(CallOffError::Store(e.into()))
    }
}

impl From<tokio::task::JoinError> for CallOffUploadError {
    fn from(e: tokio::task::JoinError) -> Self {
        CallOffUploadError::CallOff(CallOffError::Store(e.into()))
    }
}
