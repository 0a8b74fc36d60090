//! "My organisation": a member's lots, deadlines, spend and savings per year, frameworks.

use super::error::AppError;
use super::lots::deadline_text;
use super::session::CurrentUser;
use super::{ok, AppState, Page};
use crate::app::overview::{self, Overview};
use crate::domain::ids::LotId;
use crate::domain::money::Money;
use crate::domain::spend::Spend;
use crate::export::{money, Csv};
use actix_web::http::header;
use actix_web::{web, HttpResponse};
use askama::Template;

struct LotLine {
    id: LotId,
    title: String,
    status: &'static str,
    status_label: String,
    ordered: String,
    bought: String,
    net: String,
    deadline: String,
}

struct DeadlineLine {
    lot_id: LotId,
    title: String,
    deadline: String,
}

struct YearLine {
    year: i32,
    net: String,
    gross: String,
    saving_vs_list: String,
    saving_vs_alone: String,
    credited_gross: String,
}

struct FrameworkLine {
    lot_id: LotId,
    title: String,
    calloffs: String,
    quantity: String,
    called_off: String,
    net: String,
    credited_gross: String,
    saving_vs_list: String,
}

struct UnlistedLot {
    lot_id: LotId,
    title: String,
}

#[derive(Template)]
#[template(path = "overview.html")]
struct OverviewPage {
    page: Page,
    member: String,
    is_admin: bool,
    lots: Vec<LotLine>,
    deadlines: Vec<DeadlineLine>,
    years: Vec<YearLine>,
    frameworks: Vec<FrameworkLine>,
    without_list_price: Vec<UnlistedLot>,
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
    let mut deadlines: Vec<(DeadlineLine, chrono::NaiveDateTime)> = o
        .lots
        .iter()
        .filter_map(|l| l.next_deadline.map(|d| (&l.lot, d)))
        .chain(o.open_elsewhere.iter().map(|(lot, k, at)| (lot, (*k, *at))))
        .map(|(lot, (kind, at))| {
            let line = DeadlineLine {
                lot_id: lot.id,
                title: lot.title.clone(),
                deadline: deadline_text(tr, now, kind, at),
            };
            (line, at)
        })
        .collect();
    deadlines.sort_by_key(|d| d.1);
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
                net: tr.money_or_dash(l.net),
                deadline: l
                    .next_deadline
                    .map_or_else(|| "–".into(), |(k, at)| deadline_text(tr, now, k, at)),
            })
            .collect(),
        deadlines: deadlines.into_iter().map(|d| d.0).collect(),
        years: o
            .years
            .iter()
            .map(|(year, y)| YearLine {
                year: *year,
                net: tr.money(y.net),
                gross: tr.money(y.gross),
                saving_vs_list: tr.money_or_dash(y.saving_vs_list),
                saving_vs_alone: tr.money(y.saving_vs_alone),
                credited_gross: tr.money(y.credited_gross),
            })
            .collect(),
        frameworks: o
            .frameworks
            .iter()
            .map(|f| {
                let s = &f.spend;
                // Before the award the member has bought nothing yet.
                let bought = *s != Spend::default();
                let amount = |m: Money| tr.money_or_dash(bought.then_some(m));
                FrameworkLine {
                    lot_id: f.lot_id,
                    title: f.title.clone(),
                    calloffs: s.calloffs.to_string(),
                    quantity: format!("{} {}", tr.quantity(s.quantity), f.unit),
                    called_off: format!("{} {}", tr.quantity(s.called_off), f.unit),
                    net: amount(s.net),
                    credited_gross: amount(s.credited_gross),
                    saving_vs_list: tr.money_or_dash(f.saving_vs_list.filter(|_| bought)),
                }
            })
            .collect(),
        without_list_price: o
            .without_list_price
            .iter()
            .map(|lot| UnlistedLot {
                lot_id: lot.id,
                title: lot.name.clone(),
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
        "Abrufe",
        "Abgerufen",
    ]);
    for l in &o.lots {
        csv.row([
            "Los".to_string(),
            l.lot.id.to_string(),
            l.lot.title.clone(),
            l.status.as_str().to_string(),
            l.ordered.to_string(),
            l.bought.map(|b| b.to_string()).unwrap_or_default(),
            money(l.net),
            String::new(),
            String::new(),
            String::new(),
            String::new(),
            l.next_deadline
                .map(|(_, at)| at.format("%Y-%m-%d %H:%M").to_string())
                .unwrap_or_default(),
            String::new(),
            String::new(),
        ]);
    }
    for f in &o.frameworks {
        let s = &f.spend;
        csv.row([
            "Rahmenvereinbarung".to_string(),
            f.lot_id.to_string(),
            f.title.clone(),
            String::new(),
            String::new(),
            s.quantity.to_string(),
            money(Some(s.net)),
            money(Some(s.gross)),
            money(f.saving_vs_list),
            money(Some(s.saving_vs_alone)),
            money(Some(s.credited_gross)),
            String::new(),
            s.calloffs.to_string(),
            s.called_off.to_string(),
        ]);
    }
    for (year, y) in &o.years {
        csv.row([
            "Jahr".to_string(),
            String::new(),
            year.to_string(),
            String::new(),
            String::new(),
            String::new(),
            money(Some(y.net)),
            money(Some(y.gross)),
            money(y.saving_vs_list),
            money(Some(y.saving_vs_alone)),
            money(Some(y.credited_gross)),
            String::new(),
            String::new(),
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
