//! A framework's emails: each call-off's confirmation, purchase order, credit notes and
//! the supplier's credit summary, and the statements when it ends.

use super::{dash_if_empty, each_user, lot_link, send_each, DbResult, Notice};
use crate::db::{lots, users, DbConnection};
use crate::i18n::Tr;
use crate::mail::{Content, MailContext};
use chrono::NaiveDateTime;

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
    pub priced: &'a crate::domain::framework::Priced,
    /// (member id, member name, credit), by name.
    pub credits: Vec<(i64, String, crate::domain::framework::Credit)>,
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
    // The supplier's total is the members' statements added up.
    let called_off: u64 = members.iter().map(|(_, _, s)| s.quantity).sum();
    let net: crate::domain::money::Money = members.iter().map(|(_, _, s)| s.net).sum();
    let sellers = users::active_of(conn, None, Some(supplier))?;
    send_each(
        conn,
        ctx,
        each_user(&sellers),
        &notice("framework-ended"),
        |tr, _| {
            let vars = [
                ("lot", lot.title.clone()),
                ("quantity", tr.quantity(called_off)),
                ("unit", lot.unit.clone()),
                ("net", tr.money(net)),
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
