//! Every notification, composed in the recipient's language and queued in the transaction
//! of the change that causes it.

use super::{queue, Content, Envelope, MailContext};
use crate::db::procurement as store;
use crate::db::{lots, orgs, users, DbConnection};
use crate::domain::money::{Money, UnitPrice};
use crate::domain::pricing::RankedQuote;
use crate::i18n::Tr;
use chrono::NaiveDateTime;

type DbResult<T> = Result<T, diesel::result::Error>;

fn lot_link(ctx: &MailContext, tr: Tr, lot: i64) -> Option<(String, String)> {
    Some((
        tr.t("mail.open_lot").to_string(),
        ctx.url(&format!("/lots/{lot}")),
    ))
}

/// What a buyer placed, changed or cancelled.
pub struct LineSummary {
    pub quantity: u64,
    pub unit: String,
    pub site: String,
    pub limit: Option<UnitPrice>,
    pub reference: String,
}

/// Order line received / changed / cancelled, to the buyer who acted.
pub fn order_line(
    conn: &mut DbConnection,
    ctx: &MailContext,
    buyer: &users::User,
    lot: &lots::Lot,
    action: &str,
    line: &LineSummary,
    now: NaiveDateTime,
) -> DbResult<()> {
    let tr = Tr(buyer.language());
    let mut content = Content::new(
        tr,
        tr.f(
            &format!("mail.order_{action}.subject"),
            &[("lot", lot.title.clone())],
        ),
    )
    .paragraph(tr.f(
        &format!("mail.order_{action}.text"),
        &[("lot", lot.title.clone())],
    ));
    content.table_head = vec![
        tr.t("order.site").to_string(),
        tr.t("order.quantity").to_string(),
        tr.t("order.max_unit_price").to_string(),
        tr.t("order.reference").to_string(),
    ];
    content.table_rows = vec![vec![
        line.site.clone(),
        format!("{} {}", tr.quantity(line.quantity), line.unit),
        line.limit.map_or_else(|| "–".to_string(), |p| tr.price(p)),
        if line.reference.is_empty() {
            "–".to_string()
        } else {
            line.reference.clone()
        },
    ]];
    content = content.paragraph(tr.f(
        "mail.deadline_note",
        &[("deadline", tr.datetime(lot.demand_deadline))],
    ));
    content.link = lot_link(ctx, tr, lot.id);
    queue(
        conn,
        ctx,
        &Envelope {
            kind: &format!("order-{action}"),
            lot: Some(lot.id),
            recipient: &buyer.email,
            language: buyer.language(),
            stable_key: None,
        },
        content,
        now,
    )
    .map(|_| ())
}

/// Invitation to quote, to every user of every invited supplier, when the lot opens.
pub fn invitations(
    conn: &mut DbConnection,
    ctx: &MailContext,
    lot: &lots::Lot,
    now: NaiveDateTime,
) -> DbResult<()> {
    for (supplier, _) in lots::invited_suppliers(conn, lot.id)? {
        for user in users::active_of(conn, None, Some(supplier))? {
            let tr = Tr(user.language());
            let mut content = Content::new(
                tr,
                tr.f("mail.invitation.subject", &[("lot", lot.title.clone())]),
            )
            .paragraph(tr.f("mail.invitation.text", &[("lot", lot.title.clone())]))
            .paragraph(tr.f(
                "mail.invitation.deadline",
                &[("deadline", tr.datetime(lot.quote_deadline))],
            ));
            content.link = lot_link(ctx, tr, lot.id);
            let key = format!("{}-{}", lot.id, user.id);
            queue(
                conn,
                ctx,
                &Envelope {
                    kind: "invitation",
                    lot: Some(lot.id),
                    recipient: &user.email,
                    language: user.language(),
                    stable_key: Some(&key),
                },
                content,
                now,
            )?;
        }
    }
    Ok(())
}

/// Quote receipt with receipt number and digest, to the supplier user who submitted.
/// What the receipt email names.
pub struct QuoteReceipt<'a> {
    pub quote_id: i64,
    pub receipt: &'a str,
    pub digest: &'a str,
}

pub fn quote_receipt(
    conn: &mut DbConnection,
    ctx: &MailContext,
    user: &users::User,
    lot: &lots::Lot,
    quote: &QuoteReceipt<'_>,
    now: NaiveDateTime,
) -> DbResult<()> {
    let QuoteReceipt {
        quote_id,
        receipt,
        digest,
    } = *quote;
    let tr = Tr(user.language());
    let mut content = Content::new(
        tr,
        tr.f(
            "mail.receipt.subject",
            &[("lot", lot.title.clone()), ("receipt", receipt.to_string())],
        ),
    )
    .paragraph(tr.f(
        "mail.receipt.text",
        &[("lot", lot.title.clone()), ("at", tr.datetime(now))],
    ))
    .paragraph(format!("{}: {receipt}", tr.t("quote.receipt")))
    .paragraph(format!("SHA-256: {digest}"));
    content.link = Some((
        tr.t("quote.receipt_title").to_string(),
        ctx.url(&format!("/lots/{}/quotes/{quote_id}", lot.id)),
    ));
    queue(
        conn,
        ctx,
        &Envelope {
            kind: "quote-receipt",
            lot: Some(lot.id),
            recipient: &user.email,
            language: user.language(),
            stable_key: None,
        },
        content,
        now,
    )
    .map(|_| ())
}

/// Award notice to the winner, information notice (§134 GWB) to every other bidder.
#[allow(clippy::too_many_arguments)]
pub fn award_notices(
    conn: &mut DbConnection,
    ctx: &MailContext,
    lot: &lots::Lot,
    ranking: &[RankedQuote],
    quote_suppliers: &[(i64, i64)],
    winner_quote: i64,
    justification: &str,
    standstill_ends_at: NaiveDateTime,
    now: NaiveDateTime,
) -> DbResult<()> {
    let winner_supplier = quote_suppliers
        .iter()
        .find(|(q, _)| *q == winner_quote)
        .map(|(_, s)| *s);
    let winner_name = match winner_supplier {
        Some(s) => orgs::find_supplier(conn, s)?.map_or_else(String::new, |s| s.name),
        None => String::new(),
    };
    let winner_total = ranking
        .iter()
        .find(|r| {
            quote_suppliers
                .get(r.quote)
                .is_some_and(|(q, _)| *q == winner_quote)
        })
        .and_then(|r| r.evaluation_total_net);
    for (position, ranked) in ranking.iter().enumerate() {
        let Some(&(quote, supplier)) = quote_suppliers.get(ranked.quote) else {
            continue;
        };
        for user in users::active_of(conn, None, Some(supplier))? {
            let tr = Tr(user.language());
            let date = crate::i18n::date(tr, standstill_ends_at);
            let content = if quote == winner_quote {
                let mut c = Content::new(
                    tr,
                    tr.f("mail.award.subject", &[("lot", lot.title.clone())]),
                )
                .paragraph(tr.f(
                    "mail.award.text",
                    &[("lot", lot.title.clone()), ("date", date)],
                ));
                c.link = lot_link(ctx, tr, lot.id);
                c
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
                        &[("justification", justification.to_string())],
                    ),
                    None => tr.f(
                        "mail.info.price",
                        &[
                            (
                                "total",
                                ranked
                                    .evaluation_total_net
                                    .map_or_else(|| "–".into(), |m| tr.money(m)),
                            ),
                            (
                                "winner_total",
                                winner_total.map_or_else(|| "–".into(), |m| tr.money(m)),
                            ),
                        ],
                    ),
                };
                let mut c =
                    Content::new(tr, tr.f("mail.info.subject", &[("lot", lot.title.clone())]))
                        .paragraph(tr.f(
                            "mail.info.text",
                            &[("lot", lot.title.clone()), ("winner", winner_name.clone())],
                        ))
                        .paragraph(why)
                        .paragraph(
                            tr.f(
                                "mail.info.rank",
                                &[
                                    ("rank", (position + 1).to_string()),
                                    ("count", ranking.len().to_string()),
                                    (
                                        "total",
                                        ranked
                                            .evaluation_total_net
                                            .map_or_else(|| "–".into(), |m| tr.money(m)),
                                    ),
                                ],
                            ),
                        )
                        .paragraph(tr.f("mail.info.conclusion", &[("date", date)]));
                c.link = lot_link(ctx, tr, lot.id);
                c
            };
            let kind = if quote == winner_quote {
                "award"
            } else {
                "information"
            };
            queue(
                conn,
                ctx,
                &Envelope {
                    kind,
                    lot: Some(lot.id),
                    recipient: &user.email,
                    language: user.language(),
                    stable_key: None,
                },
                content,
                now,
            )?;
        }
    }
    Ok(())
}

/// Final order confirmations to every buyer of every member with results, and the purchase
/// order with its CSV to the winner.
pub fn confirmation(
    conn: &mut DbConnection,
    ctx: &MailContext,
    lot_id: i64,
    now: NaiveDateTime,
) -> DbResult<()> {
    let Some(lot) = lots::find(conn, lot_id)? else {
        return Ok(());
    };
    let lines = store::result_lines(conn, lot_id, None)?;
    let totals = store::result_members(conn, lot_id)?;
    for (member_total, member_name) in &totals {
        let own: Vec<&store::ResultLine> = lines
            .iter()
            .filter(|l| l.member_id == member_total.member_id)
            .collect();
        for user in users::active_of(conn, Some(member_total.member_id), None)? {
            let tr = Tr(user.language());
            let unit_price = own
                .iter()
                .find_map(|l| l.result.unit_price)
                .and_then(|u| UnitPrice::from_ten_thousandths(u).ok())
                .map_or_else(|| "–".into(), |p| tr.price(p));
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
                        tr.t(&format!("line_status.{}", l.result.status))
                            .to_string(),
                        tr.quantity(u64::try_from(l.result.quantity).unwrap_or(0)),
                        tr.money_or_dash(l.result.net.map(Money::from_cents)),
                        tr.money_or_dash(l.result.vat.map(Money::from_cents)),
                        tr.money_or_dash(l.result.gross.map(Money::from_cents)),
                    ]
                })
                .collect();
            c = c
                .paragraph(tr.f(
                    "mail.confirmation.totals",
                    &[
                        ("net", tr.money(Money::from_cents(member_total.net))),
                        ("vat", tr.money(Money::from_cents(member_total.vat))),
                        ("gross", tr.money(Money::from_cents(member_total.gross))),
                    ],
                ))
                .paragraph(tr.f(
                    "mail.confirmation.saving",
                    &[(
                        "saving",
                        tr.money_or_dash(member_total.saving_vs_alone.map(Money::from_cents)),
                    )],
                ));
            if let Some(list) = member_total.saving_vs_list {
                c = c.paragraph(tr.f(
                    "mail.confirmation.saving_list",
                    &[("saving", tr.money(Money::from_cents(list)))],
                ));
            }
            c.link = lot_link(ctx, tr, lot_id);
            let key = format!("{lot_id}-{}", user.id);
            queue(
                conn,
                ctx,
                &Envelope {
                    kind: "confirmation",
                    lot: Some(lot_id),
                    recipient: &user.email,
                    language: user.language(),
                    stable_key: Some(&key),
                },
                c,
                now,
            )?;
        }
    }
    let procedure = store::find_procedure(conn, lot_id)?;
    let Some(quote) = procedure.and_then(|p| p.awarded_quote_id) else {
        return Ok(());
    };
    let Some(quote) = store::find_quote(conn, quote)? else {
        return Ok(());
    };
    let accepted: Vec<store::ResultLine> = lines
        .into_iter()
        .filter(|l| l.result.status == "accepted")
        .collect();
    let csv = crate::web::procurement::result_csv(&accepted);
    for user in users::active_of(conn, None, Some(quote.supplier_id))? {
        let tr = Tr(user.language());
        let quantity: i64 = accepted.iter().map(|l| l.result.quantity).sum();
        let mut c = Content::new(
            tr,
            tr.f("mail.purchase_order.subject", &[("lot", lot.title.clone())]),
        )
        .paragraph(tr.f(
            "mail.purchase_order.text",
            &[
                ("lot", lot.title.clone()),
                (
                    "quantity",
                    tr.quantity(u64::try_from(quantity).unwrap_or(0)),
                ),
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
                    tr.quantity(u64::try_from(l.result.quantity).unwrap_or(0)),
                ]
            })
            .collect();
        c.attachment = Some((format!("auftrag-los-{lot_id}.csv"), csv.clone()));
        c.link = lot_link(ctx, tr, lot_id);
        let key = format!("{lot_id}-{}", user.id);
        queue(
            conn,
            ctx,
            &Envelope {
                kind: "purchase-order",
                lot: Some(lot_id),
                recipient: &user.email,
                language: user.language(),
                stable_key: Some(&key),
            },
            c,
            now,
        )?;
    }
    Ok(())
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
    let mut members: Vec<i64> = crate::db::orders::active_lines(conn, lot.id)?
        .into_iter()
        .map(|l| l.member_id)
        .collect();
    members.sort_unstable();
    members.dedup();
    let mut recipients = Vec::new();
    for m in members {
        recipients.extend(users::active_of(conn, Some(m), None)?);
    }
    for (s, _) in lots::invited_suppliers(conn, lot.id)? {
        recipients.extend(users::active_of(conn, None, Some(s))?);
    }
    let kind = if cancelled { "cancelled" } else { "failed" };
    for user in recipients {
        let tr = Tr(user.language());
        let key = format!("failure.{reason}");
        let reason_text = if tr.t(&key) == key {
            reason.to_string()
        } else {
            tr.t(&key).to_string()
        };
        let mut c = Content::new(
            tr,
            tr.f(
                &format!("mail.{kind}.subject"),
                &[("lot", lot.title.clone())],
            ),
        )
        .paragraph(tr.f(&format!("mail.{kind}.text"), &[("lot", lot.title.clone())]))
        .paragraph(format!("{}: {reason_text}", tr.t("procedure.reason")));
        c.link = lot_link(ctx, tr, lot.id);
        let stable = format!("{}-{}", lot.id, user.id);
        queue(
            conn,
            ctx,
            &Envelope {
                kind,
                lot: Some(lot.id),
                recipient: &user.email,
                language: user.language(),
                stable_key: Some(&stable),
            },
            c,
            now,
        )?;
    }
    Ok(())
}

/// Reminders two days before the demand deadline to members that have not ordered yet;
/// once per lot and buyer (the Message-ID is derived from both).
pub fn reminders(
    conn: &mut DbConnection,
    ctx: &MailContext,
    now: NaiveDateTime,
) -> DbResult<usize> {
    let soon = now + chrono::Duration::days(2);
    let due: Vec<lots::Lot> = lots::list_for_members(conn)?
        .into_iter()
        .filter(|l| l.status == "open" && l.demand_deadline > now && l.demand_deadline <= soon)
        .collect();
    let mut queued = 0;
    for lot in due {
        let ordered: Vec<i64> = crate::db::orders::active_lines(conn, lot.id)?
            .into_iter()
            .map(|l| l.member_id)
            .collect();
        for member in orgs::list_members(conn)? {
            if ordered.contains(&member.id) {
                continue;
            }
            for user in users::active_of(conn, Some(member.id), None)? {
                let tr = Tr(user.language());
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
                let key = format!("{}-{}", lot.id, user.id);
                if queue(
                    conn,
                    ctx,
                    &Envelope {
                        kind: "reminder",
                        lot: Some(lot.id),
                        recipient: &user.email,
                        language: user.language(),
                        stable_key: Some(&key),
                    },
                    c,
                    now,
                )? {
                    queued += 1;
                }
            }
        }
    }
    Ok(queued)
}

/// Account invitation or password reset with a single-use link.
pub fn account_link(
    conn: &mut DbConnection,
    ctx: &MailContext,
    user: &users::User,
    purpose: &str,
    token: &str,
    expires_at: NaiveDateTime,
    now: NaiveDateTime,
) -> DbResult<()> {
    let tr = Tr(user.language());
    let mut c = Content::new(tr, tr.t(&format!("mail.{purpose}.subject")).to_string())
        .paragraph(tr.f(
            &format!("mail.{purpose}.text"),
            &[("email", user.email.clone())],
        ))
        .paragraph(tr.f("mail.link_expires", &[("at", tr.datetime(expires_at))]));
    c.link = Some((
        tr.t("mail.set_password").to_string(),
        ctx.url(&format!("/password/{token}")),
    ));
    queue(
        conn,
        ctx,
        &Envelope {
            kind: purpose,
            lot: None,
            recipient: &user.email,
            language: user.language(),
            stable_key: None,
        },
        c,
        now,
    )
    .map(|_| ())
}
