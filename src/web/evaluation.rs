//! Staff's evaluation of the opened quotes, and the award.

use super::error::AppError;
use super::lot_page::lot_page;
use super::session::{CurrentUser, Form};
use super::{redirect, render, AppState, Page};
use crate::app::award::{self, AwardError, AwardRequest, Awarded, EvaluationError};
use crate::domain::ids::LotId;
use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};
use askama::Template;
use serde::Deserialize;

/// One quote in the evaluation.
pub struct RankRow {
    pub quote_id: crate::domain::ids::QuoteId,
    pub rank: usize,
    pub supplier: String,
    pub eligible: bool,
    pub reason: String,
    pub total: String,
    pub pricing: String,
    pub tiers: String,
    pub lead_time: u64,
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
    lot_id: LotId,
    lot_title: String,
    evaluation_quantity: String,
    failure: Option<String>,
    ranking: Vec<RankRow>,
    cleared: Option<String>,
    members: Vec<MemberRow>,
    can_award: bool,
    errors: Vec<String>,
}

/// The evaluation page, or (while the quotes are sealed) the lot's page saying so.
async fn evaluation_page(
    state: &AppState,
    user: &CurrentUser,
    lot_id: LotId,
    errors: Vec<String>,
) -> Result<Result<EvaluationPage, HttpResponse>, AppError> {
    let actor = user.user.clone();
    let data = match state
        .run(move |conn| award::evaluation(conn, &actor, lot_id))
        .await
    {
        Ok(data) => data,
        Err(EvaluationError::Sealed { quote_deadline }) => {
            let tr = user.tr();
            let mut page = lot_page(state, user, lot_id, None, None).await?;
            page.page.notice = Some(tr.f(
                "evaluation.sealed",
                &[("deadline", tr.datetime(quote_deadline))],
            ));
            return Ok(Err(render(StatusCode::FORBIDDEN, &page)?));
        }
        Err(EvaluationError::Denied(d)) => return Err(d.into()),
        Err(EvaluationError::Store(e)) => return Err(e.into()),
    };
    let tr = user.tr();
    let evaluation = &data.evaluation;
    let built = &data.scenario;
    let top = evaluation.award.as_ref().map(|a| a.quote);
    let ranking = evaluation
        .ranking
        .iter()
        .enumerate()
        .map(|(i, r)| {
            let quote = &built.scenario.quotes()[r.quote];
            RankRow {
                quote_id: built.quotes[r.quote].quote,
                rank: i + 1,
                supplier: r.supplier.clone(),
                eligible: r.eligible(),
                reason: r
                    .ineligible
                    .map(|x| tr.ineligible(x).to_string())
                    .unwrap_or_default(),
                total: tr.money_or_dash(r.evaluation_total_net),
                pricing: tr
                    .t(&format!("pricing.{}", quote.pricing.as_str()))
                    .to_string(),
                tiers: quote
                    .tiers
                    .tiers()
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
                lead_time: built.lead_times[r.quote],
                is_top: top == Some(r.quote),
            }
        })
        .collect();
    Ok(Ok(EvaluationPage {
        page: Page::for_user(user, tr.t("evaluation.title"), None),
        lot_id,
        lot_title: data.lot.title.clone(),
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
        can_award: data.can_award,
        ranking,
        errors,
    }))
}

/// The evaluation page with the given status (or the sealed notice).
async fn respond(
    state: &AppState,
    user: &CurrentUser,
    lot: LotId,
    status: StatusCode,
    errors: Vec<String>,
) -> Result<HttpResponse, AppError> {
    match evaluation_page(state, user, lot, errors).await? {
        Ok(page) => render(status, &page),
        Err(sealed) => Ok(sealed),
    }
}

pub async fn show(
    state: web::Data<AppState>,
    user: CurrentUser,
    path: web::Path<LotId>,
) -> Result<HttpResponse, AppError> {
    user.require(crate::domain::account::Role::Staff)?;
    respond(&state, &user, path.into_inner(), StatusCode::OK, Vec::new()).await
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
    path: web::Path<LotId>,
    Form(fields): Form<AwardFields>,
) -> Result<HttpResponse, AppError> {
    let lot = path.into_inner();
    let (ctx, actor) = (state.ctx(), user.user.clone());
    let request = AwardRequest {
        quote: fields.quote,
        justification: fields.justification,
    };
    let key = match state
        .run(move |conn| award::award(conn, &ctx, &actor, lot, &request))
        .await
    {
        Ok(Awarded::Awarded { .. }) => return Ok(redirect(&format!("/lots/{lot}?notice=awarded"))),
        Ok(Awarded::Failed(_)) => return Ok(redirect(&format!("/lots/{lot}?notice=lot_failed"))),
        Err(AwardError::NoQuoteChosen) => "error.choose_quote",
        Err(AwardError::JustificationTooLong) => "error.too_long",
        Err(AwardError::NeedsJustification) => "error.justification",
        Err(AwardError::NotEligible) => "error.not_eligible",
        Err(AwardError::WrongState) => {
            // The evaluation may be sealed still: answer on the lot's page.
            let mut page = lot_page(&state, &user, lot, None, None).await?;
            page.page.notice = Some(user.tr().t("error.not_evaluated").to_string());
            return render(StatusCode::CONFLICT, &page);
        }
        Err(AwardError::Denied(d)) => return Err(d.into()),
        Err(AwardError::Store(e)) => return Err(e.into()),
    };
    let errors = vec![user.tr().t(key).to_string()];
    respond(&state, &user, lot, StatusCode::UNPROCESSABLE_ENTITY, errors).await
}
