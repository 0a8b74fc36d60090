//! Sealed quotes, the two-person opening, evaluation, award, revocation, cancellation, and
//! the CSV exports of a lot.

use super::error::AppError;
use super::lots::visible_lot;
use super::session::{CurrentUser, Form, FormFields};
use super::{ok, redirect, render, AppState, Page};
use crate::db::procurement as store;
use crate::db::{self, audit, lots, users, DbConnection};
use crate::domain::account::Role;
use crate::domain::lot::{FieldError, LotStatus};
use crate::domain::money::{Money, UnitPrice};
use crate::domain::pricing::evaluate;
use crate::domain::quote::{sha256_hex, QuoteForm, QuoteInput};
use crate::i18n::Tr;
use crate::procurement::{self, AwardOutcome};
use actix_web::http::{header, StatusCode};
use actix_web::{web, HttpResponse};
use askama::Template;
use chrono::NaiveDateTime;
use rand::Rng;
use serde::Deserialize;

fn record(
    conn: &mut DbConnection,
    actor: i64,
    action: &str,
    lot: i64,
    entity: (&str, i64),
    details: &str,
    now: NaiveDateTime,
) -> Result<(), diesel::result::Error> {
    super::admin::record(conn, actor, action, Some(lot), entity, details, now)
}

/// The quote form's values as typed, and its messages.
#[derive(Default, Clone)]
pub struct QuoteFormView {
    pub pricing: String,
    pub rows: Vec<(String, String)>,
    pub csv: String,
    pub max_quantity: String,
    pub lead_time_days: String,
    pub valid_until: String,
    pub comment: String,
    pub errors: Vec<String>,
}

/// Rows offered for tiers in the quote form.
pub const QUOTE_TIER_ROWS: usize = 10;

impl QuoteFormView {
    pub fn empty() -> Self {
        QuoteFormView {
            pricing: "all_units".into(),
            rows: vec![(String::new(), String::new()); QUOTE_TIER_ROWS],
            lead_time_days: "14".into(),
            ..Default::default()
        }
    }

    fn from_fields(fields: &super::admin::Fields) -> Self {
        let mins = fields.all("tier_min");
        let prices = fields.all("tier_price");
        let mut rows: Vec<(String, String)> = (0..mins.len().max(prices.len()))
            .map(|i| {
                (
                    mins.get(i).unwrap_or(&"").to_string(),
                    prices.get(i).unwrap_or(&"").to_string(),
                )
            })
            .collect();
        rows.resize(
            rows.len().max(QUOTE_TIER_ROWS),
            (String::new(), String::new()),
        );
        QuoteFormView {
            pricing: fields.get("pricing").into(),
            rows,
            // An uploaded file wins over text pasted into the field.
            csv: match fields.get("csv_file") {
                "" => fields.get("csv").into(),
                file => file.into(),
            },
            max_quantity: fields.get("max_quantity").into(),
            lead_time_days: fields.get("lead_time_days").into(),
            valid_until: fields.get("valid_until").into(),
            comment: fields.get("comment").into(),
            errors: Vec::new(),
        }
    }

    fn parse(&self) -> Result<QuoteInput, Vec<FieldError>> {
        QuoteInput::parse(&QuoteForm {
            pricing: &self.pricing,
            rows: self
                .rows
                .iter()
                .map(|(m, p)| (m.as_str(), p.as_str()))
                .collect(),
            csv: &self.csv,
            max_quantity: &self.max_quantity,
            lead_time_days: &self.lead_time_days,
            valid_until: &self.valid_until,
            comment: &self.comment,
        })
    }
}

/// May a supplier quote on this lot now?
pub fn quoting_open(lot: &lots::Lot, now: chrono::DateTime<chrono::Utc>) -> bool {
    matches!(lot.stored_status(), LotStatus::Open | LotStatus::Closed)
        && now < lot.quote_deadline.and_utc()
}

pub async fn submit_quote(
    state: web::Data<AppState>,
    user: CurrentUser,
    path: web::Path<i64>,
    FormFields(pairs): FormFields,
) -> Result<HttpResponse, AppError> {
    let lot_id = path.into_inner();
    let supplier = user.supplier_id()?;
    let mut form = QuoteFormView::from_fields(&super::admin::Fields(pairs));
    let now = state.now();
    let viewer = user.clone();
    let lot = state
        .db(move |conn| visible_lot(conn, &viewer, lot_id))
        .await?;
    let tr = user.tr();
    if !quoting_open(&lot, now) {
        form.errors = vec![tr.t("error.quote_deadline").to_string()];
        let page = super::lots::lot_page(&state, &user, lot_id, None, None).await?;
        let mut page = page;
        page.procedure.quote_form = Some(form);
        return render(StatusCode::CONFLICT, &page);
    }
    let input = match form.parse() {
        Ok(input) => input,
        Err(errors) => {
            form.errors = errors.iter().map(|e| tr.field_error(e)).collect();
            let mut page = super::lots::lot_page(&state, &user, lot_id, None, None).await?;
            page.procedure.quote_form = Some(form);
            return render(StatusCode::UNPROCESSABLE_ENTITY, &page);
        }
    };
    let actor = user.user.id;
    let mail = state.mail.clone();
    let submitter = user.user.clone();
    let quote_id = state
        .db(move |conn| {
            db::transaction(conn, |conn| {
                // The deadline again, inside the transaction that stores the quote.
                let lot = lots::find(conn, lot_id)?.ok_or(AppError::NotFound)?;
                if !quoting_open(&lot, now) {
                    return Ok(None);
                }
                let revision = store::next_revision(conn, lot_id, supplier)?;
                let canonical = input.canonical(lot_id, supplier, revision, now);
                let digest = sha256_hex(&canonical);
                let suffix: u16 = rand::thread_rng().gen();
                let receipt = format!("SK-{lot_id}-{supplier}-R{revision}-{suffix:04X}");
                let id = store::insert_quote(
                    conn,
                    &store::NewQuote {
                        lot: lot_id,
                        supplier,
                        revision,
                        input: &input,
                        receipt_number: &receipt,
                        digest: &digest,
                        submitted_by: actor,
                        now: now.naive_utc(),
                    },
                )?;
                // The log names the receipt, never a price.
                record(
                    conn,
                    actor,
                    "quote.submitted",
                    lot_id,
                    ("quote", id),
                    &format!("receipt={receipt} revision={revision}"),
                    now.naive_utc(),
                )?;
                crate::mail::notify::quote_receipt(
                    conn,
                    &mail,
                    &submitter,
                    &lot,
                    &crate::mail::notify::QuoteReceipt {
                        quote_id: id,
                        receipt: &receipt,
                        digest: &digest,
                    },
                    now.naive_utc(),
                )?;
                Ok::<_, AppError>(Some(id))
            })
        })
        .await?;
    match quote_id {
        Some(id) => Ok(redirect(&format!("/lots/{lot_id}/quotes/{id}"))),
        None => {
            let mut page = super::lots::lot_page(&state, &user, lot_id, None, None).await?;
            form.errors = vec![tr.t("error.quote_deadline").to_string()];
            page.procedure.quote_form = Some(form);
            render(StatusCode::CONFLICT, &page)
        }
    }
}

#[derive(Template)]
#[template(path = "receipt.html")]
struct ReceiptPage {
    page: Page,
    lot_id: i64,
    lot_title: String,
    receipt: String,
    digest: String,
    canonical: String,
    submitted_at: String,
    revision: i64,
    tiers: Vec<(String, String)>,
    pricing: String,
}

pub async fn receipt(
    state: web::Data<AppState>,
    user: CurrentUser,
    path: web::Path<(i64, i64)>,
) -> Result<HttpResponse, AppError> {
    let (lot_id, quote_id) = path.into_inner();
    let supplier = user.supplier_id()?;
    let viewer = user.clone();
    let (lot, quote, tiers) = state
        .db(move |conn| {
            let lot = visible_lot(conn, &viewer, lot_id)?;
            let quote = store::find_quote(conn, quote_id)?.ok_or(AppError::NotFound)?;
            // Only the supplier that submitted it ever sees a receipt.
            if quote.lot_id != lot_id || quote.supplier_id != supplier {
                return Err(AppError::NotFound);
            }
            let tiers = store::tiers_of(conn, quote_id)?;
            Ok((lot, quote, tiers))
        })
        .await?;
    let tr = user.tr();
    let input = stored_input(&quote, tiers.clone());
    ok(&ReceiptPage {
        page: Page::for_user(&user, tr.t("quote.receipt_title"), None),
        lot_id,
        lot_title: lot.title,
        canonical: input
            .map(|i| {
                i.canonical(
                    lot_id,
                    supplier,
                    quote.revision,
                    quote.submitted_at.and_utc(),
                )
            })
            .unwrap_or_default(),
        receipt: quote.receipt_number,
        digest: quote.digest,
        submitted_at: tr.datetime(quote.submitted_at),
        revision: quote.revision,
        tiers: tiers
            .iter()
            .map(|t| (tr.quantity(t.min_quantity), tr.price(t.unit_price)))
            .collect(),
        pricing: tr.t(&format!("pricing.{}", quote.pricing)).to_string(),
    })
}

/// A stored quote back in its checked form (to recompute the canonical text).
fn stored_input(
    quote: &store::QuoteRow,
    tiers: Vec<crate::domain::pricing::Tier>,
) -> Option<QuoteInput> {
    Some(QuoteInput {
        pricing: crate::domain::pricing::PricingMode::parse(&quote.pricing)?,
        tiers: crate::domain::pricing::TierTable::new(tiers).ok()?,
        max_quantity: quote.max_quantity.and_then(|m| u64::try_from(m).ok()),
        lead_time_days: u64::try_from(quote.lead_time_days).ok()?,
        valid_until: chrono::NaiveDate::parse_from_str(&quote.valid_until, "%Y-%m-%d").ok()?,
        comment: quote.comment.clone(),
    })
}

#[derive(Deserialize)]
pub struct NoFields {}

/// Opening the quotes: the first staff member asks, a second one confirms.
pub async fn opening(
    state: web::Data<AppState>,
    user: CurrentUser,
    path: web::Path<i64>,
    Form(_): Form<NoFields>,
) -> Result<HttpResponse, AppError> {
    user.require(Role::Staff)?;
    let lot_id = path.into_inner();
    let actor = user.user.id;
    let now = state.now();
    let result: Result<&'static str, &'static str> = state
        .db(move |conn| {
            db::transaction(conn, |conn| {
                let lot = lots::find(conn, lot_id)?.ok_or(AppError::NotFound)?;
                if lot.status_at(now) != LotStatus::Closed || now < lot.quote_deadline.and_utc() {
                    return Ok(Err("error.opening_too_early"));
                }
                if lot.stored_status() == LotStatus::Open {
                    lots::transition(
                        conn,
                        lot_id,
                        LotStatus::Open,
                        LotStatus::Closed,
                        now.naive_utc(),
                    )?;
                }
                let procedure = store::procedure(conn, lot_id)?;
                match procedure.opening_requested_by {
                    None => {
                        store::request_opening(conn, lot_id, actor, now.naive_utc())?;
                        record(
                            conn,
                            actor,
                            "quotes.opening_requested",
                            lot_id,
                            ("lot", lot_id),
                            "",
                            now.naive_utc(),
                        )?;
                        Ok(Ok("opening_requested"))
                    }
                    Some(first) if first == actor => Ok(Err("error.second_person")),
                    Some(first) => {
                        if store::confirm_opening(conn, lot_id, actor, now.naive_utc())? == 0
                            || !lots::transition(
                                conn,
                                lot_id,
                                LotStatus::Closed,
                                LotStatus::Evaluated,
                                now.naive_utc(),
                            )?
                        {
                            return Ok(Err("error.not_closed"));
                        }
                        let details = format!("requested_by={first} confirmed_by={actor}");
                        record(
                            conn,
                            actor,
                            "quotes.opened",
                            lot_id,
                            ("lot", lot_id),
                            &details,
                            now.naive_utc(),
                        )?;
                        Ok(Ok("quotes_opened"))
                    }
                }
            })
        })
        .await?;
    match result {
        Ok(notice) => Ok(redirect(&format!("/lots/{lot_id}?notice={notice}"))),
        Err(key) => {
            let mut page = super::lots::lot_page(&state, &user, lot_id, None, None).await?;
            page.page.notice = Some(user.tr().t(key).to_string());
            render(StatusCode::CONFLICT, &page)
        }
    }
}

/// One quote in the evaluation.
pub struct RankRow {
    pub quote_id: i64,
    pub rank: usize,
    pub supplier: String,
    pub eligible: bool,
    pub reason: String,
    pub total: String,
    pub pricing: String,
    pub tiers: String,
    pub lead_time: i64,
    pub is_top: bool,
}

/// One member in the preview of the top-ranked quote.
pub struct MemberRow {
    pub member: String,
    pub quantity: String,
    pub net: String,
    pub gross: String,
    pub saving_vs_list: String,
    pub saving_vs_alone: String,
}

#[derive(Template)]
#[template(path = "admin/evaluation.html")]
struct EvaluationPage {
    page: Page,
    lot_id: i64,
    lot_title: String,
    evaluation_quantity: String,
    failure: Option<String>,
    ranking: Vec<RankRow>,
    cleared: Option<String>,
    members: Vec<MemberRow>,
    can_award: bool,
    errors: Vec<String>,
}

async fn evaluation_page(
    state: &AppState,
    user: &CurrentUser,
    lot_id: i64,
    errors: Vec<String>,
) -> Result<EvaluationPage, AppError> {
    let (lot, built) = state
        .db(move |conn| {
            let lot = lots::find(conn, lot_id)?.ok_or(AppError::NotFound)?;
            if !matches!(
                lot.stored_status(),
                LotStatus::Evaluated
                    | LotStatus::Awarded
                    | LotStatus::Confirmed
                    | LotStatus::Failed
            ) {
                // Sealed: nothing about the quotes before the opening.
                return Err(AppError::Forbidden);
            }
            let built = procurement::lot_scenario(conn, &lot, None)
                .map_err(|e| AppError::Internal(e.to_string()))?;
            let tiers: Vec<Vec<crate::domain::pricing::Tier>> = built
                .quotes
                .iter()
                .map(|(id, _)| store::tiers_of(conn, *id))
                .collect::<Result<_, _>>()?;
            let lead: Vec<i64> = built
                .quotes
                .iter()
                .map(|(id, _)| {
                    store::find_quote(conn, *id).map(|q| q.map_or(0, |q| q.lead_time_days))
                })
                .collect::<Result<_, _>>()?;
            Ok((lot, (built, tiers, lead)))
        })
        .await?;
    let (built, tiers, lead) = built;
    let tr = user.tr();
    let evaluation = evaluate(&built.scenario);
    let top = evaluation.award.as_ref().map(|a| a.quote);
    let ranking = evaluation
        .ranking
        .iter()
        .enumerate()
        .map(|(i, r)| {
            let quote = &built.scenario.quotes()[r.quote];
            RankRow {
                quote_id: built.quotes[r.quote].0,
                rank: i + 1,
                supplier: r.supplier.clone(),
                eligible: r.eligible(),
                reason: r
                    .ineligible
                    .map(|x| tr.t(&format!("ineligible.{}", x.as_str())).to_string())
                    .unwrap_or_default(),
                total: tr.money_or_dash(r.evaluation_total_net),
                pricing: tr
                    .t(&format!("pricing.{}", quote.pricing.as_str()))
                    .to_string(),
                tiers: tiers[r.quote]
                    .iter()
                    .map(|t| {
                        format!(
                            "{}: {}",
                            tr.quantity(t.min_quantity),
                            tr.price(t.unit_price)
                        )
                    })
                    .collect::<Vec<_>>()
                    .join(" · "),
                lead_time: lead[r.quote],
                is_top: top == Some(r.quote),
            }
        })
        .collect();
    Ok(EvaluationPage {
        page: Page::for_user(user, tr.t("evaluation.title"), None),
        lot_id,
        lot_title: lot.title.clone(),
        evaluation_quantity: tr.quantity(evaluation.evaluation_quantity),
        failure: evaluation
            .failure
            .map(|f| tr.t(&format!("failure.{}", f.as_str())).to_string()),
        cleared: evaluation.award.as_ref().map(|a| {
            tr.f(
                "evaluation.cleared",
                &[
                    ("supplier", a.supplier.clone()),
                    ("quantity", tr.quantity(a.quantity)),
                    ("price", tr.price(a.unit_price)),
                    ("net", tr.money(a.total_net)),
                    ("gross", tr.money(a.total_gross)),
                ],
            )
        }),
        members: evaluation
            .members
            .iter()
            .map(|m| MemberRow {
                member: m.member.clone(),
                quantity: tr.quantity(m.quantity),
                net: tr.money(m.net),
                gross: tr.money(m.gross),
                saving_vs_list: tr.money_or_dash(m.saving_vs_list),
                saving_vs_alone: tr.money_or_dash(m.saving_vs_alone),
            })
            .collect(),
        can_award: lot.stored_status() == LotStatus::Evaluated,
        ranking,
        errors,
    })
}

pub async fn evaluation(
    state: web::Data<AppState>,
    user: CurrentUser,
    path: web::Path<i64>,
) -> Result<HttpResponse, AppError> {
    user.require(Role::Staff)?;
    ok(&evaluation_page(&state, &user, path.into_inner(), Vec::new()).await?)
}

#[derive(Deserialize)]
pub struct AwardFields {
    #[serde(default)]
    quote: String,
    #[serde(default)]
    justification: String,
}

pub async fn award(
    state: web::Data<AppState>,
    user: CurrentUser,
    path: web::Path<i64>,
    Form(fields): Form<AwardFields>,
) -> Result<HttpResponse, AppError> {
    user.require(Role::Staff)?;
    let lot_id = path.into_inner();
    let actor = user.user.id;
    let now = state.now();
    let tr = user.tr();
    let Ok(quote_id) = fields.quote.trim().parse::<i64>() else {
        let page = evaluation_page(
            &state,
            &user,
            lot_id,
            vec![tr.t("error.choose_quote").to_string()],
        )
        .await?;
        return render(StatusCode::UNPROCESSABLE_ENTITY, &page);
    };
    let justification = fields.justification.clone();
    if justification.chars().count() > 5000 {
        let page = evaluation_page(
            &state,
            &user,
            lot_id,
            vec![tr.t("error.too_long").to_string()],
        )
        .await?;
        return render(StatusCode::UNPROCESSABLE_ENTITY, &page);
    }
    let mail = state.mail.clone();
    let outcome = state
        .db(move |conn| {
            db::transaction(conn, |conn| {
                procurement::award(conn, &mail, lot_id, quote_id, &justification, actor, now)
                    .map(|(o, _)| o)
                    .map_err(AppError::from)
            })
        })
        .await?;
    let key = match outcome {
        AwardOutcome::Awarded { .. } => {
            return Ok(redirect(&format!("/lots/{lot_id}?notice=awarded")))
        }
        AwardOutcome::Failed(_) => {
            return Ok(redirect(&format!("/lots/{lot_id}?notice=lot_failed")))
        }
        AwardOutcome::NeedsJustification => "error.justification",
        AwardOutcome::NotEligible => "error.not_eligible",
        AwardOutcome::WrongState => "error.not_evaluated",
    };
    if key == "error.not_evaluated" {
        // The evaluation may be sealed still: answer on the lot's page.
        let mut page = super::lots::lot_page(&state, &user, lot_id, None, None).await?;
        page.page.notice = Some(tr.t(key).to_string());
        return render(StatusCode::CONFLICT, &page);
    }
    render(
        StatusCode::UNPROCESSABLE_ENTITY,
        &evaluation_page(&state, &user, lot_id, vec![tr.t(key).to_string()]).await?,
    )
}

#[derive(Deserialize)]
pub struct ReasonFields {
    #[serde(default)]
    reason: String,
}

/// Revokes an award during the standstill; the lot returns to evaluation.
pub async fn revoke(
    state: web::Data<AppState>,
    user: CurrentUser,
    path: web::Path<i64>,
    Form(fields): Form<ReasonFields>,
) -> Result<HttpResponse, AppError> {
    staff_with_reason(
        state,
        user,
        path.into_inner(),
        fields.reason,
        Change::Revoke,
    )
    .await
}

/// Cancels a lot before it is confirmed.
pub async fn cancel(
    state: web::Data<AppState>,
    user: CurrentUser,
    path: web::Path<i64>,
    Form(fields): Form<ReasonFields>,
) -> Result<HttpResponse, AppError> {
    staff_with_reason(
        state,
        user,
        path.into_inner(),
        fields.reason,
        Change::Cancel,
    )
    .await
}

#[derive(Clone, Copy, PartialEq)]
enum Change {
    Revoke,
    Cancel,
}

async fn staff_with_reason(
    state: web::Data<AppState>,
    user: CurrentUser,
    lot_id: i64,
    reason: String,
    change: Change,
) -> Result<HttpResponse, AppError> {
    user.require(Role::Staff)?;
    let actor = user.user.id;
    let now = state.now();
    let reason = reason.trim().to_string();
    let mail = state.mail.clone();
    let result: Result<&'static str, &'static str> = if reason.is_empty()
        || reason.chars().count() > 2000
    {
        Err("error.reason")
    } else {
        state
            .db(move |conn| {
                db::transaction(conn, |conn| {
                    let lot = lots::find(conn, lot_id)?.ok_or(AppError::NotFound)?;
                    let from = lot.stored_status();
                    match change {
                        Change::Revoke => {
                            let procedure = store::procedure(conn, lot_id)?;
                            let in_standstill = procedure
                                .standstill_ends_at
                                .is_some_and(|end| now.naive_utc() < end);
                            if from != LotStatus::Awarded
                                || !in_standstill
                                || !lots::transition(
                                    conn,
                                    lot_id,
                                    LotStatus::Awarded,
                                    LotStatus::Evaluated,
                                    now.naive_utc(),
                                )?
                            {
                                return Ok(Err("error.not_revocable"));
                            }
                            let details =
                                format!("quote={:?} reason={reason:?}", procedure.awarded_quote_id);
                            store::clear_award(conn, lot_id)?;
                            record(
                                conn,
                                actor,
                                "award.revoked",
                                lot_id,
                                ("lot", lot_id),
                                &details,
                                now.naive_utc(),
                            )?;
                            Ok(Ok("award_revoked"))
                        }
                        Change::Cancel => {
                            if matches!(
                                from,
                                LotStatus::Confirmed | LotStatus::Cancelled | LotStatus::Failed
                            ) || !lots::transition(
                                conn,
                                lot_id,
                                from,
                                LotStatus::Cancelled,
                                now.naive_utc(),
                            )? {
                                return Ok(Err("error.not_cancellable"));
                            }
                            store::set_outcome_reason(conn, lot_id, &reason)?;
                            record(
                                conn,
                                actor,
                                "lot.cancelled",
                                lot_id,
                                ("lot", lot_id),
                                &reason,
                                now.naive_utc(),
                            )?;
                            crate::mail::notify::lot_ended(
                                conn,
                                &mail,
                                &lot,
                                true,
                                &reason,
                                now.naive_utc(),
                            )?;
                            Ok(Ok("lot_cancelled"))
                        }
                    }
                })
            })
            .await?
    };
    match result {
        Ok(notice) => Ok(redirect(&format!("/lots/{lot_id}?notice={notice}"))),
        Err(key) => {
            let mut page = super::lots::lot_page(&state, &user, lot_id, None, None).await?;
            page.page.notice = Some(user.tr().t(key).to_string());
            render(StatusCode::UNPROCESSABLE_ENTITY, &page)
        }
    }
}

/// A CSV file: UTF-8 with BOM (so spreadsheets detect the encoding), `;` separated,
/// German decimal comma, fields quoted where needed.
pub struct Csv(String);

impl Csv {
    pub fn new(header: &[&str]) -> Self {
        let mut csv = Csv("\u{feff}".to_string());
        csv.row(header.iter().map(|h| h.to_string()));
        csv
    }

    pub fn row(&mut self, fields: impl IntoIterator<Item = String>) {
        let line: Vec<String> = fields
            .into_iter()
            .map(|f| {
                // A leading = + - @ would be read as a formula by spreadsheets.
                let f = if f.starts_with(['=', '+', '@'])
                    || (f.starts_with('-') && f.parse::<f64>().is_err() && !f.contains(','))
                {
                    format!("'{f}")
                } else {
                    f
                };
                if f.contains([';', '"', '\n', '\r']) {
                    format!("\"{}\"", f.replace('"', "\"\""))
                } else {
                    f
                }
            })
            .collect();
        self.0.push_str(&line.join(";"));
        self.0.push_str("\r\n");
    }

    pub fn into_string(self) -> String {
        self.0
    }

    pub fn respond(self, filename: &str) -> HttpResponse {
        HttpResponse::Ok()
            .content_type("text/csv; charset=utf-8")
            .insert_header((
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{filename}\""),
            ))
            .body(self.0)
    }
}

/// Cents as `1234,56` (no grouping, so spreadsheets read a number).
pub fn csv_money(cents: Option<i64>) -> String {
    cents.map_or_else(String::new, |c| {
        Money::from_cents(c).to_string().replace('.', ",")
    })
}

pub fn csv_price(units: Option<i64>) -> String {
    units
        .and_then(|u| UnitPrice::from_ten_thousandths(u).ok())
        .map_or_else(String::new, |p| p.to_string().replace('.', ","))
}

/// The columns of every result export (German, as the procurement record is kept).
fn result_header() -> Vec<&'static str> {
    vec![
        "Mitglied",
        "Lieferort",
        "Anschrift",
        "Referenz",
        "Bestellposition",
        "Status",
        "Menge",
        "Stückpreis netto",
        "Netto",
        "USt",
        "Brutto",
    ]
}

fn result_rows(csv: &mut Csv, rows: &[store::ResultLine]) {
    for r in rows {
        csv.row([
            r.member.clone(),
            r.site.clone(),
            r.address.clone(),
            r.reference.clone(),
            r.result.order_line_id.to_string(),
            r.result.status.clone(),
            r.result.quantity.to_string(),
            csv_price(r.result.unit_price),
            csv_money(r.result.net),
            csv_money(r.result.vat),
            csv_money(r.result.gross),
        ]);
    }
}

/// The delivery breakdown as CSV text (for the purchase order's attachment).
pub fn result_csv(rows: &[store::ResultLine]) -> String {
    let mut csv = Csv::new(&result_header());
    result_rows(&mut csv, rows);
    csv.into_string()
}

/// A download of result lines as CSV.
fn result_download(rows: &[store::ResultLine], filename: &str) -> HttpResponse {
    Csv(result_csv(rows)).respond(filename)
}

fn awarded_or_later(lot: &lots::Lot) -> bool {
    matches!(
        lot.stored_status(),
        LotStatus::Awarded | LotStatus::Confirmed
    )
}

/// Staff: the allocation of a lot (every line's result).
pub async fn allocation_csv(
    state: web::Data<AppState>,
    user: CurrentUser,
    path: web::Path<i64>,
) -> Result<HttpResponse, AppError> {
    user.require(Role::Staff)?;
    let lot_id = path.into_inner();
    let rows = state
        .db(move |conn| {
            let lot = lots::find(conn, lot_id)?.ok_or(AppError::NotFound)?;
            if !awarded_or_later(&lot) {
                return Err(AppError::NotFound);
            }
            Ok(store::result_lines(conn, lot_id, None)?)
        })
        .await?;
    Ok(result_download(
        &rows,
        &format!("zuteilung-los-{lot_id}.csv"),
    ))
}

/// A buyer: the own organisation's confirmed lines.
pub async fn member_csv(
    state: web::Data<AppState>,
    user: CurrentUser,
    path: web::Path<i64>,
) -> Result<HttpResponse, AppError> {
    let member = user.member_id()?;
    let lot_id = path.into_inner();
    let viewer = user.clone();
    let rows = state
        .db(move |conn| {
            let lot = visible_lot(conn, &viewer, lot_id)?;
            if lot.stored_status() != LotStatus::Confirmed {
                return Err(AppError::NotFound);
            }
            Ok(store::result_lines(conn, lot_id, Some(member))?)
        })
        .await?;
    Ok(result_download(
        &rows,
        &format!("bestellung-los-{lot_id}.csv"),
    ))
}

/// Is this supplier the winner of a confirmed lot?
pub fn is_confirmed_winner(
    conn: &mut DbConnection,
    lot: &lots::Lot,
    supplier: i64,
) -> Result<bool, AppError> {
    if lot.stored_status() != LotStatus::Confirmed {
        return Ok(false);
    }
    let procedure = store::find_procedure(conn, lot.id)?;
    let Some(quote) = procedure.and_then(|p| p.awarded_quote_id) else {
        return Ok(false);
    };
    Ok(store::find_quote(conn, quote)?.is_some_and(|q| q.supplier_id == supplier))
}

/// The winning supplier: the purchase order with the delivery breakdown.
pub async fn purchase_order_csv(
    state: web::Data<AppState>,
    user: CurrentUser,
    path: web::Path<i64>,
) -> Result<HttpResponse, AppError> {
    let supplier = user.supplier_id()?;
    let lot_id = path.into_inner();
    let viewer = user.clone();
    let rows = state
        .db(move |conn| {
            let lot = visible_lot(conn, &viewer, lot_id)?;
            if !is_confirmed_winner(conn, &lot, supplier)? {
                return Err(AppError::NotFound);
            }
            Ok(store::result_lines(conn, lot_id, None)?
                .into_iter()
                .filter(|r| r.result.status == "accepted")
                .collect::<Vec<_>>())
        })
        .await?;
    Ok(result_download(&rows, &format!("auftrag-los-{lot_id}.csv")))
}

/// Staff: the audit log of a lot (the procurement record).
pub async fn audit_csv(
    state: web::Data<AppState>,
    user: CurrentUser,
    path: web::Path<i64>,
) -> Result<HttpResponse, AppError> {
    user.require(Role::Staff)?;
    let lot_id = path.into_inner();
    let (entries, names) = state
        .db(move |conn| {
            lots::find(conn, lot_id)?.ok_or(AppError::NotFound)?;
            let entries = audit::list(conn, Some(lot_id), 100_000)?;
            let names: std::collections::HashMap<i64, String> = users::list(conn)?
                .into_iter()
                .map(|u| (u.id, u.email))
                .collect();
            Ok((entries, names))
        })
        .await?;
    let mut csv = Csv::new(&[
        "Zeitpunkt (UTC)",
        "Wer",
        "Aktion",
        "Objekt",
        "Objekt-ID",
        "Details",
    ]);
    for e in entries.into_iter().rev() {
        csv.row([
            e.at.format("%Y-%m-%d %H:%M:%S").to_string(),
            e.actor_id
                .and_then(|id| names.get(&id).cloned())
                .unwrap_or_else(|| "System".into()),
            e.action,
            e.entity,
            e.entity_id.map(|i| i.to_string()).unwrap_or_default(),
            e.details,
        ]);
    }
    Ok(csv.respond(&format!("protokoll-los-{lot_id}.csv")))
}

/// One of the supplier's own quote revisions.
pub struct OwnQuote {
    pub id: i64,
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
    pub can_open_quotes: bool,
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
}

fn result_view(tr: Tr, r: &store::ResultLine) -> ResultView {
    ResultView {
        member: r.member.clone(),
        site: r.site.clone(),
        address: r.address.clone(),
        reference: r.reference.clone(),
        status: tr
            .t(&format!("line_status.{}", r.result.status))
            .to_string(),
        quantity: tr.quantity(u64::try_from(r.result.quantity).unwrap_or(0)),
        unit_price: r
            .result
            .unit_price
            .and_then(|u| UnitPrice::from_ten_thousandths(u).ok())
            .map_or_else(|| "–".into(), |p| tr.price(p)),
        net: tr.money_or_dash(r.result.net.map(Money::from_cents)),
        vat: tr.money_or_dash(r.result.vat.map(Money::from_cents)),
        gross: tr.money_or_dash(r.result.gross.map(Money::from_cents)),
    }
}

fn user_name(conn: &mut DbConnection, id: Option<i64>) -> Result<String, AppError> {
    Ok(match id {
        Some(id) => users::find(conn, id)?.map_or_else(String::new, |u| u.name),
        None => String::new(),
    })
}

/// Builds the procurement section of a lot's page for this user.
pub fn procedure_view(
    conn: &mut DbConnection,
    user: &CurrentUser,
    lot: &lots::Lot,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<ProcedureView, AppError> {
    let tr = user.tr();
    let status = lot.status_at(now);
    let procedure = store::find_procedure(conn, lot.id)?.unwrap_or_default();
    let mut view = ProcedureView::default();
    if matches!(status, LotStatus::Failed | LotStatus::Cancelled) {
        let reason = &procedure.outcome_reason;
        let key = format!("failure.{reason}");
        let text = tr.t(&key);
        // Staff's own cancellation reasons are shown as written.
        view.outcome = Some(if text == key {
            reason.clone()
        } else {
            text.to_string()
        });
    }
    let awarded_quote = match procedure.awarded_quote_id {
        Some(q) if matches!(status, LotStatus::Awarded | LotStatus::Confirmed) => {
            store::find_quote(conn, q)?
        }
        _ => None,
    };
    let award_text = |conn: &mut DbConnection| -> Result<Option<String>, AppError> {
        let Some(quote) = &awarded_quote else {
            return Ok(None);
        };
        let supplier = crate::db::orgs::find_supplier(conn, quote.supplier_id)?
            .map_or_else(String::new, |s| s.name);
        let conclusion = procedure
            .standstill_ends_at
            .map(|t| crate::i18n::date(tr, t))
            .unwrap_or_default();
        Ok(Some(tr.f(
            "award.text",
            &[("supplier", supplier), ("date", conclusion)],
        )))
    };
    match user.role {
        Role::Staff => {
            view.quote_count = Some(store::quote_count(conn, lot.id)?);
            view.opening_requested_by = procedure
                .opening_requested_by
                .filter(|_| procedure.opened_by.is_none())
                .map(|id| user_name(conn, Some(id)))
                .transpose()?;
            view.can_open_quotes =
                status == LotStatus::Closed && now >= lot.quote_deadline.and_utc();
            if let (Some(at), Some(_)) = (procedure.opened_at, procedure.opened_by) {
                view.opened = Some(tr.f(
                    "opening.done",
                    &[
                        ("first", user_name(conn, procedure.opening_requested_by)?),
                        ("second", user_name(conn, procedure.opened_by)?),
                        ("at", tr.datetime(at)),
                    ],
                ));
            }
            view.show_evaluation_link = matches!(
                status,
                LotStatus::Evaluated
                    | LotStatus::Awarded
                    | LotStatus::Confirmed
                    | LotStatus::Failed
            );
            view.award = award_text(conn)?;
            view.can_revoke = status == LotStatus::Awarded
                && procedure
                    .standstill_ends_at
                    .is_some_and(|e| now.naive_utc() < e);
            view.can_cancel = !matches!(
                status,
                LotStatus::Confirmed | LotStatus::Cancelled | LotStatus::Failed
            );
            if matches!(status, LotStatus::Awarded | LotStatus::Confirmed) {
                view.totals = member_totals(conn, tr, lot.id, None)?;
                view.csv_link = Some(format!("/admin/lots/{}/allocation.csv", lot.id));
            }
        }
        Role::Buyer => {
            let member = user.member_id()?;
            if status == LotStatus::Confirmed {
                view.results = store::result_lines(conn, lot.id, Some(member))?
                    .iter()
                    .map(|r| result_view(tr, r))
                    .collect();
                view.totals = member_totals(conn, tr, lot.id, Some(member))?;
                view.csv_link = Some(format!("/lots/{}/lines.csv", lot.id));
                view.award = award_text(conn)?;
            }
        }
        Role::Supplier => {
            let supplier = user.supplier_id()?;
            view.own_quotes = store::revisions_of(conn, lot.id, supplier)?
                .into_iter()
                .map(|q| OwnQuote {
                    id: q.id,
                    revision: q.revision,
                    receipt: q.receipt_number,
                    digest: q.digest,
                    submitted_at: tr.datetime(q.submitted_at),
                })
                .collect();
            if quoting_open(lot, now) {
                view.quote_form = Some(QuoteFormView::empty());
            }
            if !view.own_quotes.is_empty() {
                view.award = award_text(conn)?;
            }
            if is_confirmed_winner(conn, lot, supplier)? {
                view.results = store::result_lines(conn, lot.id, None)?
                    .iter()
                    .filter(|r| r.result.status == "accepted")
                    .map(|r| result_view(tr, r))
                    .collect();
                view.csv_link = Some(format!("/lots/{}/purchase-order.csv", lot.id));
            }
        }
    }
    Ok(view)
}

fn member_totals(
    conn: &mut DbConnection,
    tr: Tr,
    lot: i64,
    member: Option<i64>,
) -> Result<Vec<MemberTotalView>, AppError> {
    Ok(store::result_members(conn, lot)?
        .into_iter()
        .filter(|(m, _)| member.is_none_or(|id| id == m.member_id))
        .map(|(m, name)| MemberTotalView {
            member: name,
            quantity: tr.quantity(u64::try_from(m.quantity).unwrap_or(0)),
            net: tr.money(Money::from_cents(m.net)),
            vat: tr.money(Money::from_cents(m.vat)),
            gross: tr.money(Money::from_cents(m.gross)),
            saving_vs_list: tr.money_or_dash(m.saving_vs_list.map(Money::from_cents)),
            saving_vs_alone: tr.money_or_dash(m.saving_vs_alone.map(Money::from_cents)),
        })
        .collect())
}
