//! A framework's emails: each call-off's confirmation, purchase order, credit notes and
//! the supplier's credit summary, and the statements when it ends.

use super::{dash_if_empty, each_user, lot_link, send_each, DbResult, Email, Notice, Recipient};
use crate::db::{lots, users, DbConnection};
use crate::domain::framework::{Credit, Priced};
use crate::domain::ids::{CallOffId, MemberId, SupplierId};
use crate::domain::money::Money;
use crate::domain::spend::Spend;
use crate::i18n::Tr;
use crate::mail::{Content, MailContext};
use chrono::NaiveDateTime;

/// A confirmed call-off, as its notices tell it.
pub struct CallOffNotice<'a> {
    pub id: CallOffId,
    pub member: MemberId,
    pub member_name: String,
    pub supplier: SupplierId,
    pub site: String,
    pub address: String,
    pub reference: String,
    pub quantity: u64,
    pub priced: &'a Priced,
    /// Every member credited by this call-off, by name.
    pub credits: Vec<MemberCredit>,
}

/// What one member is credited when a call-off lowers the price of what it bought before.
#[derive(Debug, Clone)]
pub struct MemberCredit {
    pub member: MemberId,
    pub name: String,
    pub credit: Credit,
}

/// One member's statement when a framework ends.
#[derive(Debug, Clone)]
pub struct MemberStatement {
    pub member: MemberId,
    pub name: String,
    pub spend: Spend,
}

fn money_head(tr: Tr) -> [&'static str; 3] {
    [
        tr.t("results.net"),
        tr.t("results.vat"),
        tr.t("results.gross"),
    ]
}

/// "Your call-off is confirmed", to the member's buyers.
pub struct CallOffConfirmationEmail<'a> {
    pub lot: &'a lots::Lot,
    pub calloff: &'a CallOffNotice<'a>,
}

impl Email for CallOffConfirmationEmail<'_> {
    fn kind(&self) -> &'static str {
        "calloff-confirmation"
    }

    fn content(&self, tr: Tr, ctx: &MailContext, _: &Recipient<'_>) -> Content {
        let (lot, c) = (self.lot, self.calloff);
        let p = c.priced;
        let vars = [
            ("lot", lot.title.clone()),
            ("number", crate::db::frameworks::contract_id(c.id)),
            ("quantity", tr.quantity(c.quantity)),
            ("unit", lot.unit.clone()),
            ("price", tr.price(p.unit_price)),
            ("cumulative", tr.quantity(p.cumulative_quantity)),
        ];
        let mut m = Content::new(tr, tr.f("mail.calloff.subject", &vars))
            .paragraph(tr.f("mail.calloff.text", &vars));
        m = m.head([
            tr.t("order.site"),
            tr.t("order.reference"),
            tr.t("order.quantity"),
            tr.t("lot.unit_price_net"),
        ]);
        m = m.head(money_head(tr));
        m.table_rows = vec![vec![
            c.site.clone(),
            dash_if_empty(&c.reference),
            tr.quantity(c.quantity),
            tr.price(p.unit_price),
            tr.money(p.net),
            tr.money(p.vat),
            tr.money(p.gross),
        ]];
        m.link = lot_link(ctx, tr, lot.id);
        m
    }
}

/// The call-off's purchase order to the supplier, with its CSV.
pub struct CallOffOrderEmail<'a> {
    lot: &'a lots::Lot,
    calloff: &'a CallOffNotice<'a>,
    /// The order as CSV, written once for all of the supplier's users.
    csv: String,
}

impl<'a> CallOffOrderEmail<'a> {
    pub fn new(lot: &'a lots::Lot, calloff: &'a CallOffNotice<'a>) -> Self {
        CallOffOrderEmail {
            lot,
            calloff,
            csv: Self::csv(calloff),
        }
    }

    /// The order as the supplier's systems read it (German headings, like every download).
    fn csv(c: &CallOffNotice<'_>) -> String {
        let p = c.priced;
        let mut csv = crate::export::Csv::new(&[
            "Abruf",
            "Mitglied",
            "Lieferort",
            "Adresse",
            "Referenz",
            "Menge",
            "Einzelpreis netto",
            "Netto",
            "USt",
            "Brutto",
        ]);
        csv.row([
            crate::db::frameworks::contract_id(c.id),
            c.member_name.clone(),
            c.site.clone(),
            c.address.clone(),
            c.reference.clone(),
            c.quantity.to_string(),
            crate::export::price(Some(p.unit_price)),
            crate::export::money(Some(p.net)),
            crate::export::money(Some(p.vat)),
            crate::export::money(Some(p.gross)),
        ]);
        csv.into_string()
    }
}

impl Email for CallOffOrderEmail<'_> {
    fn kind(&self) -> &'static str {
        "calloff-order"
    }

    fn content(&self, tr: Tr, ctx: &MailContext, _: &Recipient<'_>) -> Content {
        let (lot, c) = (self.lot, self.calloff);
        let number = crate::db::frameworks::contract_id(c.id);
        let vars = [
            ("lot", lot.title.clone()),
            ("number", number.clone()),
            ("member", c.member_name.clone()),
            ("quantity", tr.quantity(c.quantity)),
            ("unit", lot.unit.clone()),
        ];
        let mut m = Content::new(tr, tr.f("mail.calloff_order.subject", &vars))
            .paragraph(tr.f("mail.calloff_order.text", &vars));
        m = m.head([
            tr.t("results.member"),
            tr.t("order.site"),
            tr.t("sites.address"),
            tr.t("order.quantity"),
        ]);
        m.table_rows = vec![vec![
            c.member_name.clone(),
            c.site.clone(),
            c.address.clone(),
            tr.quantity(c.quantity),
        ]];
        m.attachment = Some((format!("abruf-{number}.csv"), self.csv.clone()));
        m.link = lot_link(ctx, tr, lot.id);
        m
    }
}

/// A credit note to a member whose earlier call-offs became cheaper.
pub struct CreditNoteEmail<'a> {
    pub lot: &'a lots::Lot,
    pub priced: &'a Priced,
    pub credit: &'a MemberCredit,
}

impl Email for CreditNoteEmail<'_> {
    fn kind(&self) -> &'static str {
        "credit-note"
    }

    fn content(&self, tr: Tr, ctx: &MailContext, _: &Recipient<'_>) -> Content {
        let (lot, p, credit) = (self.lot, self.priced, &self.credit.credit);
        let vars = [
            ("lot", lot.title.clone()),
            ("member", self.credit.name.clone()),
            ("price", tr.price(p.unit_price)),
            ("cumulative", tr.quantity(p.cumulative_quantity)),
            ("gross", tr.money(credit.gross)),
        ];
        let mut m = Content::new(tr, tr.f("mail.credit_note.subject", &vars))
            .paragraph(tr.f("mail.credit_note.text", &vars));
        m = m.head(money_head(tr));
        m.table_rows = vec![vec![
            tr.money(credit.net),
            tr.money(credit.vat),
            tr.money(credit.gross),
        ]];
        m.link = lot_link(ctx, tr, lot.id);
        m
    }
}

/// The credits a call-off caused, to the supplier who owes them.
pub struct CreditSummaryEmail<'a> {
    pub lot: &'a lots::Lot,
    pub priced: &'a Priced,
    pub credits: &'a [MemberCredit],
}

impl Email for CreditSummaryEmail<'_> {
    fn kind(&self) -> &'static str {
        "credit-summary"
    }

    fn content(&self, tr: Tr, ctx: &MailContext, _: &Recipient<'_>) -> Content {
        let (lot, p) = (self.lot, self.priced);
        let vars = [
            ("lot", lot.title.clone()),
            ("price", tr.price(p.unit_price)),
            ("cumulative", tr.quantity(p.cumulative_quantity)),
        ];
        let mut m = Content::new(tr, tr.f("mail.credit_summary.subject", &vars))
            .paragraph(tr.f("mail.credit_summary.text", &vars));
        m = m.head([tr.t("results.member")]).head(money_head(tr));
        m.table_rows = self
            .credits
            .iter()
            .map(|c| {
                vec![
                    c.name.clone(),
                    tr.money(c.credit.net),
                    tr.money(c.credit.vat),
                    tr.money(c.credit.gross),
                ]
            })
            .collect();
        m.link = lot_link(ctx, tr, lot.id);
        m
    }
}

/// A call-off confirmed: to the member's buyers; the purchase order with its CSV to the
/// supplier; a credit note to every credited member's buyers; the credits to the supplier.
pub fn calloff_placed(
    conn: &mut DbConnection,
    ctx: &MailContext,
    lot: &lots::Lot,
    c: &CallOffNotice<'_>,
    now: NaiveDateTime,
) -> DbResult<()> {
    let notice = Notice::each(Some(lot.id), now);
    let buyers = users::active_of(conn, Some(c.member), None)?;
    let confirmation = CallOffConfirmationEmail { lot, calloff: c };
    send_each(conn, ctx, each_user(&buyers), notice, &confirmation)?;
    let sellers = users::active_of(conn, None, Some(c.supplier))?;
    let order = CallOffOrderEmail::new(lot, c);
    send_each(conn, ctx, each_user(&sellers), notice, &order)?;
    if c.credits.is_empty() {
        return Ok(());
    }
    for credit in &c.credits {
        let buyers = users::active_of(conn, Some(credit.member), None)?;
        let note = CreditNoteEmail {
            lot,
            priced: c.priced,
            credit,
        };
        send_each(conn, ctx, each_user(&buyers), notice, &note)?;
    }
    let summary = CreditSummaryEmail {
        lot,
        priced: c.priced,
        credits: &c.credits,
    };
    send_each(conn, ctx, each_user(&sellers), notice, &summary)?;
    Ok(())
}

/// Why a framework ended, as its emails say it.
fn why_ended(tr: Tr, reason: Option<&str>) -> String {
    match reason {
        Some(r) => tr.f("mail.framework_ended.early", &[("reason", r.to_string())]),
        None => tr.t("mail.framework_ended.term_over").to_string(),
    }
}

/// A member's statement of what it called off under a framework that ended.
pub struct FrameworkStatementEmail<'a> {
    pub lot: &'a lots::Lot,
    /// Staff's reason for ending early; none at the end of the term.
    pub reason: Option<&'a str>,
    pub statement: &'a MemberStatement,
}

impl Email for FrameworkStatementEmail<'_> {
    fn kind(&self) -> &'static str {
        "framework-statement"
    }

    fn content(&self, tr: Tr, ctx: &MailContext, _: &Recipient<'_>) -> Content {
        let (lot, s) = (self.lot, &self.statement.spend);
        let vars = [
            ("lot", lot.title.clone()),
            ("member", self.statement.name.clone()),
        ];
        let mut m = Content::new(tr, tr.f("mail.framework_ended.subject", &vars))
            .paragraph(why_ended(tr, self.reason))
            .paragraph(tr.f("mail.framework_ended.statement", &vars));
        m = m.head([
            tr.t("order.quantity"),
            tr.t("results.net"),
            tr.t("results.vat"),
            tr.t("results.gross"),
            tr.t("framework.credited"),
            tr.t("results.saving_vs_list"),
        ]);
        m.table_rows = vec![vec![
            format!("{} {}", tr.quantity(s.quantity), lot.unit),
            tr.money(s.net),
            tr.money(s.vat()),
            tr.money(s.gross),
            tr.money(s.credited_gross),
            tr.money_or_dash(s.saving_vs_list(lot.list_unit_price)),
        ]];
        m.link = lot_link(ctx, tr, lot.id);
        m
    }
}

/// "The framework has ended", to the supplier, with what was called off in all.
pub struct FrameworkEndedEmail<'a> {
    pub lot: &'a lots::Lot,
    pub reason: Option<&'a str>,
    pub called_off: u64,
    pub net: Money,
}

impl Email for FrameworkEndedEmail<'_> {
    fn kind(&self) -> &'static str {
        "framework-ended"
    }

    fn content(&self, tr: Tr, ctx: &MailContext, _: &Recipient<'_>) -> Content {
        let lot = self.lot;
        let vars = [
            ("lot", lot.title.clone()),
            ("quantity", tr.quantity(self.called_off)),
            ("unit", lot.unit.clone()),
            ("net", tr.money(self.net)),
        ];
        let mut m = Content::new(tr, tr.f("mail.framework_ended.subject", &vars))
            .paragraph(why_ended(tr, self.reason))
            .paragraph(tr.f("mail.framework_ended.supplier", &vars));
        m.link = lot_link(ctx, tr, lot.id);
        m
    }
}

/// A framework ended (early by staff, or at the end of its term): each member's buyers get
/// its statement; the supplier is told; once per lot and recipient.
pub fn framework_ended(
    conn: &mut DbConnection,
    ctx: &MailContext,
    lot: &lots::Lot,
    supplier: SupplierId,
    statements: &[MemberStatement],
    reason: Option<&str>,
    now: NaiveDateTime,
) -> DbResult<()> {
    let notice = Notice::once(lot.id, now);
    for statement in statements {
        let buyers = users::active_of(conn, Some(statement.member), None)?;
        let email = FrameworkStatementEmail {
            lot,
            reason,
            statement,
        };
        send_each(conn, ctx, each_user(&buyers), notice, &email)?;
    }
    // The supplier's total is the members' statements added up.
    let email = FrameworkEndedEmail {
        lot,
        reason,
        called_off: statements.iter().map(|s| s.spend.quantity).sum(),
        net: statements.iter().map(|s| s.spend.net).sum(),
    };
    let sellers = users::active_of(conn, None, Some(supplier))?;
    send_each(conn, ctx, each_user(&sellers), notice, &email)?;
    Ok(())
}
