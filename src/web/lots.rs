//! The lot list everyone concerned sees, with each lot's live bundle and next deadline.

use super::error::AppError;
use super::session::Visitor;
use super::{category_choices, ok, AppState, Choice, Page};
use crate::app::lots as lot_data;
use crate::domain::account::Role;
use crate::domain::ids::LotId;
use crate::domain::lot::{next_deadline, LotFilter, LotStatus};
use actix_web::{web, HttpResponse};
use askama::Template;

/// A deadline as lists show it: what it is for, when, and the time left when near.
pub(crate) fn deadline_text(
    tr: crate::i18n::Tr,
    now: chrono::DateTime<chrono::Utc>,
    kind: &str,
    at: chrono::NaiveDateTime,
) -> String {
    let what = tr.t(&format!("lot.{kind}_deadline")).to_string();
    match tr.time_left(now, at) {
        Some(left) => format!("{what}: {} ({left})", tr.datetime(at)),
        None => format!("{what}: {}", tr.datetime(at)),
    }
}

/// One row of the lot list.
pub struct LotRow {
    pub id: LotId,
    pub title: String,
    pub category: String,
    pub status: &'static str,
    pub status_label: String,
    /// The next deadline with what it is for and the time left, or "–".
    pub next_deadline: String,
    pub total: String,
    pub unit: String,
    pub members: u64,
}

#[derive(Template)]
#[template(path = "lots.html")]
struct LotsPage {
    page: Page,
    rows: Vec<LotRow>,
    /// The filter as typed, and the choices for its drop-downs.
    status: String,
    category: String,
    search: String,
    statuses: Vec<Choice<&'static str>>,
    categories: Vec<Choice<&'static str>>,
    filtered: bool,
    all: usize,
}

#[derive(serde::Deserialize)]
pub struct LotsQuery {
    notice: Option<String>,
    #[serde(default)]
    status: String,
    #[serde(default)]
    category: String,
    #[serde(default)]
    q: String,
}

pub async fn list(
    state: web::Data<AppState>,
    visitor: Visitor,
    query: web::Query<LotsQuery>,
) -> Result<HttpResponse, AppError> {
    let (user, found) = visitor.read(lot_data::list).await?;
    let all = found.len();
    let tr = user.tr();
    let now = state.now();
    let filter = LotFilter::parse(&query.status, &query.category, &query.q);
    let rows = found
        .into_iter()
        .filter(|listed| {
            let lot = &listed.lot;
            filter.matches(&lot.title, lot.category, lot.status_at(now))
        })
        .map(|listed| {
            let lot = listed.lot;
            let status = lot.status_at(now);
            let next_deadline = next_deadline(now, lot.demand_deadline, lot.quote_deadline)
                .map_or_else(
                    || "–".to_string(),
                    |(kind, at)| deadline_text(tr, now, kind, at),
                );
            LotRow {
                id: lot.id,
                category: tr
                    .t(&format!("category.{}", lot.category.as_str()))
                    .to_string(),
                status: status.as_str(),
                status_label: tr.t(&format!("status.{}", status.as_str())).to_string(),
                next_deadline,
                total: tr.quantity(listed.total),
                unit: lot.unit.clone(),
                members: listed.members,
                title: lot.title,
            }
        })
        .collect();
    let statuses = LotStatus::ALL
        .iter()
        .filter(|s| user.role == Role::Staff || s.visible_to_members())
        .map(|s| Choice::new(s.as_str(), tr.t(&format!("status.{}", s.as_str()))))
        .collect();
    let categories = category_choices(tr);
    ok(&LotsPage {
        page: Page::for_user(&user, user.tr().t("lots.title"), query.notice.as_deref()),
        rows,
        status: filter
            .status
            .map(|s| s.as_str().to_string())
            .unwrap_or_default(),
        category: filter
            .category
            .map(|c| c.as_str().to_string())
            .unwrap_or_default(),
        search: query.q.chars().take(200).collect(),
        statuses,
        categories,
        filtered: !filter.is_empty(),
        all,
    })
}
