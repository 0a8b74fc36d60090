//! A buyer's call-off (preview, then confirm), staff ending a framework early, and the
//! framework's records as CSV and as a `sammelkauf calloffs` scenario.

pub mod upload;

use crate::app::frameworks::{self, CallOffError, CallOffRequest, Preview};
use crate::db::frameworks::contract_id;
use crate::domain::framework::Refusal;
use crate::domain::ids::{LotId, SiteId};
use crate::domain::pricing::PricingMode;
use crate::export::{money, price, Csv};
use crate::i18n::Tr;
use crate::web::error::AppError;
use crate::web::session::{self, CurrentUser, Form};
use crate::web::{redirect, render, AppState, Choice, Page};
use actix_web::http::{header, StatusCode};
use actix_web::{web, HttpResponse};
use askama::Template;
use serde::Deserialize;

#[derive(Deserialize)]
pub struct CallOffFields {
    #[serde(default)]
    quantity: String,
    #[serde(default)]
    site: String,
    #[serde(default)]
    reference: String,
    #[serde(default)]
    idempotency_key: String,
}

impl CallOffFields {
    fn request(&self) -> CallOffRequest {
        CallOffRequest {
            quantity: self.quantity.clone(),
            site: self.site.clone(),
            reference: self.reference.clone(),
        }
    }
}

/// The call-off page: the form (again, with messages) and, once it checks out, the exact
/// price and credits with the button that confirms.
#[derive(Template)]
#[template(path = "calloff.html")]
struct CallOffPage {
    page: Page,
    lot_id: LotId,
    lot_title: String,
    unit: String,
    quantity: String,
    site: SiteId,
    reference: String,
    idempotency_key: String,
    sites: Vec<Choice<SiteId>>,
    errors: Vec<String>,
    preview: Option<PreviewView>,
}

struct PreviewView {
    site: String,
    quantity: String,
    unit_price: String,
    net: String,
    vat: String,
    gross: String,
    cumulative: String,
    graduated: bool,
    credits: Vec<PreviewCredit>,
    own_credit: Option<String>,
}

/// A member credited by the call-off: its own name, or how many others are credited.
struct PreviewCredit {
    member: String,
    net: String,
    vat: String,
    gross: String,
}

fn preview_view(tr: Tr, unit: &str, p: &Preview) -> PreviewView {
    PreviewView {
        site: p.site.name.clone(),
        quantity: format!("{} {unit}", tr.quantity(p.quantity)),
        unit_price: tr.price(p.priced.unit_price),
        net: tr.money(p.priced.net),
        vat: tr.money(p.priced.vat),
        gross: tr.money(p.priced.gross),
        cumulative: format!("{} {unit}", tr.quantity(p.priced.cumulative_quantity)),
        graduated: false,
        credits: p
            .credits
            .iter()
            .map(|(name, c)| PreviewCredit {
                member: name.clone(),
                net: tr.money(c.net),
                vat: tr.money(c.vat),
                gross: tr.money(c.gross),
            })
            .collect(),
        own_credit: p.own_credit.as_ref().map(|c| tr.money(c.gross)),
    }
}

/// What the contract's refusal says to the buyer.
pub(super) fn refusal_key(refusal: Refusal) -> &'static str {
    match refusal {
        Refusal::OutsideTerm => "framework.outside_term",
        Refusal::OverMaxQuantity => "framework.over_max",
    }
}

/// How a refused call-off is answered: the form again with its messages and status, or an
/// error page. Every refusal is named here, so a new one cannot end as a server error.
pub(super) fn answer(tr: Tr, error: CallOffError) -> Result<(StatusCode, Vec<String>), AppError> {
    match error {
        CallOffError::Invalid(errors) => Ok((
            StatusCode::UNPROCESSABLE_ENTITY,
            errors.iter().map(|e| tr.field_error(e)).collect(),
        )),
        CallOffError::NotRunning => Ok((
            StatusCode::CONFLICT,
            vec![tr.t("framework.not_running").to_string()],
        )),
        CallOffError::Refused(refusal) => Ok((
            StatusCode::CONFLICT,
            vec![tr.t(refusal_key(refusal)).to_string()],
        )),
        CallOffError::BadKey => Err(AppError::BadRequest("missing idempotency key".into())),
        CallOffError::Denied(d) => Err(d.into()),
        CallOffError::Store(e) => Err(e.into()),
    }
}

async fn call_off_page(
    state: &AppState,
    user: &CurrentUser,
    lot: LotId,
    fields: &CallOffFields,
    status: StatusCode,
    errors: Vec<String>,
    preview: Option<Preview>,
) -> Result<HttpResponse, AppError> {
    let now = state.now();
    let actor = user.user.clone();
    let data = state
        .read(move |conn| crate::app::lot_page::page(conn, &actor, lot, now, None))
        .await?;
    let tr = user.tr();
    let sites = data
        .framework
        .as_ref()
        .map(|f| {
            f.sites
                .iter()
                .map(|s| Choice::new(s.id, s.name.clone()))
                .collect()
        })
        .unwrap_or_default();
    let graduated = data
        .framework
        .as_ref()
        .is_some_and(|f| f.pricing == PricingMode::Graduated);
    let page = CallOffPage {
        page: Page::for_user(user, tr.t("framework.calloff_title"), None),
        lot_id: lot,
        lot_title: data.lot.title.clone(),
        unit: data.lot.unit.clone(),
        quantity: fields.quantity.clone(),
        site: fields.site.trim().parse().unwrap_or_default(),
        reference: fields.reference.clone(),
        idempotency_key: if fields.idempotency_key.is_empty() {
            session::idempotency_key()
        } else {
            fields.idempotency_key.clone()
        },
        sites,
        errors,
        preview: preview.map(|p| PreviewView {
            graduated,
            ..preview_view(tr, &data.lot.unit, &p)
        }),
    };
    render(status, &page)
}

/// Shows what the call-off will cost and whom it credits, before anything is stored.
pub async fn preview(
    state: web::Data<AppState>,
    user: CurrentUser,
    path: web::Path<LotId>,
    Form(fields): Form<CallOffFields>,
) -> Result<HttpResponse, AppError> {
    let lot = path.into_inner();
    let (ctx, actor, request) = (state.ctx(), user.user.clone(), fields.request());
    match state
        .run(move |conn| frameworks::preview(conn, &ctx, &actor, lot, &request))
        .await
    {
        Ok(p) => {
            call_off_page(
                &state,
                &user,
                lot,
                &fields,
                StatusCode::OK,
                Vec::new(),
                Some(p),
            )
            .await
        }
        Err(error) => {
            let (status, errors) = answer(user.tr(), error)?;
            call_off_page(&state, &user, lot, &fields, status, errors, None).await
        }
    }
}

/// Confirms the call-off.
pub async fn place(
    state: web::Data<AppState>,
    user: CurrentUser,
    path: web::Path<LotId>,
    Form(fields): Form<CallOffFields>,
) -> Result<HttpResponse, AppError> {
    let lot = path.into_inner();
    let (ctx, actor) = (state.ctx(), user.user.clone());
    let (request, key) = (fields.request(), fields.idempotency_key.clone());
    match state
        .run(move |conn| frameworks::place(conn, &ctx, &actor, lot, &request, &key))
        .await
    {
        Ok(_) => Ok(redirect(&format!(
            "/lots/{lot}?notice=calloff_placed#framework"
        ))),
        Err(error) => {
            let (status, errors) = answer(user.tr(), error)?;
            call_off_page(&state, &user, lot, &fields, status, errors, None).await
        }
    }
}

#[derive(Deserialize)]
pub struct EndFields {
    #[serde(default)]
    reason: String,
}

/// Staff end a framework early.
pub async fn end(
    state: web::Data<AppState>,
    user: CurrentUser,
    path: web::Path<LotId>,
    Form(fields): Form<EndFields>,
) -> Result<HttpResponse, AppError> {
    let lot = path.into_inner();
    let (ctx, actor) = (state.ctx(), user.user.clone());
    match state
        .run(move |conn| frameworks::end_early(conn, &ctx, &actor, lot, &fields.reason))
        .await
    {
        Ok(()) => Ok(redirect(&format!(
            "/lots/{lot}?notice=framework_ended#framework"
        ))),
        Err(CallOffError::Invalid(_)) => Err(AppError::BadRequest(
            user.tr().t("error.reason").to_string(),
        )),
        Err(CallOffError::NotRunning) => Err(AppError::Conflict(
            user.tr().t("framework.not_running").to_string(),
        )),
        Err(CallOffError::Refused(refusal)) => Err(AppError::Conflict(
            user.tr().t(refusal_key(refusal)).to_string(),
        )),
        Err(CallOffError::BadKey) => Err(AppError::BadRequest("missing form key".into())),
        Err(CallOffError::Denied(d)) => Err(d.into()),
        Err(CallOffError::Store(e)) => Err(e.into()),
    }
}

/// The framework's call-offs and credits as CSV: a member its own, staff and the
/// framework's supplier all.
pub async fn csv(
    state: web::Data<AppState>,
    user: CurrentUser,
    path: web::Path<LotId>,
) -> Result<HttpResponse, AppError> {
    let lot = path.into_inner();
    let actor = user.user.clone();
    let record = state
        .read(move |conn| frameworks::record_for(conn, &actor, lot))
        .await?;
    let mut csv = Csv::new(&[
        "Art",
        "Abruf",
        "Zeitpunkt (UTC)",
        "Mitglied",
        "Lieferort",
        "Referenz",
        "Menge",
        "Einzelpreis netto",
        "Netto",
        "USt",
        "Brutto",
        "Kumulierte Menge",
    ]);
    for named in &record.calloffs {
        let (c, site, member) = (&named.calloff, &named.site, &named.member);
        csv.row([
            "Abruf".to_string(),
            c.contract_id(),
            c.at.format("%Y-%m-%d %H:%M:%S").to_string(),
            member.clone(),
            site.clone(),
            c.reference.clone(),
            c.quantity.to_string(),
            price(Some(c.unit_price())),
            cents(c.net),
            cents(c.vat),
            cents(c.gross),
            c.cumulative_quantity.to_string(),
        ]);
    }
    for credit in &record.credits {
        let crate::db::frameworks::CreditRow {
            calloff,
            member_name: member,
            net,
            vat,
            gross,
            ..
        } = credit;
        csv.row([
            "Gutschrift".to_string(),
            contract_id(*calloff),
            String::new(),
            member.clone(),
            String::new(),
            String::new(),
            String::new(),
            String::new(),
            cents(*net),
            cents(*vat),
            cents(*gross),
            String::new(),
        ]);
    }
    Ok(HttpResponse::Ok()
        .content_type("text/csv; charset=utf-8")
        .insert_header((
            header::CONTENT_DISPOSITION,
            format!("attachment; filename=\"abrufe-los-{lot}.csv\""),
        ))
        .body(csv.into_string()))
}

fn cents(c: i64) -> String {
    money(Some(crate::domain::money::Money::from_cents(c)))
}

/// Staff: the framework as a scenario for `sammelkauf calloffs`.
pub async fn scenario(
    state: web::Data<AppState>,
    user: CurrentUser,
    path: web::Path<LotId>,
) -> Result<HttpResponse, AppError> {
    let lot = path.into_inner();
    let actor = user.user.clone();
    let json = state
        .read(move |conn| frameworks::scenario(conn, &actor, lot))
        .await?;
    Ok(HttpResponse::Ok()
        .content_type("application/json")
        .insert_header((
            header::CONTENT_DISPOSITION,
            format!("attachment; filename=\"rahmenvereinbarung-los-{lot}.json\""),
        ))
        .body(json))
}
