//! "My organisation": a member's lots, deadlines, spend and savings per year, frameworks.

use super::error::AppError;
use super::lots::deadline_text;
use super::session::CurrentUser;
use super::{ok, AppState, Page};
use crate::app::overview::{self, Overview};
use crate::domain::money::Money;
use crate::export::{money, Csv};
use actix_web::http::header;
use actix_web::{web, HttpResponse};
use askama::Template;

struct LotLine {
    id: i64,
    title: String,
    status: &'static str,
    status_label: String,
    ordered: String,
    bought: String,
    net: String,
    deadline: String,
}

#[derive(Template)]
#[template(path = "organisation.html")]
struct OverviewPage {
    page: Page,
    member: String,
    is_admin: bool,
    lots: Vec<LotLine>,
    deadlines: Vec<(i64, String, String)>,
    years: Vec<(i32, String, String, String, String, String)>,
    frameworks: Vec<(i64, String, String, String, String)>,
}

async fn load(state: &AppState, user: &CurrentUser) -> Result<Overview, AppError> {
    let (actor, now) = (user.user.clone(), state.now());
    state
        .read(move |conn| overview::overview(conn, &actor, now))
        .await
}

pub async fn show(state: web::Data<AppState>, user: CurrentUser) -> Result<HttpResponse, AppError> {
    let o = load(&state, &user).await?;
    let tr = user.tr();
    let now = state.now();
    let cents = |c: i64| tr.money(Money::from_cents(c));
    let mut deadlines: Vec<(i64, String, String, chrono::NaiveDateTime)> = o
        .lots
        .iter()
        .filter_map(|l| {
            l.next_deadline.map(|(k, at)| {
                (
                    l.lot.id,
                    l.lot.title.clone(),
                    deadline_text(tr, now, k, at),
                    at,
                )
            })
        })
        .chain(o.open_elsewhere.iter().map(|(lot, k, at)| {
            (
                lot.id,
                lot.title.clone(),
                deadline_text(tr, now, k, *at),
                *at,
            )
        }))
        .collect();
    deadlines.sort_by_key(|d| d.3);
    ok(&OverviewPage {
        page: Page::for_user(&user, tr.t("overview.title"), None),
        member: o.member_name.clone(),
        is_admin: o.is_admin,
        lots: o
            .lots
            .iter()
            .map(|l| LotLine {
                id: l.lot.id,
                title: l.lot.title.clone(),
                status: l.status.as_str(),
                status_label: tr.t(&format!("status.{}", l.status.as_str())).to_string(),
                ordered: format!("{} {}", tr.quantity(l.ordered), l.lot.unit),
                bought: l.bought.map_or_else(
                    || "–".into(),
                    |b| format!("{} {}", tr.quantity(b), l.lot.unit),
                ),
                net: l.net.map_or_else(|| "–".into(), cents),
                deadline: l
                    .next_deadline
                    .map_or_else(|| "–".into(), |(k, at)| deadline_text(tr, now, k, at)),
            })
            .collect(),
        deadlines: deadlines
            .into_iter()
            .map(|(id, t, d, _)| (id, t, d))
            .collect(),
        years: o
            .years
            .iter()
            .map(|(y, v)| {
                (
                    *y,
                    cents(v.net),
                    cents(v.gross),
                    cents(v.saving_vs_list),
                    cents(v.saving_vs_alone),
                    cents(v.credited_gross),
                )
            })
            .collect(),
        frameworks: o
            .frameworks
            .iter()
            .map(|f| {
                (
                    f.lot_id,
                    f.title.clone(),
                    f.calloffs.to_string(),
                    tr.quantity(f.called_off),
                    cents(f.credited_gross),
                )
            })
            .collect(),
    })
}

/// The overview as CSV: a row per lot and a row per year.
pub async fn csv(state: web::Data<AppState>, user: CurrentUser) -> Result<HttpResponse, AppError> {
    let o = load(&state, &user).await?;
    let mut csv = Csv::new(&[
        "Art",
        "Los",
        "Titel",
        "Status",
        "Bestellt",
        "Gekauft",
        "Netto",
        "Brutto",
        "Ersparnis ggü. Listenpreis",
        "Ersparnis durch Bündelung",
        "Gutschriften brutto",
        "Nächste Frist (UTC)",
    ]);
    for l in &o.lots {
        csv.row([
            "Los".to_string(),
            l.lot.id.to_string(),
            l.lot.title.clone(),
            l.status.as_str().to_string(),
            l.ordered.to_string(),
            l.bought.map(|b| b.to_string()).unwrap_or_default(),
            money(l.net.map(Money::from_cents)),
            String::new(),
            String::new(),
            String::new(),
            String::new(),
            l.next_deadline
                .map(|(_, at)| at.format("%Y-%m-%d %H:%M").to_string())
                .unwrap_or_default(),
        ]);
    }
    for (year, y) in &o.years {
        let m = |c: i64| money(Some(Money::from_cents(c)));
        csv.row([
            "Jahr".to_string(),
            String::new(),
            year.to_string(),
            String::new(),
            String::new(),
            String::new(),
            m(y.net),
            m(y.gross),
            m(y.saving_vs_list),
            m(y.saving_vs_alone),
            m(y.credited_gross),
            String::new(),
        ]);
    }
    Ok(HttpResponse::Ok()
        .content_type("text/csv; charset=utf-8")
        .insert_header((
            header::CONTENT_DISPOSITION,
            "attachment; filename=\"uebersicht.csv\"",
        ))
        .body(csv.into_string()))
}
