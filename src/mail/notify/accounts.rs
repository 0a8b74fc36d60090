//! Account emails: the single-use password link, and a supplier's new colleague.

use super::{each_user, send_each, DbResult, Email, Notice, Recipient};
use crate::db::{users, DbConnection};
use crate::domain::account::LinkPurpose;
use crate::i18n::Tr;
use crate::mail::{Content, Link, MailContext};
use chrono::NaiveDateTime;

/// An account's invitation or password reset, with its single-use link.
pub struct AccountLinkEmail<'a> {
    pub purpose: LinkPurpose,
    /// The token itself; only its hash is stored.
    pub token: &'a str,
    pub expires_at: NaiveDateTime,
}

impl Email for AccountLinkEmail<'_> {
    fn kind(&self) -> &'static str {
        self.purpose.as_str()
    }

    fn content(&self, tr: Tr, ctx: &MailContext, to: &Recipient<'_>) -> Content {
        let email = [("email", to.email.to_string())];
        let (subject, text) = match self.purpose {
            LinkPurpose::Invitation => (
                tr.t("mail.invitation_account.subject"),
                tr.f("mail.invitation_account.text", &email),
            ),
            LinkPurpose::Reset => (tr.t("mail.reset.subject"), tr.f("mail.reset.text", &email)),
        };
        let mut c = Content::new(tr, subject.to_string())
            .paragraph(text)
            .paragraph(tr.f("mail.link_expires", &[("at", tr.datetime(self.expires_at))]));
        c.link = Some(Link::new(
            tr.t("mail.set_password"),
            ctx.url(&format!("/password/{}", self.token)),
        ));
        c
    }
}

/// Account invitation or password reset with a single-use link, to the account itself.
pub fn account_link(
    conn: &mut DbConnection,
    ctx: &MailContext,
    user: Recipient<'_>,
    email: &AccountLinkEmail<'_>,
    now: NaiveDateTime,
) -> DbResult<()> {
    send_each(conn, ctx, [user], Notice::each(None, now), email).map(|_| ())
}

/// "A new account joined your company", to a supplier's other users.
pub struct SupplierUserAddedEmail<'a> {
    pub added: &'a users::User,
}

impl Email for SupplierUserAddedEmail<'_> {
    fn kind(&self) -> &'static str {
        "supplier-user-added"
    }

    fn content(&self, tr: Tr, _: &MailContext, _: &Recipient<'_>) -> Content {
        let who = [
            ("name", self.added.name.clone()),
            ("email", self.added.email.clone()),
        ];
        Content::new(tr, tr.t("mail.supplier_user_added.subject").to_string())
            .paragraph(tr.f("mail.supplier_user_added.text", &who))
    }
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
    send_each(
        conn,
        ctx,
        each_user(colleagues),
        Notice::each(None, now),
        &SupplierUserAddedEmail { added },
    )
    .map(|_| ())
}
