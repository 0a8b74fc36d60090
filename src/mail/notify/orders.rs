//! To buyers about their orders: each line placed, changed or cancelled, a file of lines,
//! and the reminders before a demand deadline.

use super::{
    compose_for, dash_if_empty, each_user, lot_link, send_each, DbResult, Email, Notice, Recipient,
};
use crate::db::outbox::NewEmail;
use crate::db::{lots, users, DbConnection};
use crate::domain::money::UnitPrice;
use crate::i18n::Tr;
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

/// What happened to an order line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LineChange {
    Placed,
    Changed,
    Cancelled,
}

/// "Order line received / changed / cancelled", to the buyer who acted.
pub struct OrderLineEmail<'a> {
    pub lot: &'a lots::Lot,
    pub change: LineChange,
    pub line: &'a LineSummary,
}

impl Email for OrderLineEmail<'_> {
    fn kind(&self) -> &'static str {
        match self.change {
            LineChange::Placed => "order-placed",
            LineChange::Changed => "order-changed",
            LineChange::Cancelled => "order-cancelled",
        }
    }

    fn content(&self, tr: Tr, ctx: &MailContext, _: &Recipient<'_>) -> Content {
        let (lot, line) = (self.lot, self.line);
        let title = [("lot", lot.title.clone())];
        let (subject, text) = match self.change {
            LineChange::Placed => (
                tr.f("mail.order_placed.subject", &title),
                tr.f("mail.order_placed.text", &title),
            ),
            LineChange::Changed => (
                tr.f("mail.order_changed.subject", &title),
                tr.f("mail.order_changed.text", &title),
            ),
            LineChange::Cancelled => (
                tr.f("mail.order_cancelled.subject", &title),
                tr.f("mail.order_cancelled.text", &title),
            ),
        };
        let mut content = Content::new(tr, subject).paragraph(text);
        content = content.head([
            tr.t("order.site"),
            tr.t("order.quantity"),
            tr.t("order.max_unit_price"),
            tr.t("order.reference"),
        ]);
        content.table_rows = vec![vec![
            line.site.clone(),
            format!("{} {}", tr.quantity(line.quantity), line.unit),
            line.limit.map_or_else(|| "–".to_string(), |p| tr.price(p)),
            dash_if_empty(&line.reference),
        ]];
        content = content.paragraph(deadline_note(tr, lot));
        content.link = lot_link(ctx, tr, lot.id);
        content
    }
}

fn deadline_note(tr: Tr, lot: &lots::Lot) -> String {
    tr.f(
        "mail.deadline_note",
        &[("deadline", tr.datetime(lot.demand_deadline))],
    )
}

/// The order line email to the buyer who acted: composed before the order's transaction (so
/// the lot is held no longer than its writes take), stored in it with
/// [`crate::db::outbox::enqueue`].
pub fn order_line(
    ctx: &MailContext,
    buyer: Recipient<'_>,
    email: &OrderLineEmail<'_>,
    now: NaiveDateTime,
) -> Result<NewEmail, askama::Error> {
    compose_for(ctx, buyer, Notice::each(Some(email.lot.id), now), email)
}

/// "The demand deadline is near and you have not ordered yet".
pub struct ReminderEmail<'a> {
    pub lot: &'a lots::Lot,
}

impl Email for ReminderEmail<'_> {
    fn kind(&self) -> &'static str {
        "reminder"
    }

    fn content(&self, tr: Tr, ctx: &MailContext, _: &Recipient<'_>) -> Content {
        let lot = self.lot;
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
    }
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
        let buyers = users::buyers_by_lines(conn, lot.id, false)?;
        queued += send_each(
            conn,
            ctx,
            each_user(&buyers),
            Notice::once(lot.id, now),
            &ReminderEmail { lot: &lot },
        )?;
    }
    Ok(queued)
}

/// "Your file's lines are stored", to the buyer who uploaded them.
pub struct OrdersUploadedEmail<'a> {
    pub lot: &'a lots::Lot,
    pub lines: usize,
    pub quantity: u64,
}

impl Email for OrdersUploadedEmail<'_> {
    fn kind(&self) -> &'static str {
        "order-uploaded"
    }

    fn content(&self, tr: Tr, ctx: &MailContext, _: &Recipient<'_>) -> Content {
        let lot = self.lot;
        let vars = [
            ("lot", lot.title.clone()),
            ("lines", tr.quantity(self.lines as u64)),
            ("quantity", tr.quantity(self.quantity)),
            ("unit", lot.unit.clone()),
        ];
        let mut content = Content::new(tr, tr.f("mail.order_uploaded.subject", &vars))
            .paragraph(tr.f("mail.order_uploaded.text", &vars))
            .paragraph(deadline_note(tr, lot));
        content.link = lot_link(ctx, tr, lot.id);
        content
    }
}

/// Lines uploaded from a file: to the buyer who uploaded them.
pub fn orders_uploaded(
    conn: &mut DbConnection,
    ctx: &MailContext,
    buyer: Recipient<'_>,
    email: &OrdersUploadedEmail<'_>,
    now: NaiveDateTime,
) -> DbResult<()> {
    send_each(
        conn,
        ctx,
        [buyer],
        Notice::each(Some(email.lot.id), now),
        email,
    )
    .map(|_| ())
}
