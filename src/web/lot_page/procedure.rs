//! The procurement part of a lot's page: the opening, the award, results and what was bought.
use super::quote_form::QuoteFormView;
use crate::app::lot_page::{LotPageData, MemberTotal, ResultLine, ResultsFor};
use crate::domain::rules::{OpeningRefusal, OpeningStep};
use crate::i18n::Tr;

/// One of the supplier's own quote revisions.
pub struct OwnQuote {
    pub id: crate::domain::ids::QuoteId,
    pub revision: i64,
    pub receipt: String,
    pub digest: String,
    pub submitted_at: String,
}

/// One priced line as a member or the winning supplier reads it.
pub struct ResultView {
    pub member: String,
    pub site: String,
    pub address: String,
    pub reference: String,
    pub status: String,
    pub quantity: String,
    pub unit_price: String,
    pub net: String,
    pub vat: String,
    pub gross: String,
}

/// One member's totals and savings.
pub struct MemberTotalView {
    pub member: String,
    pub quantity: String,
    pub net: String,
    pub vat: String,
    pub gross: String,
    pub saving_vs_list: String,
    pub saving_vs_alone: String,
}

/// The procurement part of a lot's page, as far as this user may see it.
#[derive(Default)]
pub struct ProcedureView {
    pub quote_count: Option<i64>,
    pub opening_requested_by: Option<String>,
    /// Staff: the opening button this person may press (request or confirm).
    pub can_request_opening: bool,
    pub can_confirm_opening: bool,
    /// Staff: this person asked for the opening and waits for a second person.
    pub waiting_for_second_person: bool,
    pub opened: Option<String>,
    pub show_evaluation_link: bool,
    pub award: Option<String>,
    pub can_revoke: bool,
    pub can_cancel: bool,
    pub outcome: Option<String>,
    pub quote_form: Option<QuoteFormView>,
    pub own_quotes: Vec<OwnQuote>,
    pub results: Vec<ResultView>,
    pub totals: Vec<MemberTotalView>,
    pub csv_link: Option<String>,
    /// The page shows only the first results; the download has them all.
    pub results_cut: bool,
    pub bought: Option<BoughtView>,
}

/// One row of ordered beside bought: the whole bundle, or the buyer's own organisation.
pub struct BoughtRow {
    pub who: String,
    pub ordered: String,
    pub bought: String,
    pub not_bought: String,
}

/// Ordered beside bought, and whether lines dropped out.
pub struct BoughtView {
    pub rows: Vec<BoughtRow>,
    pub any_dropped: bool,
}

impl BoughtView {
    fn new(tr: Tr, page: &LotPageData) -> Option<Self> {
        let bought = page.procedure.bought?;
        let unit = &page.lot.unit;
        let row = |who: &str, ordered: u64, bought: u64| BoughtRow {
            who: tr.t(who).to_string(),
            ordered: format!("{} {unit}", tr.quantity(ordered)),
            bought: format!("{} {unit}", tr.quantity(bought)),
            not_bought: format!("{} {unit}", tr.quantity(ordered.saturating_sub(bought))),
        };
        let mut rows = vec![row("bought.all", page.total, bought.total)];
        let mut any_dropped = page.total > bought.total;
        if let Some(own) = bought.own {
            rows.push(row("bought.own", page.own_totals.0, own));
            any_dropped |= page.own_totals.0 > own;
        }
        Some(BoughtView { rows, any_dropped })
    }
}

fn result_view(tr: Tr, r: &ResultLine) -> ResultView {
    let price = r.result.price;
    ResultView {
        member: r.member.clone(),
        site: r.site.clone(),
        address: r.address.clone(),
        reference: r.reference.clone(),
        status: tr.line_status(r.result.status).to_string(),
        quantity: tr.quantity(r.result.quantity),
        unit_price: price.map_or_else(|| "–".into(), |p| tr.price(p.unit_price)),
        net: tr.money_or_dash(price.map(|p| p.net)),
        vat: tr.money_or_dash(price.map(|p| p.vat)),
        gross: tr.money_or_dash(price.map(|p| p.gross)),
    }
}

fn member_total_view(tr: Tr, total: &MemberTotal) -> MemberTotalView {
    let m = &total.result;
    MemberTotalView {
        member: total.member.clone(),
        quantity: tr.quantity(m.quantity),
        net: tr.money(m.net),
        vat: tr.money(m.vat),
        gross: tr.money(m.gross),
        saving_vs_list: tr.money_or_dash(m.saving_vs_list),
        saving_vs_alone: tr.money_or_dash(m.saving_vs_alone),
    }
}

impl ProcedureView {
    pub fn new(tr: Tr, page: &LotPageData) -> Self {
        let data = &page.procedure;
        let lot = page.lot.id;
        let outcome = data.outcome_reason.as_ref().map(|reason| {
            let key = format!("failure.{reason}");
            let text = tr.t(&key);
            // Staff's own cancellation reasons are shown as written.
            if text == key {
                reason.clone()
            } else {
                text.to_string()
            }
        });
        let award = data.award.as_ref().map(|a| {
            let conclusion = a
                .standstill_ends_at
                .map(|t| crate::i18n::date(tr, t))
                .unwrap_or_default();
            tr.f(
                "award.text",
                &[("supplier", a.supplier.clone()), ("date", conclusion)],
            )
        });
        ProcedureView {
            bought: BoughtView::new(tr, page),
            quote_count: data.quote_count,
            opening_requested_by: data.opening_requested_by.clone(),
            can_request_opening: data.opening == Some(Ok(OpeningStep::Request)),
            can_confirm_opening: matches!(data.opening, Some(Ok(OpeningStep::Confirm { .. }))),
            waiting_for_second_person: data.opening
                == Some(Err(OpeningRefusal::WaitingForSecondPerson)),
            opened: data.opened.as_ref().map(|(first, second, at)| {
                tr.f(
                    "opening.done",
                    &[
                        ("first", first.clone()),
                        ("second", second.clone()),
                        ("at", tr.datetime(*at)),
                    ],
                )
            }),
            show_evaluation_link: data.evaluation_visible,
            award,
            can_revoke: data.can_revoke,
            can_cancel: data.can_cancel,
            outcome,
            quote_form: data.takes_quotes.then(QuoteFormView::empty),
            own_quotes: data
                .own_quotes
                .iter()
                .map(|q| OwnQuote {
                    id: q.id,
                    revision: q.revision,
                    receipt: q.receipt_number.clone(),
                    digest: q.digest.clone(),
                    submitted_at: tr.datetime(q.submitted_at),
                })
                .collect(),
            results: data.results.iter().map(|r| result_view(tr, r)).collect(),
            totals: data
                .totals
                .iter()
                .map(|m| member_total_view(tr, m))
                .collect(),
            results_cut: data.results_cut,
            csv_link: data.results_for.map(|whose| match whose {
                ResultsFor::Staff => format!("/admin/lots/{lot}/allocation.csv"),
                ResultsFor::Member => format!("/lots/{lot}/lines.csv"),
                ResultsFor::Winner => format!("/lots/{lot}/purchase-order.csv"),
            }),
        }
    }
}
