//! Every notification, composed in the recipient's language and queued in the transaction
//! of the change that causes it. One module per part of a lot's life; the helpers here
//! send one email to each recipient in their own language.

mod accounts;
mod award;
#[cfg(test)]
mod emails_snapshot;
mod frameworks;
mod orders;
mod procedure;

pub use accounts::{account_link, supplier_user_added, AccountLinkEmail, SupplierUserAddedEmail};
pub use award::{
    award_notices, confirmation, AwardEmail, AwardNotice, ConfirmationEmail, InformationEmail,
    NotChosen, PurchaseOrderEmail,
};
pub use frameworks::{
    calloff_placed, framework_ended, CallOffConfirmationEmail, CallOffNotice, CallOffOrderEmail,
    CreditNoteEmail, CreditSummaryEmail, FrameworkEndedEmail, FrameworkStatementEmail,
    MemberCredit, MemberStatement,
};
pub use orders::{
    order_line, orders_uploaded, reminders, LineChange, LineSummary, OrderLineEmail,
    OrdersUploadedEmail, ReminderEmail,
};
pub use procedure::{
    invitations, lot_ended, quote_receipt, Ending, InvitationEmail, LotEndedEmail, QuoteReceipt,
    QuoteReceiptEmail,
};

use super::{Content, Envelope, Link, MailContext, QueueError};
use crate::db::outbox::{self, NewEmail};
use crate::db::{users, DbConnection};
use crate::domain::account::Language;
use crate::domain::ids::{LotId, UserId};
use crate::i18n::Tr;
use chrono::NaiveDateTime;

type DbResult<T> = Result<T, QueueError>;

/// Who gets a notice.
#[derive(Debug, Clone, Copy)]
pub struct Recipient<'a> {
    pub id: UserId,
    pub email: &'a str,
    pub language: Language,
}

impl<'a> From<&'a users::User> for Recipient<'a> {
    fn from(user: &'a users::User) -> Self {
        Recipient {
            id: user.id,
            email: &user.email,
            language: user.language,
        }
    }
}

/// One kind of email: its name in the outbox and what it says to one recipient, in the
/// recipient's language. Every subject and text key is written out where it is used, so the
/// catalogue test sees each one; who receives the email is decided by the function that
/// sends it. `emails_snapshot` renders every kind in both languages.
pub trait Email {
    /// The outbox's name for this kind of email.
    fn kind(&self) -> &'static str;
    /// What the email says to `to`.
    fn content(&self, tr: Tr, ctx: &MailContext, to: &Recipient<'_>) -> Content;
}

/// When and about which lot an email is sent.
#[derive(Debug, Clone, Copy)]
struct Notice {
    lot: Option<LotId>,
    /// Queued at most once per lot and recipient (a deterministic Message-ID).
    once: bool,
    now: NaiveDateTime,
}

impl Notice {
    /// Sent every time it happens.
    fn each(lot: Option<LotId>, now: NaiveDateTime) -> Self {
        Notice {
            lot,
            once: false,
            now,
        }
    }

    /// Sent once per lot and recipient, however often the job that sends it runs.
    fn once(lot: LotId, now: NaiveDateTime) -> Self {
        Notice {
            lot: Some(lot),
            once: true,
            now,
        }
    }
}

/// Composes the email in each recipient's language and queues it; returns how many were
/// queued (an email queued once before is not queued again).
fn send_each<'a>(
    conn: &mut DbConnection,
    ctx: &MailContext,
    recipients: impl IntoIterator<Item = Recipient<'a>>,
    notice: Notice,
    email: &impl Email,
) -> DbResult<usize> {
    let mut queued = 0;
    for recipient in recipients {
        if outbox::enqueue(conn, &compose_for(ctx, recipient, notice, email)?)? {
            queued += 1;
        }
    }
    Ok(queued)
}

/// The email composed for one recipient, in their language.
fn compose_for(
    ctx: &MailContext,
    recipient: Recipient<'_>,
    notice: Notice,
    email: &impl Email,
) -> Result<NewEmail, askama::Error> {
    let tr = Tr(recipient.language);
    let key = format!("{}-{}", notice.lot.map_or(0, LotId::get), recipient.id);
    let envelope = Envelope {
        kind: email.kind(),
        lot: notice.lot,
        recipient: recipient.email,
        language: recipient.language,
        stable_key: notice.once.then_some(key.as_str()),
    };
    super::compose(
        ctx,
        &envelope,
        email.content(tr, ctx, &recipient),
        notice.now,
    )
}

fn each_user(users: &[users::User]) -> impl Iterator<Item = Recipient<'_>> {
    users.iter().map(Recipient::from)
}

fn lot_link(ctx: &MailContext, tr: Tr, lot: LotId) -> Option<Link> {
    Some(Link::new(
        tr.t("mail.open_lot"),
        ctx.url(&format!("/lots/{lot}")),
    ))
}

fn dash_if_empty(text: &str) -> String {
    if text.is_empty() {
        "–".to_string()
    } else {
        text.to_string()
    }
}
