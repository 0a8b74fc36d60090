//! Every notification, composed in the recipient's language and queued in the transaction
//! of the change that causes it.

use super::{Content, Envelope, MailContext, QueueError};
use crate::db::outbox::{self, NewEmail};
use crate::db::procurement as store;
use crate::db::{lots, orgs, users, DbConnection};
use crate::domain::account::Language;
use crate::domain::money::UnitPrice;
use crate::domain::pricing::{LineStatus, RankedQuote};
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

fn lot_link(ctx: &MailContext, tr: Tr, lot: i64) -> Option<(String, String)> {
    Some((
        tr.t("mail.open_lot").to_string(),
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

/// Invitation to quote, to every user of every invited supplier, when the lot opens (or a
/// supplier is invited later); once per lot and user.
pub fn invitations(
    conn: &mut DbConnection,
    ctx: &MailContext,
    lot: &lots::Lot,
    now: NaiveDateTime,
) -> DbResult<()> {
    let notice = Notice {
        kind: "invitation",
        lot: Some(lot.id),
        once: true,
        now,
    };
    for (supplier, _) in lots::invited_suppliers(conn, lot.id)? {
        let users = users::active_of(conn, None, Some(supplier))?;
        send_each(conn, ctx, each_user(&users), &notice, |tr, _| {
            let title = [("lot", lot.title.clone())];
            let mut content = Content::new(tr, tr.f("mail.invitation.subject", &title))
                .paragraph(tr.f("mail.invitation.text", &title))
                .paragraph(tr.f(
                    "mail.invitation.deadline",
                    &[("deadline", tr.datetime(lot.quote_deadline))],
                ));
            content.link = lot_link(ctx, tr, lot.id);
            content
        })?;
    }
    Ok(())
}

/// What the receipt email names.
pub struct QuoteReceipt<'a> {
    pub quote_id: i64,
    pub receipt: &'a str,
    pub digest: &'a str,
}

/// Quote receipt with receipt number and digest, to the supplier user who submitted.
pub fn quote_receipt(
    conn: &mut DbConnection,
    ctx: &MailContext,
    user: Recipient<'_>,
    lot: &lots::Lot,
    quote: &QuoteReceipt<'_>,
    now: NaiveDateTime,
) -> DbResult<()> {
    let notice = Notice {
        kind: "quote-receipt",
        lot: Some(lot.id),
        once: false,
        now,
    };
    send_each(conn, ctx, [user], &notice, |tr, _| {
        let mut content = Content::new(
            tr,
            tr.f(
                "mail.receipt.subject",
                &[
                    ("lot", lot.title.clone()),
                    ("receipt", quote.receipt.to_string()),
                ],
            ),
        )
        .paragraph(tr.f(
            "mail.receipt.text",
            &[("lot", lot.title.clone()), ("at", tr.datetime(now))],
        ))
        .paragraph(format!("{}: {}", tr.t("quote.receipt"), quote.receipt))
        .paragraph(format!("SHA-256: {}", quote.digest));
        content.link = Some((
            tr.t("quote.receipt_title").to_string(),
            ctx.url(&format!("/lots/{}/quotes/{}", lot.id, quote.quote_id)),
        ));
        content
    })
    .map(|_| ())
}

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
    let lines = store::result_lines(conn, lot_id, store::ResultFilter::default())?;
    let totals = store::result_members(conn, lot_id)?;
    let notice = Notice {
        kind: "confirmation",
        lot: Some(lot_id),
        once: true,
        now,
    };
    for (member_total, member_name) in &totals {
        let own: Vec<&store::ResultLine> = lines
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
    let Some(quote) = store::find_quote(conn, quote)? else {
        return Ok(());
    };
    let accepted: Vec<store::ResultLine> = lines
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
    let mut recipients = users::buyers_by_lines(conn, lot.id, true)?;
    for (s, _) in lots::invited_suppliers(conn, lot.id)? {
        recipients.extend(users::active_of(conn, None, Some(s))?);
    }
    let kind = if cancelled { "cancelled" } else { "failed" };
    let notice = Notice {
        kind,
        lot: Some(lot.id),
        once: true,
        now,
    };
    send_each(conn, ctx, each_user(&recipients), &notice, |tr, _| {
        let key = format!("failure.{reason}");
        let reason_text = if tr.t(&key) == key {
            reason.to_string()
        } else {
            tr.t(&key).to_string()
        };
        let title = [("lot", lot.title.clone())];
        let mut c = Content::new(tr, tr.f(&format!("mail.{kind}.subject"), &title))
            .paragraph(tr.f(&format!("mail.{kind}.text"), &title))
            .paragraph(format!("{}: {reason_text}", tr.t("procedure.reason")));
        c.link = lot_link(ctx, tr, lot.id);
        c
    })
    .map(|_| ())
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
        c.link = Some((
            tr.t("mail.set_password").to_string(),
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

/// A confirmed call-off, as its notices tell it.
pub struct CallOffNotice<'a> {
    pub id: i64,
    pub member: i64,
    pub member_name: String,
    pub supplier: i64,
    pub site: String,
    pub address: String,
    pub reference: String,
    pub quantity: u64,
    pub priced: &'a crate::domain::calloff::Priced,
    /// (member id, member name, credit), by name.
    pub credits: Vec<(i64, String, crate::domain::calloff::Credit)>,
}

fn money_head(tr: Tr) -> Vec<String> {
    ["results.net", "results.vat", "results.gross"]
        .iter()
        .map(|k| tr.t(k).to_string())
        .collect()
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
    let number = crate::db::frameworks::contract_id(c.id);
    let p = c.priced;
    let notice = |kind| Notice {
        kind,
        lot: Some(lot.id),
        once: false,
        now,
    };
    let buyers = users::active_of(conn, Some(c.member), None)?;
    send_each(
        conn,
        ctx,
        each_user(&buyers),
        &notice("calloff-confirmation"),
        |tr, _| {
            let vars = [
                ("lot", lot.title.clone()),
                ("number", number.clone()),
                ("quantity", tr.quantity(c.quantity)),
                ("unit", lot.unit.clone()),
                ("price", tr.price(p.unit_price)),
                ("cumulative", tr.quantity(p.cumulative_quantity)),
            ];
            let mut m = Content::new(tr, tr.f("mail.calloff.subject", &vars))
                .paragraph(tr.f("mail.calloff.text", &vars));
            m.table_head = [
                "order.site",
                "order.reference",
                "order.quantity",
                "lot.unit_price_net",
            ]
            .iter()
            .map(|k| tr.t(k).to_string())
            .chain(money_head(tr))
            .collect();
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
        },
    )?;

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
        number.clone(),
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
    let csv = csv.into_string();
    let sellers = users::active_of(conn, None, Some(c.supplier))?;
    send_each(
        conn,
        ctx,
        each_user(&sellers),
        &notice("calloff-order"),
        |tr, _| {
            let vars = [
                ("lot", lot.title.clone()),
                ("number", number.clone()),
                ("member", c.member_name.clone()),
                ("quantity", tr.quantity(c.quantity)),
                ("unit", lot.unit.clone()),
            ];
            let mut m = Content::new(tr, tr.f("mail.calloff_order.subject", &vars))
                .paragraph(tr.f("mail.calloff_order.text", &vars));
            m.table_head = [
                "results.member",
                "order.site",
                "sites.address",
                "order.quantity",
            ]
            .iter()
            .map(|k| tr.t(k).to_string())
            .collect();
            m.table_rows = vec![vec![
                c.member_name.clone(),
                c.site.clone(),
                c.address.clone(),
                tr.quantity(c.quantity),
            ]];
            m.attachment = Some((format!("abruf-{number}.csv"), csv.clone()));
            m.link = lot_link(ctx, tr, lot.id);
            m
        },
    )?;

    if c.credits.is_empty() {
        return Ok(());
    }
    for (member, name, credit) in &c.credits {
        let buyers = users::active_of(conn, Some(*member), None)?;
        send_each(
            conn,
            ctx,
            each_user(&buyers),
            &notice("credit-note"),
            |tr, _| {
                let vars = [
                    ("lot", lot.title.clone()),
                    ("member", name.clone()),
                    ("price", tr.price(p.unit_price)),
                    ("cumulative", tr.quantity(p.cumulative_quantity)),
                    ("gross", tr.money(credit.gross)),
                ];
                let mut m = Content::new(tr, tr.f("mail.credit_note.subject", &vars))
                    .paragraph(tr.f("mail.credit_note.text", &vars));
                m.table_head = money_head(tr);
                m.table_rows = vec![vec![
                    tr.money(credit.net),
                    tr.money(credit.vat),
                    tr.money(credit.gross),
                ]];
                m.link = lot_link(ctx, tr, lot.id);
                m
            },
        )?;
    }
    send_each(
        conn,
        ctx,
        each_user(&sellers),
        &notice("credit-summary"),
        |tr, _| {
            let vars = [
                ("lot", lot.title.clone()),
                ("price", tr.price(p.unit_price)),
                ("cumulative", tr.quantity(p.cumulative_quantity)),
            ];
            let mut m = Content::new(tr, tr.f("mail.credit_summary.subject", &vars))
                .paragraph(tr.f("mail.credit_summary.text", &vars));
            m.table_head = std::iter::once(tr.t("results.member").to_string())
                .chain(money_head(tr))
                .collect();
            m.table_rows = c
                .credits
                .iter()
                .map(|(_, name, credit)| {
                    vec![
                        name.clone(),
                        tr.money(credit.net),
                        tr.money(credit.vat),
                        tr.money(credit.gross),
                    ]
                })
                .collect();
            m.link = lot_link(ctx, tr, lot.id);
            m
        },
    )?;
    Ok(())
}

/// A framework ended (early by staff, or at the end of its term): each member's buyers get
/// its statement; the supplier is told.
#[allow(clippy::too_many_arguments)]
pub fn framework_ended(
    conn: &mut DbConnection,
    ctx: &MailContext,
    lot: &lots::Lot,
    supplier: i64,
    members: &[(i64, String, crate::domain::spend::Spend)],
    summary: &crate::domain::calloff::Summary,
    reason: Option<&str>,
    now: NaiveDateTime,
) -> DbResult<()> {
    let notice = |kind| Notice {
        kind,
        lot: Some(lot.id),
        once: true,
        now,
    };
    let why = |tr: Tr| match reason {
        Some(r) => tr.f("mail.framework_ended.early", &[("reason", r.to_string())]),
        None => tr.t("mail.framework_ended.term_over").to_string(),
    };
    for (member, name, s) in members {
        let buyers = users::active_of(conn, Some(*member), None)?;
        send_each(
            conn,
            ctx,
            each_user(&buyers),
            &notice("framework-statement"),
            |tr, _| {
                let vars = [("lot", lot.title.clone()), ("member", name.clone())];
                let mut m = Content::new(tr, tr.f("mail.framework_ended.subject", &vars))
                    .paragraph(why(tr))
                    .paragraph(tr.f("mail.framework_ended.statement", &vars));
                m.table_head = [
                    "order.quantity",
                    "results.net",
                    "results.vat",
                    "results.gross",
                    "framework.credited",
                    "results.saving_vs_list",
                ]
                .iter()
                .map(|k| tr.t(k).to_string())
                .collect();
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
            },
        )?;
    }
    let sellers = users::active_of(conn, None, Some(supplier))?;
    send_each(
        conn,
        ctx,
        each_user(&sellers),
        &notice("framework-ended"),
        |tr, _| {
            let vars = [
                ("lot", lot.title.clone()),
                ("quantity", tr.quantity(summary.cumulative_quantity)),
                ("unit", lot.unit.clone()),
                ("net", tr.money(summary.total_net)),
            ];
            let mut m = Content::new(tr, tr.f("mail.framework_ended.subject", &vars))
                .paragraph(why(tr))
                .paragraph(tr.f("mail.framework_ended.supplier", &vars));
            m.link = lot_link(ctx, tr, lot.id);
            m
        },
    )?;
    Ok(())
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
