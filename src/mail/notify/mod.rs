//! Every notification, composed in the recipient's language and queued in the transaction
//! of the change that causes it. One module per part of a lot's life; the helpers here
//! send one email to each recipient in their own language.

mod accounts;
mod award;
mod frameworks;
mod orders;
mod procedure;

pub use accounts::{account_link, supplier_user_added};
pub use award::{award_notices, confirmation, AwardNotice};
pub use frameworks::{calloff_placed, framework_ended, CallOffNotice};
pub use orders::{order_line, orders_uploaded, reminders, LineSummary};
pub use procedure::{invitations, lot_ended, quote_receipt, QuoteReceipt};

use super::{Content, Envelope, Link, MailContext, QueueError};
use crate::db::outbox::{self, NewEmail};
use crate::db::{users, DbConnection};
use crate::domain::account::Language;
use crate::i18n::Tr;
use chrono::NaiveDateTime;

type DbResult<T> = Result<T, QueueError>;

/// Who gets a notice.
#[derive(Debug, Clone, Copy)]
pub struct Recipient<'a> {
    pub id: i64,
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

/// One kind of notice about one lot (or none), sent at `now`.
struct Notice<'a> {
    kind: &'a str,
    lot: Option<i64>,
    /// Queued at most once per lot and recipient (a deterministic Message-ID).
    once: bool,
    now: NaiveDateTime,
}

/// Composes the notice in each recipient's language and queues it; returns how many were
/// queued (a notice queued once before is not queued again).
fn send_each<'a>(
    conn: &mut DbConnection,
    ctx: &MailContext,
    recipients: impl IntoIterator<Item = Recipient<'a>>,
    notice: &Notice<'_>,
    compose: impl Fn(Tr, &Recipient<'_>) -> Content,
) -> DbResult<usize> {
    let mut queued = 0;
    for recipient in recipients {
        if outbox::enqueue(conn, &compose_for(ctx, recipient, notice, &compose)?)? {
            queued += 1;
        }
    }
    Ok(queued)
}

/// The notice composed for one recipient, in their language.
fn compose_for(
    ctx: &MailContext,
    recipient: Recipient<'_>,
    notice: &Notice<'_>,
    compose: impl Fn(Tr, &Recipient<'_>) -> Content,
) -> Result<NewEmail, askama::Error> {
    let tr = Tr(recipient.language);
    let key = format!("{}-{}", notice.lot.unwrap_or(0), recipient.id);
    let envelope = Envelope {
        kind: notice.kind,
        lot: notice.lot,
        recipient: recipient.email,
        language: recipient.language,
        stable_key: notice.once.then_some(key.as_str()),
    };
    super::compose(ctx, &envelope, compose(tr, &recipient), notice.now)
}

fn each_user(users: &[users::User]) -> impl Iterator<Item = Recipient<'_>> {
    users.iter().map(Recipient::from)
}

fn lot_link(ctx: &MailContext, tr: Tr, lot: i64) -> Option<Link> {
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
