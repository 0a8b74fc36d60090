//! The lots everyone concerned sees: the list, and a lot's page with the live bundle.

use super::error::AppError;
use super::session::{self, CurrentUser};
use super::{ok, AppState, NoticeQuery, Page};
use crate::db::{lots, orders, orgs};
use crate::domain::account::Role;
use crate::domain::lot::{Category, LotStatus, Progress};
use crate::i18n::Tr;
use actix_web::{web, HttpResponse};
use askama::Template;
use chrono::{DateTime, Utc};

/// A lot as a page shows it, every value already formatted.
pub struct LotView {
    pub id: i64,
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
    pub standstill_days: i64,
    pub status: &'static str,
    pub status_label: String,
    pub tiers: Vec<(String, String)>,
}

impl LotView {
    pub fn new(
        lot: &lots::Lot,
        tiers: &[crate::domain::lot::IndicativeTier],
        tr: Tr,
        now: DateTime<Utc>,
    ) -> Self {
        let status = lot.status_at(now);
        let category = Category::parse(&lot.category).map_or("", |c| c.as_str());
        LotView {
            id: lot.id,
            title: lot.title.clone(),
            specification: lot.specification.clone(),
            category: tr.t(&format!("category.{category}")).to_string(),
            unit: lot.unit.clone(),
            order_increment: tr.quantity(lot.increment()),
            increment_value: lot.increment(),
            min_total: tr.quantity(u64::try_from(lot.min_total_quantity).unwrap_or(0)),
            list_price: lot.list_price().map(|p| tr.price(p)),
            vat: lot.vat().percent_de(),
            demand_deadline: tr.datetime(lot.demand_deadline),
            quote_deadline: tr.datetime(lot.quote_deadline),
            standstill_days: lot.standstill_days,
            status: status.as_str(),
            status_label: tr.t(&format!("status.{}", status.as_str())).to_string(),
            tiers: tiers
                .iter()
                .map(|t| (tr.quantity(t.min_quantity), tr.price(t.unit_price)))
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
    pub id: i64,
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
    pub site: i64,
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
    pub sites: Vec<(i64, String)>,
    pub form: OrderForm,
    pub invited: Vec<String>,
    /// Suppliers staff may still invite (while suppliers can quote).
    pub invitable: Vec<(i64, String)>,
    pub can_edit: bool,
    pub procedure: super::procurement::ProcedureView,
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

/// Loads a lot if this user may see it; otherwise "not found", so that nobody learns which
/// lots exist beyond their own.
pub fn visible_lot(
    conn: &mut crate::db::DbConnection,
    user: &CurrentUser,
    id: i64,
) -> Result<lots::Lot, AppError> {
    let lot = lots::find(conn, id)?.ok_or(AppError::NotFound)?;
    let visible = match user.role {
        Role::Staff => true,
        Role::Buyer => lot.stored_status().visible_to_members(),
        Role::Supplier => {
            lot.stored_status().visible_to_members()
                && lots::is_invited(conn, id, user.supplier_id()?)?
        }
    };
    if visible {
        Ok(lot)
    } else {
        Err(AppError::NotFound)
    }
}

/// Builds a lot's page for this user, with the order form as given.
pub async fn lot_page(
    state: &AppState,
    user: &CurrentUser,
    id: i64,
    form: Option<OrderForm>,
    notice: Option<&str>,
) -> Result<LotPage, AppError> {
    let now = state.now();
    let viewer = user.clone();
    let (lot, tiers, (total, members), lines, sites, (invited, invitable), procedure) = state
        .db(move |conn| {
            let lot = visible_lot(conn, &viewer, id)?;
            let procedure = super::procurement::procedure_view(conn, &viewer, &lot, now)?;
            let tiers = lots::indicative_tiers(conn, id)?;
            let totals = lots::totals(conn, id)?;
            let (lines, sites) = match viewer.role {
                Role::Buyer => {
                    let member = viewer.member_id()?;
                    (
                        orders::lines_of_member(conn, id, member)?,
                        orgs::sites_of(conn, member)?,
                    )
                }
                _ => (Vec::new(), Vec::new()),
            };
            let invitable = if viewer.role == Role::Staff
                && matches!(lot.stored_status(), LotStatus::Open | LotStatus::Closed)
                && now < lot.quote_deadline.and_utc()
            {
                let invited: Vec<i64> = lots::invited_suppliers(conn, id)?
                    .into_iter()
                    .map(|(s, _)| s)
                    .collect();
                orgs::list_suppliers(conn)?
                    .into_iter()
                    .filter(|s| !invited.contains(&s.id))
                    .map(|s| (s.id, s.name))
                    .collect()
            } else {
                Vec::new()
            };
            let invited = if viewer.role == Role::Staff {
                lots::invited_suppliers(conn, id)?
            } else {
                Vec::new()
            };
            Ok((
                lot,
                tiers,
                totals,
                lines,
                sites,
                (invited, invitable),
                procedure,
            ))
        })
        .await?;
    let tr = user.tr();
    let view = LotView::new(&lot, &tiers, tr, now);
    let progress = Progress::new(
        total,
        u64::try_from(lot.min_total_quantity).unwrap_or(0),
        &tiers,
    );
    let is_buyer = user.role == Role::Buyer;
    let own_total: u64 = lines
        .iter()
        .map(|l| u64::try_from(l.line.quantity).unwrap_or(0))
        .sum();
    let mut form = form.unwrap_or_default();
    if form.idempotency_key.is_empty() {
        form.idempotency_key = session::idempotency_key();
    }
    Ok(LotPage {
        page: Page::for_user(user, &lot.title, notice),
        progress: ProgressView::new(&progress, members, &lot.unit, tr),
        is_buyer,
        can_order: is_buyer && lot.status_at(now) == LotStatus::Open,
        lines: lines
            .into_iter()
            .map(|l| OwnLine {
                id: l.line.id,
                quantity: tr.quantity(u64::try_from(l.line.quantity).unwrap_or(0)),
                limit: l.line.limit().map(|p| tr.price(p)),
                reference: l.line.reference.clone(),
                placed_at: tr.datetime(l.line.placed_at),
                site: l.site_name,
            })
            .collect(),
        own_total: tr.quantity(own_total),
        sites: sites
            .into_iter()
            .filter(|s| s.active)
            .map(|s| (s.id, s.name))
            .collect(),
        form,
        invited: invited.into_iter().map(|(_, name)| name).collect(),
        invitable,
        can_edit: user.role == Role::Staff && lot.stored_status() == LotStatus::Draft,
        procedure,
        lot: view,
    })
}

pub async fn show(
    state: web::Data<AppState>,
    user: CurrentUser,
    path: web::Path<i64>,
    query: web::Query<NoticeQuery>,
) -> Result<HttpResponse, AppError> {
    let page = lot_page(
        &state,
        &user,
        path.into_inner(),
        None,
        query.notice.as_deref(),
    )
    .await?;
    ok(&page)
}

/// One row of the lot list.
pub struct LotRow {
    pub id: i64,
    pub title: String,
    pub category: String,
    pub status: &'static str,
    pub status_label: String,
    pub demand_deadline: String,
    pub total: String,
    pub unit: String,
    pub members: u64,
}

#[derive(Template)]
#[template(path = "lots.html")]
struct LotsPage {
    page: Page,
    rows: Vec<LotRow>,
}

pub async fn list(
    state: web::Data<AppState>,
    user: CurrentUser,
    query: web::Query<NoticeQuery>,
) -> Result<HttpResponse, AppError> {
    let viewer = user.clone();
    let found = state
        .db(move |conn| {
            let lots = match viewer.role {
                Role::Staff => lots::list_all(conn)?,
                Role::Buyer => lots::list_for_members(conn)?,
                Role::Supplier => lots::list_for_supplier(conn, viewer.supplier_id()?)?,
            };
            lots.into_iter()
                .map(|lot| {
                    let totals = lots::totals(conn, lot.id)?;
                    Ok((lot, totals))
                })
                .collect::<Result<Vec<_>, AppError>>()
        })
        .await?;
    let tr = user.tr();
    let now = state.now();
    let rows = found
        .into_iter()
        .map(|(lot, (total, members))| {
            let status = lot.status_at(now);
            LotRow {
                id: lot.id,
                category: tr
                    .t(&format!(
                        "category.{}",
                        Category::parse(&lot.category).map_or("", |c| c.as_str())
                    ))
                    .to_string(),
                status: status.as_str(),
                status_label: tr.t(&format!("status.{}", status.as_str())).to_string(),
                demand_deadline: tr.datetime(lot.demand_deadline),
                total: tr.quantity(total),
                unit: lot.unit.clone(),
                members,
                title: lot.title,
            }
        })
        .collect();
    ok(&LotsPage {
        page: Page::for_user(&user, user.tr().t("lots.title"), query.notice.as_deref()),
        rows,
    })
}
