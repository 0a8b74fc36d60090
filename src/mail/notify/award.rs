//! The award: the §134 GWB notices to the bidders, and every member's and the winner's
//! confirmation once the standstill has passed.

use super::{each_user, lot_link, send_each, DbResult, Email, Notice, Recipient};
use crate::db::procurement as store;
use crate::db::{award, lots, orgs, quotes, users, DbConnection};
use crate::domain::ids::QuoteId;
use crate::domain::money::Money;
use crate::domain::pricing::{LineStatus, RankedQuote};
use crate::i18n::Tr;
use crate::mail::{Content, MailContext};
use chrono::NaiveDateTime;

/// The award as the notices describe it.
pub struct AwardNotice<'a> {
    /// The full ranking at the evaluation quantity.
    pub ranking: &'a [RankedQuote],
    /// Per quote of the ranking's scenario: the stored quote and its supplier.
    pub quote_suppliers: &'a [quotes::QuoteBy],
    pub winner_quote: QuoteId,
    pub justification: &'a str,
    pub standstill_ends_at: NaiveDateTime,
}

/// "You are awarded the lot", to the winner's users.
pub struct AwardEmail<'a> {
    pub lot: &'a lots::Lot,
    pub standstill_ends_at: NaiveDateTime,
}

impl Email for AwardEmail<'_> {
    fn kind(&self) -> &'static str {
        "award"
    }

    fn content(&self, tr: Tr, ctx: &MailContext, _: &Recipient<'_>) -> Content {
        let lot = self.lot;
        let date = crate::i18n::date(tr, self.standstill_ends_at);
        let mut content = Content::new(
            tr,
            tr.f("mail.award.subject", &[("lot", lot.title.clone())]),
        )
        .paragraph(tr.f(
            "mail.award.text",
            &[("lot", lot.title.clone()), ("date", date)],
        ));
        content.link = lot_link(ctx, tr, lot.id);
        content
    }
}

/// Why a bidder did not win, as §134 GWB asks the information notice to say.
#[derive(Debug, Clone, Copy)]
pub enum NotChosen<'a> {
    /// The quote could not be considered.
    Ineligible(crate::domain::pricing::IneligibleReason),
    /// Ranked first on price but not chosen: staff's justification.
    Justified(&'a str),
    /// Another quote was cheaper.
    Price { winner_total: Option<Money> },
}

/// The information notice (§134 GWB) to a bidder that did not win.
pub struct InformationEmail<'a> {
    pub lot: &'a lots::Lot,
    pub winner: &'a str,
    pub why: NotChosen<'a>,
    /// 1 for the first of the ranking.
    pub rank: usize,
    pub of: usize,
    pub total: Option<Money>,
    pub standstill_ends_at: NaiveDateTime,
}

impl Email for InformationEmail<'_> {
    fn kind(&self) -> &'static str {
        "information"
    }

    fn content(&self, tr: Tr, ctx: &MailContext, _: &Recipient<'_>) -> Content {
        let lot = self.lot;
        let date = crate::i18n::date(tr, self.standstill_ends_at);
        let total = tr.money_or_dash(self.total);
        let why = match self.why {
            NotChosen::Ineligible(reason) => tr.f(
                "mail.info.ineligible",
                &[("reason", tr.ineligible(reason).to_string())],
            ),
            NotChosen::Justified(justification) => tr.f(
                "mail.info.justified",
                &[("justification", justification.to_string())],
            ),
            NotChosen::Price { winner_total } => tr.f(
                "mail.info.price",
                &[
                    ("total", total.clone()),
                    ("winner_total", tr.money_or_dash(winner_total)),
                ],
            ),
        };
        let mut content =
            Content::new(tr, tr.f("mail.info.subject", &[("lot", lot.title.clone())]))
                .paragraph(tr.f(
                    "mail.info.text",
                    &[
                        ("lot", lot.title.clone()),
                        ("winner", self.winner.to_string()),
                    ],
                ))
                .paragraph(why)
                .paragraph(tr.f(
                    "mail.info.rank",
                    &[
                        ("rank", self.rank.to_string()),
                        ("count", self.of.to_string()),
                        ("total", total),
                    ],
                ))
                .paragraph(tr.f("mail.info.conclusion", &[("date", date)]));
        content.link = lot_link(ctx, tr, lot.id);
        content
    }
}

/// Award notice to the winner, information notice (§134 GWB) to every other bidder.
pub fn award_notices(
    conn: &mut DbConnection,
    ctx: &MailContext,
    lot: &lots::Lot,
    award: &AwardNotice<'_>,
    now: NaiveDateTime,
) -> DbResult<()> {
    let quote_of = |index: usize| award.quote_suppliers.get(index).copied();
    let winner_supplier = award
        .quote_suppliers
        .iter()
        .find(|q| q.quote == award.winner_quote)
        .map(|q| q.supplier);
    let winner_name = match winner_supplier {
        Some(s) => orgs::find_supplier(conn, s)?.map_or_else(String::new, |s| s.name),
        None => String::new(),
    };
    let winner_total = award
        .ranking
        .iter()
        .find(|r| quote_of(r.quote).is_some_and(|q| q.quote == award.winner_quote))
        .and_then(|r| r.evaluation_total_net);
    for (position, ranked) in award.ranking.iter().enumerate() {
        let Some(quotes::QuoteBy { quote, supplier }) = quote_of(ranked.quote) else {
            continue;
        };
        let users = users::active_of(conn, None, Some(supplier))?;
        let notice = Notice::each(Some(lot.id), now);
        if quote == award.winner_quote {
            let email = AwardEmail {
                lot,
                standstill_ends_at: award.standstill_ends_at,
            };
            send_each(conn, ctx, each_user(&users), notice, &email)?;
            continue;
        }
        let why = match ranked.ineligible {
            Some(reason) => NotChosen::Ineligible(reason),
            None if position == 0 => NotChosen::Justified(award.justification),
            None => NotChosen::Price { winner_total },
        };
        let email = InformationEmail {
            lot,
            winner: &winner_name,
            why,
            rank: position + 1,
            of: award.ranking.len(),
            total: ranked.evaluation_total_net,
            standstill_ends_at: award.standstill_ends_at,
        };
        send_each(conn, ctx, each_user(&users), notice, &email)?;
    }
    Ok(())
}

/// A member's final order confirmation: its lines with their prices and its totals.
pub struct ConfirmationEmail<'a> {
    pub lot: &'a lots::Lot,
    pub member: &'a str,
    pub totals: &'a award::MemberResult,
    pub lines: &'a [&'a award::ResultLine],
}

impl Email for ConfirmationEmail<'_> {
    fn kind(&self) -> &'static str {
        "confirmation"
    }

    fn content(&self, tr: Tr, ctx: &MailContext, _: &Recipient<'_>) -> Content {
        let (lot, totals) = (self.lot, self.totals);
        let unit_price = self
            .lines
            .iter()
            .find_map(|l| l.result.price)
            .map_or_else(|| "–".into(), |p| tr.price(p.unit_price));
        let mut c = Content::new(
            tr,
            tr.f("mail.confirmation.subject", &[("lot", lot.title.clone())]),
        )
        .paragraph(tr.f(
            "mail.confirmation.text",
            &[
                ("lot", lot.title.clone()),
                ("member", self.member.to_string()),
                ("price", unit_price),
            ],
        ));
        c = c.head([
            tr.t("order.site"),
            tr.t("order.reference"),
            tr.t("results.status"),
            tr.t("order.quantity"),
            tr.t("results.net"),
            tr.t("results.vat"),
            tr.t("results.gross"),
        ]);
        c.table_rows = self
            .lines
            .iter()
            .map(|l| {
                vec![
                    l.site.clone(),
                    l.reference.clone(),
                    tr.line_status(l.result.status).to_string(),
                    tr.quantity(l.result.quantity),
                    tr.money_or_dash(l.result.price.map(|p| p.net)),
                    tr.money_or_dash(l.result.price.map(|p| p.vat)),
                    tr.money_or_dash(l.result.price.map(|p| p.gross)),
                ]
            })
            .collect();
        c = c
            .paragraph(tr.f(
                "mail.confirmation.totals",
                &[
                    ("net", tr.money(totals.net)),
                    ("vat", tr.money(totals.vat)),
                    ("gross", tr.money(totals.gross)),
                ],
            ))
            .paragraph(tr.f(
                "mail.confirmation.saving",
                &[("saving", tr.money_or_dash(totals.saving_vs_alone))],
            ));
        if let Some(list) = totals.saving_vs_list {
            c = c.paragraph(tr.f(
                "mail.confirmation.saving_list",
                &[("saving", tr.money(list))],
            ));
        }
        c.link = lot_link(ctx, tr, lot.id);
        c
    }
}

/// The purchase order to the winner: every accepted line with its delivery address, and
/// the same as CSV.
pub struct PurchaseOrderEmail<'a> {
    lot: &'a lots::Lot,
    accepted: &'a [award::ResultLine],
    /// The same lines as CSV, written once for all of the winner's users.
    csv: String,
}

impl<'a> PurchaseOrderEmail<'a> {
    pub fn new(lot: &'a lots::Lot, accepted: &'a [award::ResultLine]) -> Self {
        PurchaseOrderEmail {
            lot,
            accepted,
            csv: crate::export::result_lines(accepted),
        }
    }
}

impl Email for PurchaseOrderEmail<'_> {
    fn kind(&self) -> &'static str {
        "purchase-order"
    }

    fn content(&self, tr: Tr, ctx: &MailContext, _: &Recipient<'_>) -> Content {
        let lot = self.lot;
        let quantity: u64 = self.accepted.iter().map(|l| l.result.quantity).sum();
        let mut c = Content::new(
            tr,
            tr.f("mail.purchase_order.subject", &[("lot", lot.title.clone())]),
        )
        .paragraph(tr.f(
            "mail.purchase_order.text",
            &[
                ("lot", lot.title.clone()),
                ("quantity", tr.quantity(quantity)),
                ("unit", lot.unit.clone()),
            ],
        ));
        c = c.head([
            tr.t("results.member"),
            tr.t("order.site"),
            tr.t("sites.address"),
            tr.t("order.quantity"),
        ]);
        c.table_rows = self
            .accepted
            .iter()
            .map(|l| {
                vec![
                    l.member.clone(),
                    l.site.clone(),
                    l.address.clone(),
                    tr.quantity(l.result.quantity),
                ]
            })
            .collect();
        c.attachment = Some((format!("auftrag-los-{}.csv", lot.id), self.csv.clone()));
        c.link = lot_link(ctx, tr, lot.id);
        c
    }
}

/// Final order confirmations to every buyer of every member with results, and the purchase
/// order with its CSV to the winner; once per lot and recipient.
pub fn confirmation(
    conn: &mut DbConnection,
    ctx: &MailContext,
    lot: &lots::Lot,
    now: NaiveDateTime,
) -> DbResult<()> {
    let lines = award::result_lines(conn, lot.id, award::ResultFilter::default())?;
    let totals = award::result_members(conn, lot.id)?;
    for award::MemberTotal {
        result: member_total,
        member: member_name,
    } in &totals
    {
        let own: Vec<&award::ResultLine> = lines
            .iter()
            .filter(|l| l.member_id == member_total.member_id)
            .collect();
        let users = users::active_of(conn, Some(member_total.member_id), None)?;
        let email = ConfirmationEmail {
            lot,
            member: member_name,
            totals: member_total,
            lines: &own,
        };
        send_each(
            conn,
            ctx,
            each_user(&users),
            Notice::once(lot.id, now),
            &email,
        )?;
    }
    let procedure = store::find_procedure(conn, lot.id)?;
    let Some(quote) = procedure.and_then(|p| p.awarded_quote_id) else {
        return Ok(());
    };
    let Some(quote) = quotes::find_quote(conn, quote)? else {
        return Ok(());
    };
    let accepted: Vec<award::ResultLine> = lines
        .into_iter()
        .filter(|l| l.result.status == LineStatus::Accepted)
        .collect();
    let users = users::active_of(conn, None, Some(quote.supplier_id))?;
    let email = PurchaseOrderEmail::new(lot, &accepted);
    send_each(
        conn,
        ctx,
        each_user(&users),
        Notice::once(lot.id, now),
        &email,
    )?;
    Ok(())
}
