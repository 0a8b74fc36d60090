//! The award: the §134 GWB notices to the bidders, and every member's and the winner's
//! confirmation once the standstill has passed.

use super::{each_user, lot_link, send_each, DbResult, Notice};
use crate::db::procurement as store;
use crate::db::{award, quotes};
use crate::db::{lots, orgs, users, DbConnection};
use crate::domain::pricing::{LineStatus, RankedQuote};
use crate::mail::{Content, MailContext};
use chrono::NaiveDateTime;

/// The award as the notices describe it.
pub struct AwardNotice<'a> {
    /// The full ranking at the evaluation quantity.
    pub ranking: &'a [RankedQuote],
    /// Per quote of the ranking's scenario: (quote id, supplier id).
    pub quote_suppliers: &'a [(i64, i64)],
    pub winner_quote: i64,
    pub justification: &'a str,
    pub standstill_ends_at: NaiveDateTime,
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
        .find(|(q, _)| *q == award.winner_quote)
        .map(|(_, s)| *s);
    let winner_name = match winner_supplier {
        Some(s) => orgs::find_supplier(conn, s)?.map_or_else(String::new, |s| s.name),
        None => String::new(),
    };
    let winner_total = award
        .ranking
        .iter()
        .find(|r| quote_of(r.quote).is_some_and(|(q, _)| q == award.winner_quote))
        .and_then(|r| r.evaluation_total_net);
    for (position, ranked) in award.ranking.iter().enumerate() {
        let Some((quote, supplier)) = quote_of(ranked.quote) else {
            continue;
        };
        let won = quote == award.winner_quote;
        let notice = Notice {
            kind: if won { "award" } else { "information" },
            lot: Some(lot.id),
            once: false,
            now,
        };
        let users = users::active_of(conn, None, Some(supplier))?;
        send_each(conn, ctx, each_user(&users), &notice, |tr, _| {
            let date = crate::i18n::date(tr, award.standstill_ends_at);
            let title = [("lot", lot.title.clone())];
            let total = tr.money_or_dash(ranked.evaluation_total_net);
            let mut content = if won {
                Content::new(tr, tr.f("mail.award.subject", &title)).paragraph(tr.f(
                    "mail.award.text",
                    &[("lot", lot.title.clone()), ("date", date)],
                ))
            } else {
                let why = match ranked.ineligible {
                    Some(reason) => tr.f(
                        "mail.info.ineligible",
                        &[(
                            "reason",
                            tr.t(&format!("ineligible.{}", reason.as_str())).to_string(),
                        )],
                    ),
                    None if position == 0 => tr.f(
                        "mail.info.justified",
                        &[("justification", award.justification.to_string())],
                    ),
                    None => tr.f(
                        "mail.info.price",
                        &[
                            ("total", total.clone()),
                            ("winner_total", tr.money_or_dash(winner_total)),
                        ],
                    ),
                };
                Content::new(tr, tr.f("mail.info.subject", &title))
                    .paragraph(tr.f(
                        "mail.info.text",
                        &[("lot", lot.title.clone()), ("winner", winner_name.clone())],
                    ))
                    .paragraph(why)
                    .paragraph(tr.f(
                        "mail.info.rank",
                        &[
                            ("rank", (position + 1).to_string()),
                            ("count", award.ranking.len().to_string()),
                            ("total", total),
                        ],
                    ))
                    .paragraph(tr.f("mail.info.conclusion", &[("date", date)]))
            };
            content.link = lot_link(ctx, tr, lot.id);
            content
        })?;
    }
    Ok(())
}

/// Final order confirmations to every buyer of every member with results, and the purchase
/// order with its CSV to the winner.
pub fn confirmation(
    conn: &mut DbConnection,
    ctx: &MailContext,
    lot: &lots::Lot,
    now: NaiveDateTime,
) -> DbResult<()> {
    let lot_id = lot.id;
    let lines = award::result_lines(conn, lot_id, award::ResultFilter::default())?;
    let totals = award::result_members(conn, lot_id)?;
    let notice = Notice {
        kind: "confirmation",
        lot: Some(lot_id),
        once: true,
        now,
    };
    for (member_total, member_name) in &totals {
        let own: Vec<&award::ResultLine> = lines
            .iter()
            .filter(|l| l.member_id == member_total.member_id)
            .collect();
        let users = users::active_of(conn, Some(member_total.member_id), None)?;
        send_each(conn, ctx, each_user(&users), &notice, |tr, _| {
            let unit_price = own
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
                    ("member", member_name.clone()),
                    ("price", unit_price),
                ],
            ));
            c.table_head = [
                "order.site",
                "order.reference",
                "results.status",
                "order.quantity",
                "results.net",
                "results.vat",
                "results.gross",
            ]
            .iter()
            .map(|k| tr.t(k).to_string())
            .collect();
            c.table_rows = own
                .iter()
                .map(|l| {
                    vec![
                        l.site.clone(),
                        l.reference.clone(),
                        tr.t(&format!("line_status.{}", l.result.status.as_str()))
                            .to_string(),
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
                        ("net", tr.money(member_total.net)),
                        ("vat", tr.money(member_total.vat)),
                        ("gross", tr.money(member_total.gross)),
                    ],
                ))
                .paragraph(tr.f(
                    "mail.confirmation.saving",
                    &[("saving", tr.money_or_dash(member_total.saving_vs_alone))],
                ));
            if let Some(list) = member_total.saving_vs_list {
                c = c.paragraph(tr.f(
                    "mail.confirmation.saving_list",
                    &[("saving", tr.money(list))],
                ));
            }
            c.link = lot_link(ctx, tr, lot_id);
            c
        })?;
    }
    let procedure = store::find_procedure(conn, lot_id)?;
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
    let csv = crate::export::result_lines(&accepted);
    let quantity: u64 = accepted.iter().map(|l| l.result.quantity).sum();
    let notice = Notice {
        kind: "purchase-order",
        lot: Some(lot_id),
        once: true,
        now,
    };
    let users = users::active_of(conn, None, Some(quote.supplier_id))?;
    send_each(conn, ctx, each_user(&users), &notice, |tr, _| {
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
        c.table_head = [
            "results.member",
            "order.site",
            "sites.address",
            "order.quantity",
        ]
        .iter()
        .map(|k| tr.t(k).to_string())
        .collect();
        c.table_rows = accepted
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
        c.attachment = Some((format!("auftrag-los-{lot_id}.csv"), csv.clone()));
        c.link = lot_link(ctx, tr, lot_id);
        c
    })?;
    Ok(())
}
