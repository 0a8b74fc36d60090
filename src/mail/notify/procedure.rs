//! To suppliers and members along a lot's procedure: invitations, quote receipts, the end
//! of a lot without an award.

use super::{each_user, lot_link, send_each, DbResult, Email, Notice, Recipient};
use crate::db::{lots, users, DbConnection};
use crate::i18n::Tr;
use crate::mail::{Content, Link, MailContext};
use chrono::NaiveDateTime;

/// "You are invited to quote", to every user of an invited supplier.
pub struct InvitationEmail<'a> {
    pub lot: &'a lots::Lot,
}

impl Email for InvitationEmail<'_> {
    fn kind(&self) -> &'static str {
        "invitation"
    }

    fn content(&self, tr: Tr, ctx: &MailContext, _: &Recipient<'_>) -> Content {
        let lot = self.lot;
        let title = [("lot", lot.title.clone())];
        let mut content = Content::new(tr, tr.f("mail.invitation.subject", &title))
            .paragraph(tr.f("mail.invitation.text", &title))
            .paragraph(tr.f(
                "mail.invitation.deadline",
                &[("deadline", tr.datetime(lot.quote_deadline))],
            ));
        content.link = lot_link(ctx, tr, lot.id);
        content
    }
}

/// Invitation to quote, to every user of every invited supplier, when the lot opens (or a
/// supplier is invited later); once per lot and user.
pub fn invitations(
    conn: &mut DbConnection,
    ctx: &MailContext,
    lot: &lots::Lot,
    now: NaiveDateTime,
) -> DbResult<()> {
    for supplier in lots::invited_suppliers(conn, lot.id)?
        .into_iter()
        .map(|s| s.id)
    {
        let users = users::active_of(conn, None, Some(supplier))?;
        send_each(
            conn,
            ctx,
            each_user(&users),
            Notice::once(lot.id, now),
            &InvitationEmail { lot },
        )?;
    }
    Ok(())
}

/// What the receipt email names.
pub struct QuoteReceipt<'a> {
    pub quote_id: crate::domain::ids::QuoteId,
    pub receipt: &'a str,
    pub digest: &'a str,
    pub submitted_at: NaiveDateTime,
}

/// The quote's receipt with its number and digest, to the supplier user who submitted it.
pub struct QuoteReceiptEmail<'a> {
    pub lot: &'a lots::Lot,
    pub quote: &'a QuoteReceipt<'a>,
}

impl Email for QuoteReceiptEmail<'_> {
    fn kind(&self) -> &'static str {
        "quote-receipt"
    }

    fn content(&self, tr: Tr, ctx: &MailContext, _: &Recipient<'_>) -> Content {
        let (lot, quote) = (self.lot, self.quote);
        let mut content = Content::new(
            tr,
            tr.f(
                "mail.receipt.subject",
                &[
                    ("lot", lot.title.clone()),
                    ("receipt", quote.receipt.to_string()),
                ],
            ),
        )
        .paragraph(tr.f(
            "mail.receipt.text",
            &[
                ("lot", lot.title.clone()),
                ("at", tr.datetime(quote.submitted_at)),
            ],
        ))
        .paragraph(format!("{}: {}", tr.t("quote.receipt"), quote.receipt))
        .paragraph(format!("SHA-256: {}", quote.digest));
        content.link = Some(Link::new(
            tr.t("quote.receipt_title"),
            ctx.url(&format!("/lots/{}/quotes/{}", lot.id, quote.quote_id)),
        ));
        content
    }
}

/// Quote receipt to the supplier user who submitted.
pub fn quote_receipt(
    conn: &mut DbConnection,
    ctx: &MailContext,
    user: Recipient<'_>,
    email: &QuoteReceiptEmail<'_>,
) -> DbResult<()> {
    let notice = Notice::each(Some(email.lot.id), email.quote.submitted_at);
    send_each(conn, ctx, [user], notice, email).map(|_| ())
}

/// How a lot ended without an award.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ending {
    /// Staff cancelled it.
    Cancelled,
    /// It could not be awarded (no quote, nothing cleared, …).
    Failed,
}

/// "The lot was cancelled / could not be awarded", with the reason.
pub struct LotEndedEmail<'a> {
    pub lot: &'a lots::Lot,
    pub ending: Ending,
    /// A key of `failure.*`, or the words staff wrote.
    pub reason: &'a str,
}

impl Email for LotEndedEmail<'_> {
    fn kind(&self) -> &'static str {
        match self.ending {
            Ending::Cancelled => "cancelled",
            Ending::Failed => "failed",
        }
    }

    fn content(&self, tr: Tr, ctx: &MailContext, _: &Recipient<'_>) -> Content {
        let lot = self.lot;
        let key = format!("failure.{}", self.reason);
        let reason_text = if tr.t(&key) == key {
            self.reason.to_string()
        } else {
            tr.t(&key).to_string()
        };
        let title = [("lot", lot.title.clone())];
        let (subject, text) = match self.ending {
            Ending::Cancelled => (
                tr.f("mail.cancelled.subject", &title),
                tr.f("mail.cancelled.text", &title),
            ),
            Ending::Failed => (
                tr.f("mail.failed.subject", &title),
                tr.f("mail.failed.text", &title),
            ),
        };
        let mut c = Content::new(tr, subject)
            .paragraph(text)
            .paragraph(format!("{}: {reason_text}", tr.t("procedure.reason")));
        c.link = lot_link(ctx, tr, lot.id);
        c
    }
}

/// Lot failed or cancelled: to the buyers of every member with lines and to every supplier
/// invited to the lot.
pub fn lot_ended(
    conn: &mut DbConnection,
    ctx: &MailContext,
    email: &LotEndedEmail<'_>,
    now: NaiveDateTime,
) -> DbResult<()> {
    let lot = email.lot;
    let mut recipients = users::buyers_by_lines(conn, lot.id, true)?;
    for s in lots::invited_suppliers(conn, lot.id)?
        .into_iter()
        .map(|s| s.id)
    {
        recipients.extend(users::active_of(conn, None, Some(s))?);
    }
    send_each(
        conn,
        ctx,
        each_user(&recipients),
        Notice::once(lot.id, now),
        email,
    )
    .map(|_| ())
}
