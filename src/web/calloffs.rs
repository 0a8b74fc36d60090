//! A framework on its lot's page, a buyer's call-off (preview, then confirm), staff ending a
//! framework early, and the framework's records as CSV and as a `sammelkauf calloffs` scenario.

use super::error::AppError;
use super::session::{self, CurrentUser, Form};
use super::{redirect, render, AppState, Page};
use crate::app::calloffs::{self, CallOffError, CallOffRequest, FrameworkState, Preview};
use crate::db::frameworks::contract_id;
use crate::domain::calloff::Refusal;
use crate::domain::lot::FrameworkTerms;
use crate::domain::pricing::PricingMode;
use crate::export::{money, price, Csv};
use crate::i18n::Tr;
use actix_web::http::{header, StatusCode};
use actix_web::{web, HttpResponse};
use askama::Template;
use serde::Deserialize;

/// One of the member's call-offs or credits as the page lists it.
pub struct CallOffLine {
    pub number: String,
    pub at: String,
    pub site: String,
    pub reference: String,
    pub quantity: String,
    pub unit_price: String,
    pub net: String,
    pub gross: String,
}

pub struct CreditLine {
    pub calloff: String,
    pub net: String,
    pub vat: String,
    pub gross: String,
}

/// A framework on its lot's page.
pub struct FrameworkView {
    /// "24 Monate ab der Bestätigung, höchstens 5.000 Stück" before the confirmation.
    pub summary: String,
    pub running_state: Option<RunningView>,
}

pub struct RunningView {
    pub term: String,
    pub ended: Option<String>,
    pub running: bool,
    pub pricing: String,
    pub cumulative: String,
    pub max: String,
    pub left: String,
    pub price: String,
    pub next_tier: Option<String>,
    pub next_percent: u64,
    /// Quantity, net, gross, credited of the member.
    pub own: Option<(String, String, String, String)>,
    pub calloffs: Vec<CallOffLine>,
    pub credits: Vec<CreditLine>,
    pub can_call_off: bool,
    pub sites: Vec<(i64, String)>,
    pub idempotency_key: String,
}

impl FrameworkView {
    pub fn new(
        tr: Tr,
        unit: &str,
        terms: Option<FrameworkTerms>,
        state: Option<&FrameworkState>,
    ) -> Option<Self> {
        let terms = terms?;
        let summary = tr.f(
            "framework.summary",
            &[
                ("months", terms.term_months.to_string()),
                ("max", tr.quantity(terms.max_quantity)),
                ("unit", unit.to_string()),
            ],
        );
        let running_state = state.map(|s| {
            let with_unit = |q: u64| format!("{} {unit}", tr.quantity(q));
            let next_percent = s.next_tier.map_or(100, |(min, _)| {
                (s.cumulative.saturating_mul(100) / min.max(1)).min(100)
            });
            RunningView {
                term: tr.f(
                    "framework.term",
                    &[
                        ("months", s.terms.term_months.to_string()),
                        ("start", crate::i18n::date(tr, s.start.naive_utc())),
                        ("end", crate::i18n::date(tr, s.end.naive_utc())),
                    ],
                ),
                ended: s.ended.as_ref().map(|(at, reason)| {
                    let why = if reason == "term_over" {
                        tr.t("framework.term_over").to_string()
                    } else {
                        reason.clone()
                    };
                    tr.f(
                        "framework.ended",
                        &[("at", crate::i18n::date(tr, *at)), ("reason", why)],
                    )
                }),
                running: s.running,
                pricing: tr.t(&format!("pricing.{}", s.pricing.as_str())).to_string(),
                cumulative: with_unit(s.cumulative),
                max: with_unit(s.max_quantity),
                left: with_unit(s.max_quantity.saturating_sub(s.cumulative)),
                price: tr.price(s.current_price),
                next_tier: s.next_tier.map(|(min, p)| {
                    tr.f(
                        "framework.next_tier",
                        &[
                            ("price", tr.price(p)),
                            ("min", with_unit(min)),
                            ("missing", with_unit(min.saturating_sub(s.cumulative))),
                        ],
                    )
                }),
                next_percent,
                own: s.own.map(|p| {
                    (
                        with_unit(p.quantity),
                        tr.money(p.net),
                        tr.money(crate::domain::money::Money::from_cents(
                            p.net.cents() + p.vat.cents(),
                        )),
                        tr.money(crate::domain::money::Money::from_cents(
                            p.credited_net.cents() + p.credited_vat.cents(),
                        )),
                    )
                }),
                calloffs: s
                    .own_calloffs
                    .iter()
                    .map(|(c, site, _)| CallOffLine {
                        number: c.contract_id(),
                        at: tr.datetime(c.at),
                        site: site.clone(),
                        reference: c.reference.clone(),
                        quantity: tr.quantity(c.quantity.max(0) as u64),
                        unit_price: tr.price(c.unit_price()),
                        net: tr.money(crate::domain::money::Money::from_cents(c.net)),
                        gross: tr.money(crate::domain::money::Money::from_cents(c.gross)),
                    })
                    .collect(),
                credits: s
                    .own_credits
                    .iter()
                    .map(|(calloff, _, _, net, vat, gross)| CreditLine {
                        calloff: contract_id(*calloff),
                        net: tr.money(crate::domain::money::Money::from_cents(*net)),
                        vat: tr.money(crate::domain::money::Money::from_cents(*vat)),
                        gross: tr.money(crate::domain::money::Money::from_cents(*gross)),
                    })
                    .collect(),
                can_call_off: s.can_call_off,
                sites: s
                    .sites
                    .iter()
                    .map(|site| (site.id, site.name.clone()))
                    .collect(),
                idempotency_key: session::idempotency_key(),
            }
        });
        Some(FrameworkView {
            summary,
            running_state,
        })
    }
}

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
    lot_id: i64,
    lot_title: String,
    unit: String,
    quantity: String,
    site: i64,
    reference: String,
    idempotency_key: String,
    sites: Vec<(i64, String)>,
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
    credits: Vec<(String, String, String, String)>,
    own_credit: Option<String>,
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
            .map(|(name, c)| {
                (
                    name.clone(),
                    tr.money(c.net),
                    tr.money(c.vat),
                    tr.money(c.gross),
                )
            })
            .collect(),
        own_credit: p.own_credit.as_ref().map(|c| tr.money(c.gross)),
    }
}

fn refusal_text(tr: Tr, error: &CallOffError) -> Option<(StatusCode, Vec<String>)> {
    Some(match error {
        CallOffError::Invalid(errors) => (
            StatusCode::UNPROCESSABLE_ENTITY,
            errors.iter().map(|e| tr.field_error(e)).collect(),
        ),
        CallOffError::NotRunning => (
            StatusCode::CONFLICT,
            vec![tr.t("framework.not_running").to_string()],
        ),
        CallOffError::Refused(Refusal::OutsideTerm) => (
            StatusCode::CONFLICT,
            vec![tr.t("framework.outside_term").to_string()],
        ),
        CallOffError::Refused(Refusal::OverMaxQuantity) => (
            StatusCode::CONFLICT,
            vec![tr.t("framework.over_max").to_string()],
        ),
        _ => return None,
    })
}

async fn call_off_page(
    state: &AppState,
    user: &CurrentUser,
    lot: i64,
    fields: &CallOffFields,
    status: StatusCode,
    errors: Vec<String>,
    preview: Option<Preview>,
) -> Result<HttpResponse, AppError> {
    let (now, fixed) = (state.now(), state.fixed_tiers.clone());
    let actor = user.user.clone();
    let data = state
        .read(move |conn| crate::app::lot_page::page(conn, &actor, lot, now, None, &fixed))
        .await?;
    let tr = user.tr();
    let sites = data
        .framework
        .as_ref()
        .map(|f| f.sites.iter().map(|s| (s.id, s.name.clone())).collect())
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
        site: fields.site.trim().parse().unwrap_or(0),
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
    path: web::Path<i64>,
    Form(fields): Form<CallOffFields>,
) -> Result<HttpResponse, AppError> {
    let lot = path.into_inner();
    let (ctx, actor, request) = (state.ctx(), user.user.clone(), fields.request());
    match state
        .run(move |conn| calloffs::preview(conn, &ctx, &actor, lot, &request))
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
        Err(error) => match refusal_text(user.tr(), &error) {
            Some((status, errors)) => {
                call_off_page(&state, &user, lot, &fields, status, errors, None).await
            }
            None => Err(into_app_error(error)),
        },
    }
}

fn into_app_error(error: CallOffError) -> AppError {
    match error {
        CallOffError::BadKey => AppError::BadRequest("missing idempotency key".into()),
        CallOffError::Denied(d) => d.into(),
        CallOffError::Store(e) => e.into(),
        other => AppError::Internal(other.to_string()),
    }
}

/// Confirms the call-off.
pub async fn place(
    state: web::Data<AppState>,
    user: CurrentUser,
    path: web::Path<i64>,
    Form(fields): Form<CallOffFields>,
) -> Result<HttpResponse, AppError> {
    let lot = path.into_inner();
    let (ctx, actor) = (state.ctx(), user.user.clone());
    let (request, key) = (fields.request(), fields.idempotency_key.clone());
    match state
        .run(move |conn| calloffs::place(conn, &ctx, &actor, lot, &request, &key))
        .await
    {
        Ok(_) => Ok(redirect(&format!(
            "/lots/{lot}?notice=calloff_placed#framework"
        ))),
        Err(error) => match refusal_text(user.tr(), &error) {
            Some((status, errors)) => {
                call_off_page(&state, &user, lot, &fields, status, errors, None).await
            }
            None => Err(into_app_error(error)),
        },
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
    path: web::Path<i64>,
    Form(fields): Form<EndFields>,
) -> Result<HttpResponse, AppError> {
    let lot = path.into_inner();
    let (ctx, actor) = (state.ctx(), user.user.clone());
    match state
        .run(move |conn| calloffs::end_early(conn, &ctx, &actor, lot, &fields.reason))
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
        Err(e) => Err(into_app_error(e)),
    }
}

/// The framework's call-offs and credits as CSV: a member its own, staff and the
/// framework's supplier all.
pub async fn csv(
    state: web::Data<AppState>,
    user: CurrentUser,
    path: web::Path<i64>,
) -> Result<HttpResponse, AppError> {
    let lot = path.into_inner();
    let actor = user.user.clone();
    let record = state
        .read(move |conn| calloffs::record_for(conn, &actor, lot))
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
    for (c, site, member) in &record.calloffs {
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
    for (calloff, _, member, net, vat, gross) in &record.credits {
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
    path: web::Path<i64>,
) -> Result<HttpResponse, AppError> {
    let lot = path.into_inner();
    let actor = user.user.clone();
    let json = state
        .read(move |conn| calloffs::scenario(conn, &actor, lot))
        .await?;
    Ok(HttpResponse::Ok()
        .content_type("application/json")
        .insert_header((
            header::CONTENT_DISPOSITION,
            format!("attachment; filename=\"rahmenvereinbarung-los-{lot}.json\""),
        ))
        .body(json))
}

struct UploadLineView {
    line: u64,
    site: String,
    quantity: String,
    unit_price: String,
    net: String,
    gross: String,
    cumulative: String,
    credits: String,
}

#[derive(Template)]
#[template(path = "calloff_upload.html")]
struct CallOffUploadPage {
    page: Page,
    lot_id: i64,
    lot_title: String,
    text: String,
    errors: Vec<String>,
    lines: Vec<UploadLineView>,
    can_confirm: bool,
}

async fn upload_page(
    state: &AppState,
    user: &CurrentUser,
    lot: i64,
    text: String,
    result: Result<
        Vec<crate::app::calloff_upload::UploadedCallOff>,
        crate::app::calloff_upload::CallOffUploadError,
    >,
) -> Result<HttpResponse, AppError> {
    use crate::app::calloff_upload::CallOffUploadError as E;
    let tr = user.tr();
    let actor = user.user.clone();
    let found = state
        .read(move |conn| crate::app::access::visible(conn, &actor, lot))
        .await?;
    let unit = found.unit.clone();
    let mut page = CallOffUploadPage {
        page: Page::for_user(user, tr.t("framework.upload_title"), None),
        lot_id: lot,
        lot_title: found.title,
        text,
        errors: Vec::new(),
        lines: Vec::new(),
        can_confirm: false,
    };
    let status = match result {
        Ok(lines) => {
            page.can_confirm = !lines.is_empty();
            page.lines = lines
                .iter()
                .map(|c| UploadLineView {
                    line: c.line,
                    site: c.site.name.clone(),
                    quantity: format!("{} {unit}", tr.quantity(c.quantity)),
                    unit_price: tr.price(c.priced.unit_price),
                    net: tr.money(c.priced.net),
                    gross: tr.money(c.priced.gross),
                    cumulative: tr.quantity(c.priced.cumulative_quantity),
                    credits: if c.priced.credits.is_empty() {
                        "–".into()
                    } else {
                        tr.money(crate::domain::money::Money::from_cents(
                            c.priced.credits.iter().map(|cr| cr.gross.cents()).sum(),
                        ))
                    },
                })
                .collect();
            StatusCode::OK
        }
        Err(E::File(e)) => {
            page.errors.push(super::upload::file_error_text(tr, &e));
            StatusCode::UNPROCESSABLE_ENTITY
        }
        Err(E::Lines(lines)) => {
            for l in lines.iter().filter(|l| !l.errors.is_empty()) {
                for e in &l.errors {
                    page.errors.push(tr.f(
                        "upload.line_error",
                        &[("line", l.line.to_string()), ("error", tr.field_error(e))],
                    ));
                }
            }
            StatusCode::UNPROCESSABLE_ENTITY
        }
        Err(E::Refused(line, reason)) => {
            let key = match reason {
                Refusal::OutsideTerm => "framework.outside_term",
                Refusal::OverMaxQuantity => "framework.over_max",
            };
            page.errors.push(tr.f(
                "upload.line_error",
                &[("line", line.to_string()), ("error", tr.t(key).to_string())],
            ));
            StatusCode::CONFLICT
        }
        Err(E::CallOff(e)) => match refusal_text(tr, &e) {
            Some((status, errors)) => {
                page.errors = errors;
                status
            }
            None => return Err(into_app_error(e)),
        },
    };
    render(status, &page)
}

/// Call-offs from a file: each line priced in turn, nothing stored yet.
pub async fn upload_preview(
    state: web::Data<AppState>,
    user: CurrentUser,
    path: web::Path<i64>,
    super::session::FormFields(pairs): super::session::FormFields,
) -> Result<HttpResponse, AppError> {
    let lot = path.into_inner();
    let text = super::upload::uploaded_text(&super::admin::Fields(pairs));
    let (ctx, actor, submitted) = (state.ctx(), user.user.clone(), text.clone());
    let result = state
        .run(move |conn| {
            crate::app::calloff_upload::preview_upload(conn, &ctx, &actor, lot, &submitted)
        })
        .await;
    upload_page(&state, &user, lot, text, result).await
}

/// Stores every call-off of the file, or none.
pub async fn upload_confirm(
    state: web::Data<AppState>,
    user: CurrentUser,
    path: web::Path<i64>,
    super::session::FormFields(pairs): super::session::FormFields,
) -> Result<HttpResponse, AppError> {
    let lot = path.into_inner();
    let text = super::admin::Fields(pairs).get("csv").to_string();
    let (ctx, actor, submitted) = (state.ctx(), user.user.clone(), text.clone());
    match state
        .run(move |conn| {
            crate::app::calloff_upload::place_upload(conn, &ctx, &actor, lot, &submitted)
        })
        .await
    {
        Ok(0) => Ok(redirect(&format!(
            "/lots/{lot}?notice=upload_already#framework"
        ))),
        Ok(_) => Ok(redirect(&format!(
            "/lots/{lot}?notice=calloffs_uploaded#framework"
        ))),
        Err(e) => upload_page(&state, &user, lot, text, Err(e)).await,
    }
}
