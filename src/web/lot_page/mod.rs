//! What a lot's page shows to each user, every value already formatted: the lot and its
//! bundle, a buyer's order form and own lines, the procurement part, a framework's state.

pub mod framework;
pub mod procedure;
pub mod quote_form;

use super::error::AppError;
use super::session::{self, CurrentUser, Visitor};
use super::{ok, AppState, Choice, Page};
use crate::app::lot_page::{self, LotPageData};
use crate::app::lots::Lot;
use crate::domain::account::Role;
use crate::domain::ids::{LineId, LotId, SiteId, SupplierId};
use crate::domain::lot::Progress;
use crate::i18n::Tr;
use actix_web::{web, HttpResponse};
use askama::Template;
use chrono::{DateTime, Utc};

/// A lot as a page shows it, every value already formatted.
pub struct LotView {
    pub id: LotId,
    pub title: String,
    pub specification: String,
    pub category: String,
    pub unit: String,
    pub order_increment: String,
    pub increment_value: u64,
    pub min_total: String,
    pub list_price: Option<String>,
    pub vat: String,
    pub demand_deadline: String,
    pub quote_deadline: String,
    /// The time left, near a deadline.
    pub demand_left: Option<String>,
    pub quote_left: Option<String>,
    pub standstill_days: u64,
    pub status: &'static str,
    pub status_label: String,
    pub tiers: Vec<crate::web::admin::TierRow>,
}

impl LotView {
    pub fn new(
        lot: &Lot,
        tiers: &[crate::domain::lot::IndicativeTier],
        tr: Tr,
        now: DateTime<Utc>,
    ) -> Self {
        let status = lot.status_at(now);
        let category = lot.category.as_str();
        LotView {
            id: lot.id,
            title: lot.title.clone(),
            specification: lot.specification.clone(),
            category: tr.t(&format!("category.{category}")).to_string(),
            unit: lot.unit.clone(),
            order_increment: tr.quantity(lot.order_increment),
            increment_value: lot.order_increment,
            min_total: tr.quantity(lot.min_total_quantity),
            list_price: lot.list_unit_price.map(|p| tr.price(p)),
            vat: lot.vat_rate.percent_de(),
            demand_deadline: tr.datetime(lot.demand_deadline),
            quote_deadline: tr.datetime(lot.quote_deadline),
            demand_left: tr.time_left(now, lot.demand_deadline),
            quote_left: tr.time_left(now, lot.quote_deadline),
            standstill_days: lot.standstill_days,
            status: status.as_str(),
            status_label: tr.t(&format!("status.{}", status.as_str())).to_string(),
            tiers: tiers
                .iter()
                .map(|t| {
                    crate::web::admin::TierRow::new(
                        tr.quantity(t.min_quantity),
                        tr.price(t.unit_price),
                    )
                })
                .collect(),
        }
    }
}

/// The bundle's progress as shown: numbers and sentences.
pub struct ProgressView {
    pub total: String,
    pub members: u64,
    pub min_total: String,
    pub min_percent: u64,
    pub has_min: bool,
    pub next_tier_text: Option<String>,
    pub tier_percent: u64,
    pub reached_text: Option<String>,
}

impl ProgressView {
    pub fn new(progress: &Progress, members: u64, unit: &str, tr: Tr) -> Self {
        ProgressView {
            total: tr.quantity(progress.total),
            members,
            min_total: tr.quantity(progress.min_total),
            min_percent: progress.min_percent,
            has_min: progress.min_total > 0,
            next_tier_text: progress.next_tier.map(|(tier, missing)| {
                tr.f(
                    "progress.next_tier",
                    &[
                        ("missing", tr.quantity(missing)),
                        ("unit", unit.to_string()),
                        ("min", tr.quantity(tier.min_quantity)),
                        ("price", tr.price(tier.unit_price)),
                    ],
                )
            }),
            tier_percent: progress.tier_percent,
            reached_text: progress.reached_tier.map(|tier| {
                tr.f(
                    "progress.reached_tier",
                    &[
                        ("min", tr.quantity(tier.min_quantity)),
                        ("unit", unit.to_string()),
                        ("price", tr.price(tier.unit_price)),
                    ],
                )
            }),
        }
    }
}

/// One of the member's own order lines.
pub struct OwnLine {
    pub id: LineId,
    pub quantity: String,
    pub site: String,
    pub limit: Option<String>,
    pub reference: String,
    pub placed_at: String,
}

/// The order form's values and messages (empty for a fresh form).
#[derive(Default)]
pub struct OrderForm {
    pub quantity: String,
    pub site: SiteId,
    pub max_unit_price: String,
    pub reference: String,
    pub idempotency_key: String,
    pub errors: Vec<String>,
}

#[derive(Template)]
#[template(path = "lot.html")]
pub struct LotPage {
    pub page: Page,
    pub lot: LotView,
    pub progress: ProgressView,
    pub is_buyer: bool,
    pub can_order: bool,
    pub lines: Vec<OwnLine>,
    pub own_total: String,
    /// When the own lines are shown a page at a time: how many of how many.
    pub own_lines_note: Option<String>,
    /// The link to the next page of own lines.
    pub more_lines: Option<String>,
    pub sites: Vec<Choice<SiteId>>,
    pub form: OrderForm,
    pub invited: Vec<String>,
    /// Suppliers staff may still invite (while suppliers can quote).
    pub invitable: Vec<Choice<SupplierId>>,
    pub can_edit: bool,
    /// Staff may open the draft for orders (its demand deadline is still ahead).
    pub can_open: bool,
    pub procedure: procedure::ProcedureView,
    pub framework: Option<framework::FrameworkView>,
    pub is_staff: bool,
}

impl LotPage {
    fn lot_unit_hint(&self) -> &str {
        &self.lot.unit
    }

    fn quantity_hint(&self) -> String {
        self.page.tr.f(
            "order.quantity_hint",
            &[("n", self.lot.order_increment.clone())],
        )
    }
}

/// Builds a lot's page for this user, with the order form as given.
pub async fn lot_page(
    state: &AppState,
    user: &CurrentUser,
    id: LotId,
    form: Option<OrderForm>,
    notice: Option<&str>,
) -> Result<LotPage, AppError> {
    let now = state.now();
    let actor = user.user.clone();
    let data = state
        .read(move |conn| lot_page::page(conn, &actor, id, now, None))
        .await?;
    Ok(build_lot_page(user, &data, now, form, notice, None))
}

/// The lot's page from its data, showing the buyer's own lines after line `lines_after`.
fn build_lot_page(
    user: &CurrentUser,
    data: &LotPageData,
    now: DateTime<Utc>,
    form: Option<OrderForm>,
    notice: Option<&str>,
    lines_after: Option<LineId>,
) -> LotPage {
    let id = data.lot.id;
    let tr = user.tr();
    let lot = &data.lot;
    let view = LotView::new(lot, &data.tiers, tr, now);
    let progress = Progress::new(data.total, lot.min_total_quantity, &data.tiers);
    let is_buyer = user.role == Role::Buyer;
    let (own_total, own_line_count) = data.own_totals;
    let mut form = form.unwrap_or_default();
    if form.idempotency_key.is_empty() {
        form.idempotency_key = session::idempotency_key();
    }
    LotPage {
        page: Page::for_user(user, &lot.title, notice),
        progress: ProgressView::new(&progress, data.members, &lot.unit, tr),
        is_buyer,
        can_order: is_buyer && data.state.takes_orders_at(now),
        lines: data
            .own_lines
            .iter()
            .map(|l| OwnLine {
                id: l.line.id,
                quantity: tr.quantity(l.line.quantity),
                limit: l.line.max_unit_price.map(|p| tr.price(p)),
                reference: l.line.reference.clone(),
                placed_at: tr.datetime(l.line.placed_at),
                site: l.site_name.clone(),
            })
            .collect(),
        own_total: tr.quantity(own_total),
        own_lines_note: (data.more_lines_after.is_some() || lines_after.is_some()).then(|| {
            tr.f(
                "order.own_lines_paged",
                &[
                    ("shown", data.own_lines.len().to_string()),
                    ("all", tr.quantity(own_line_count)),
                ],
            )
        }),
        more_lines: data
            .more_lines_after
            .map(|after| format!("/lots/{id}?lines_after={after}#own-heading")),
        sites: data
            .sites
            .iter()
            .filter(|s| s.active)
            .map(|s| Choice::new(s.id, s.name.clone()))
            .collect(),
        form,
        invited: data.invited.iter().map(|s| s.name.clone()).collect(),
        invitable: data
            .invitable
            .iter()
            .map(|s| Choice::new(s.id, s.name.clone()))
            .collect(),
        can_edit: user.role == Role::Staff && data.state.can_edit_terms(),
        can_open: user.role == Role::Staff && data.state.can_open_for_orders(now),
        procedure: procedure::ProcedureView::new(tr, data),
        framework: framework::FrameworkView::new(
            tr,
            &lot.unit,
            data.framework_terms,
            data.framework.as_ref(),
        ),
        is_staff: user.role == Role::Staff,
        lot: view,
    }
}

#[derive(serde::Deserialize)]
pub struct LotQuery {
    notice: Option<String>,
    lines_after: Option<LineId>,
}

pub async fn show(
    state: web::Data<AppState>,
    visitor: Visitor,
    path: web::Path<LotId>,
    query: web::Query<LotQuery>,
) -> Result<HttpResponse, AppError> {
    let (id, lines_after, now) = (path.into_inner(), query.lines_after, state.now());
    let (user, data) = visitor.read_lot(id, lines_after, now).await?;
    ok(&build_lot_page(
        &user,
        &data,
        now,
        None,
        query.notice.as_deref(),
        lines_after,
    ))
}
