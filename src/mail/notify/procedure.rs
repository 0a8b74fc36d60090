//! To suppliers and members along a lot's procedure: invitations, quote receipts, the end
//! of a lot without an award.

use super::{each_user, lot_link, send_each, DbResult, Notice, Recipient};
use crate::db::{lots, users, DbConnection};
use crate::mail::{Content, MailContext};
use chrono::NaiveDateTime;

/// Invitation to quote, to every user of every invited supplier, when the lot opens (or a
/// supplier is invited later); once per lot and user.
pub fn invitations(
    conn: &mut DbConnection,
    ctx: &MailContext,
    lot: &lots::Lot,
    now: NaiveDateTime,
) -> DbResult<()> {
    let notice = Notice {
        kind: "invitation",
        lot: Some(lot.id),
        once: true,
        now,
    };
    for (supplier, _) in lots::invited_suppliers(conn, lot.id)? {
        let users = users::active_of(conn, None, Some(supplier))?;
        send_each(conn, ctx, each_user(&users), &notice, |tr, _| {
            let title = [("lot", lot.title.clone())];
            let mut content = Content::new(tr, tr.f("mail.invitation.subject", &title))
                .paragraph(tr.f("mail.invitation.text", &title))
                .paragraph(tr.f(
                    "mail.invitation.deadline",
                    &[("deadline", tr.datetime(lot.quote_deadline))],
                ));
            content.link = lot_link(ctx, tr, lot.id);
            content
        })?;
    }
    Ok(())
}

/// What the receipt email names.
pub struct QuoteReceipt<'a> {
    pub quote_id: i64,
    pub receipt: &'a str,
    pub digest: &'a str,
}

/// Quote receipt with receipt number and digest, to the supplier user who submitted.
pub fn quote_receipt(
    conn: &mut DbConnection,
    ctx: &MailContext,
    user: Recipient<'_>,
    lot: &lots::Lot,
    quote: &QuoteReceipt<'_>,
    now: NaiveDateTime,
) -> DbResult<()> {
    let notice = Notice {
        kind: "quote-receipt",
        lot: Some(lot.id),
        once: false,
        now,
    };
    send_each(conn, ctx, [user], &notice, |tr, _| {
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
            &[("lot", lot.title.clone()), ("at", tr.datetime(now))],
        ))
        .paragraph(format!("{}: {}", tr.t("quote.receipt"), quote.receipt))
        .paragraph(format!("SHA-256: {}", quote.digest));
        content.link = Some(crate::mail::Link::new(
            tr.t("quote.receipt_title"),
            ctx.url(&format!("/lots/{}/quotes/{}", lot.id, quote.quote_id)),
        ));
        content
    })
    .map(|_| ())
}

/// Lot failed or cancelled: to the buyers of every member with lines and to every supplier
/// invited to the lot.
pub fn lot_ended(
    conn: &mut DbConnection,
    ctx: &MailContext,
    lot: &lots::Lot,
    cancelled: bool,
    reason: &str,
    now: NaiveDateTime,
) -> DbResult<()> {
    let mut recipients = users::buyers_by_lines(conn, lot.id, true)?;
    for (s, _) in lots::invited_suppliers(conn, lot.id)? {
        recipients.extend(users::active_of(conn, None, Some(s))?);
    }
    let kind = if cancelled { "cancelled" } else { "failed" };
    let notice = Notice {
        kind,
        lot: Some(lot.id),
        once: true,
        now,
    };
    send_each(conn, ctx, each_user(&recipients), &notice, |tr, _| {
        let key = format!("failure.{reason}");
        let reason_text = if tr.t(&key) == key {
            reason.to_string()
        } else {
            tr.t(&key).to_string()
        };
        let title = [("lot", lot.title.clone())];
        let mut c = Content::new(tr, tr.f(&format!("mail.{kind}.subject"), &title))
            .paragraph(tr.f(&format!("mail.{kind}.text"), &title))
            .paragraph(format!("{}: {reason_text}", tr.t("procedure.reason")));
        c.link = lot_link(ctx, tr, lot.id);
        c
    })
    .map(|_| ())
}
