//! Sealed quotes: a supplier submits revisions until the quote deadline and gets a receipt
//! with a digest; nobody but the submitter sees a quote's contents before the opening.

use super::{from_read_error, operation_error, record, Actor, Ctx, Denied, ReadError, StoreError};
use crate::db::lots::{self, Lot};
use crate::db::quotes::{self, QuoteRow};
use crate::db::{self, DbConnection};
use crate::domain::audit::AuditAction;
use crate::domain::ids::{LotId, QuoteId, SupplierId};
use crate::domain::lot::FieldError;
use crate::domain::pricing::{Tier, TierTable};
use crate::domain::quote::{sha256_hex, QuoteForm, QuoteInput};
use crate::mail::notify;
use rand::Rng;

/// Why a quote was refused.
#[derive(Debug, thiserror::Error)]
pub enum QuoteError {
    #[error("the quote form has mistakes")]
    Invalid(Vec<FieldError>),
    #[error("the quote deadline has passed")]
    DeadlinePassed,
    #[error(transparent)]
    Denied(Denied),
    #[error(transparent)]
    Store(StoreError),
}
operation_error!(QuoteError);
from_read_error!(QuoteError);

/// A receipt number: lot, supplier, revision and a random suffix nobody can guess.
fn receipt_number(lot: LotId, supplier: SupplierId, revision: i64) -> String {
    let suffix: u16 = rand::thread_rng().gen();
    format!("SK-{lot}-{supplier}-R{revision}-{suffix:04X}")
}

/// Submits a new revision of the supplier's quote; answers the new quote's id.
pub fn submit(
    conn: &mut DbConnection,
    ctx: &Ctx,
    actor: &Actor,
    lot_id: LotId,
    form: &QuoteForm<'_>,
) -> Result<QuoteId, QuoteError> {
    let supplier = actor.supplier()?;
    if !super::access::visible(conn, actor, lot_id)?
        .state()
        .takes_quotes_at(ctx.now)
    {
        return Err(QuoteError::DeadlinePassed);
    }
    let input = QuoteInput::parse(form).map_err(QuoteError::Invalid)?;
    db::transaction(conn, |conn| {
        // The deadline again, inside the transaction that stores the quote; the lot's row
        // is taken first so simultaneous submissions get one revision each.
        if !lots::lock(conn, lot_id)? {
            return Err(Denied::NotFound.into());
        }
        let lot = lots::find(conn, lot_id)?.ok_or(Denied::NotFound)?;
        if !lot.state().takes_quotes_at(ctx.now) {
            return Err(QuoteError::DeadlinePassed);
        }
        let revision = quotes::next_revision(conn, lot_id, supplier)?;
        let canonical = input.canonical(lot_id, supplier, revision, ctx.now);
        let digest = sha256_hex(&canonical);
        let receipt = receipt_number(lot_id, supplier, revision);
        let id = quotes::insert_quote(
            conn,
            &quotes::NewQuote {
                lot: lot_id,
                supplier,
                revision,
                input: &input,
                receipt_number: &receipt,
                digest: &digest,
                submitted_by: actor.id,
                now: ctx.now.naive_utc(),
            },
        )?;
        // The log names the receipt, never a price.
        record(
            conn,
            ctx,
            Some(actor.id),
            AuditAction::QuoteSubmitted,
            Some(lot_id),
            ("quote", id),
            &format!("receipt={receipt} revision={revision}"),
        )?;
        let quote = notify::QuoteReceipt {
            quote_id: id,
            receipt: &receipt,
            digest: &digest,
            submitted_at: ctx.now.naive_utc(),
        };
        let email = notify::QuoteReceiptEmail {
            lot: &lot,
            quote: &quote,
        };
        notify::quote_receipt(conn, &ctx.mail, actor.recipient(), &email)?;
        Ok(id)
    })
}

/// A receipt as its submitter reads it.
pub struct Receipt {
    pub lot: Lot,
    pub quote: QuoteRow,
    pub tiers: Vec<Tier>,
    /// The text the digest was computed over.
    pub canonical: String,
}

/// One of the supplier's own receipts; every other quote is "not found".
pub fn receipt(
    conn: &mut DbConnection,
    actor: &Actor,
    lot_id: LotId,
    quote_id: QuoteId,
) -> Result<Receipt, ReadError> {
    let supplier = actor.supplier()?;
    let lot = super::access::visible(conn, actor, lot_id)?;
    let quote = quotes::find_quote(conn, quote_id)?.ok_or(Denied::NotFound)?;
    // Only the supplier that submitted it ever sees a receipt.
    if quote.lot_id != lot_id
        || quote.supplier_id != supplier
        || !lot
            .state()
            .receipt_readable_by(actor.joined_at, quote.submitted_at.and_utc())
    {
        return Err(Denied::NotFound.into());
    }
    let tiers = quotes::tiers_of(conn, quote_id)?;
    let input = QuoteInput {
        pricing: quote.pricing,
        tiers: TierTable::new(tiers.clone()).map_err(StoreError::from)?,
        max_quantity: quote.max_quantity,
        lead_time_days: quote.lead_time_days,
        valid_until: quote.valid_until,
        comment: quote.comment.clone(),
    };
    let canonical = input.canonical(
        lot_id,
        supplier,
        quote.revision,
        quote.submitted_at.and_utc(),
    );
    Ok(Receipt {
        lot,
        quote,
        tiers,
        canonical,
    })
}
