//! To buyers about their orders: each line placed, changed or cancelled, a file of lines,
//! and the reminders before a demand deadline.

use super::{
    compose_for, dash_if_empty, each_user, lot_link, send_each, DbResult, Notice, Recipient,
};
use crate::db::outbox::NewEmail;
use crate::db::{lots, users, DbConnection};
use crate::domain::money::UnitPrice;
use crate::mail::{Content, MailContext};
use chrono::NaiveDateTime;

/// What a buyer placed, changed or cancelled.
pub struct LineSummary {
    pub quantity: u64,
    pub unit: String,
    pub site: String,
    pub limit: Option<UnitPrice>,
    pub reference: String,
}

/// Order line received / changed / cancelled, to the buyer who acted: composed before the
/// order's transaction (so the lot is held no longer than its writes take), stored in it
/// with [`outbox::enqueue`].
pub fn order_line(
    ctx: &MailContext,
    buyer: Recipient<'_>,
    lot: &lots::Lot,
    action: &str,
    line: &LineSummary,
    now: NaiveDateTime,
) -> Result<NewEmail, askama::Error> {
    let kind = format!("order-{action}");
    let notice = Notice {
        kind: &kind,
        lot: Some(lot.id),
        once: false,
        now,
    };
    compose_for(ctx, buyer, &notice, |tr, _| {
        let title = [("lot", lot.title.clone())];
        let mut content = Content::new(tr, tr.f(&format!("mail.order_{action}.subject"), &title))
            .paragraph(tr.f(&format!("mail.order_{action}.text"), &title));
        content.table_head = [
            "order.site",
            "order.quantity",
            "order.max_unit_price",
            "order.reference",
        ]
        .iter()
        .map(|k| tr.t(k).to_string())
        .collect();
        content.table_rows = vec![vec![
            line.site.clone(),
            format!("{} {}", tr.quantity(line.quantity), line.unit),
            line.limit.map_or_else(|| "–".to_string(), |p| tr.price(p)),
            dash_if_empty(&line.reference),
        ]];
        content = content.paragraph(tr.f(
            "mail.deadline_note",
            &[("deadline", tr.datetime(lot.demand_deadline))],
        ));
        content.link = lot_link(ctx, tr, lot.id);
        content
    })
}

/// Reminders two days before the demand deadline to members that have not ordered yet;
/// once per lot and buyer (the Message-ID is derived from both).
pub fn reminders(
    conn: &mut DbConnection,
    ctx: &MailContext,
    now: NaiveDateTime,
) -> DbResult<usize> {
    let soon = now + chrono::Duration::days(2);
    let mut queued = 0;
    for lot in lots::open_with_deadline_between(conn, now, soon)? {
        let notice = Notice {
            kind: "reminder",
            lot: Some(lot.id),
            once: true,
            now,
        };
        let buyers = users::buyers_by_lines(conn, lot.id, false)?;
        queued += send_each(conn, ctx, each_user(&buyers), &notice, |tr, _| {
            let mut c = Content::new(
                tr,
                tr.f("mail.reminder.subject", &[("lot", lot.title.clone())]),
            )
            .paragraph(tr.f(
                "mail.reminder.text",
                &[
                    ("lot", lot.title.clone()),
                    ("deadline", tr.datetime(lot.demand_deadline)),
                ],
            ));
            c.link = lot_link(ctx, tr, lot.id);
            c
        })?;
    }
    Ok(queued)
}

/// Lines uploaded from a file: to the buyer who uploaded them.
pub fn orders_uploaded(
    conn: &mut DbConnection,
    ctx: &MailContext,
    buyer: Recipient<'_>,
    lot: &lots::Lot,
    lines: usize,
    quantity: u64,
    now: NaiveDateTime,
) -> DbResult<()> {
    let notice = Notice {
        kind: "order-uploaded",
        lot: Some(lot.id),
        once: false,
        now,
    };
    send_each(conn, ctx, [buyer], &notice, |tr, _| {
        let vars = [
            ("lot", lot.title.clone()),
            ("lines", tr.quantity(lines as u64)),
            ("quantity", tr.quantity(quantity)),
            ("unit", lot.unit.clone()),
        ];
        let mut content = Content::new(tr, tr.f("mail.order_uploaded.subject", &vars))
            .paragraph(tr.f("mail.order_uploaded.text", &vars))
            .paragraph(tr.f(
                "mail.deadline_note",
                &[("deadline", tr.datetime(lot.demand_deadline))],
            ));
        content.link = lot_link(ctx, tr, lot.id);
        content
    })
    .map(|_| ())
}
