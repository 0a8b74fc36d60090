//! Account emails: the single-use password link, and a supplier's new colleague.

use super::{each_user, send_each, DbResult, Notice, Recipient};
use crate::db::{users, DbConnection};
use crate::mail::{Content, MailContext};
use chrono::NaiveDateTime;

/// Account invitation or password reset with a single-use link.
pub fn account_link(
    conn: &mut DbConnection,
    ctx: &MailContext,
    user: Recipient<'_>,
    purpose: &str,
    token: &str,
    expires_at: NaiveDateTime,
    now: NaiveDateTime,
) -> DbResult<()> {
    let notice = Notice {
        kind: purpose,
        lot: None,
        once: false,
        now,
    };
    send_each(conn, ctx, [user], &notice, |tr, recipient| {
        let mut c = Content::new(tr, tr.t(&format!("mail.{purpose}.subject")).to_string())
            .paragraph(tr.f(
                &format!("mail.{purpose}.text"),
                &[("email", recipient.email.to_string())],
            ))
            .paragraph(tr.f("mail.link_expires", &[("at", tr.datetime(expires_at))]));
        c.link = Some(crate::mail::Link::new(
            tr.t("mail.set_password"),
            ctx.url(&format!("/password/{token}")),
        ));
        c
    })
    .map(|_| ())
}

/// A new account in a supplier's organisation, announced to the organisation's existing
/// users: nobody joins a supplier unnoticed.
pub fn supplier_user_added(
    conn: &mut DbConnection,
    ctx: &MailContext,
    colleagues: &[users::User],
    added: &users::User,
    now: NaiveDateTime,
) -> DbResult<()> {
    let notice = Notice {
        kind: "supplier-user-added",
        lot: None,
        once: false,
        now,
    };
    send_each(conn, ctx, each_user(colleagues), &notice, |tr, _| {
        let who = [("name", added.name.clone()), ("email", added.email.clone())];
        Content::new(tr, tr.t("mail.supplier_user_added.subject").to_string())
            .paragraph(tr.f("mail.supplier_user_added.text", &who))
    })
    .map(|_| ())
}
