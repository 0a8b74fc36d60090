//! The procurement part of a lot's page, and staff's steps on it: the two-person opening,
//! revoking an award, cancelling the lot.

use super::error::AppError;
use super::lot_page::lot_page;
use super::session::{CurrentUser, Form};
use super::{redirect, render, AppState};
use crate::app::closing::{self, ClosingError, WithReason};
use crate::app::opening::{self, Opened, OpeningError};
use crate::domain::ids::LotId;
use crate::domain::rules::OpeningRefusal;
use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};
use serde::Deserialize;

/// The lot's page again with a message, for a step that was refused.
async fn refused(
    state: &AppState,
    user: &CurrentUser,
    lot: LotId,
    status: StatusCode,
    key: &str,
) -> Result<HttpResponse, AppError> {
    let mut page = lot_page(state, user, lot, None, None).await?;
    page.page.notice = Some(user.tr().t(key).to_string());
    render(status, &page)
}

#[derive(Deserialize)]
pub struct NoFields {}

/// Opening the quotes: the first staff member asks, a second one confirms.
pub async fn opening(
    state: web::Data<AppState>,
    user: CurrentUser,
    path: web::Path<LotId>,
    Form(_): Form<NoFields>,
) -> Result<HttpResponse, AppError> {
    let lot = path.into_inner();
    let (ctx, actor) = (state.ctx(), user.user.clone());
    let key = match state
        .run(move |conn| opening::open_quotes(conn, &ctx, &actor, lot))
        .await
    {
        Ok(Opened::Requested) => {
            return Ok(redirect(&format!("/lots/{lot}?notice=opening_requested")))
        }
        Ok(Opened::Opened) => return Ok(redirect(&format!("/lots/{lot}?notice=quotes_opened"))),
        Err(OpeningError::Refused(OpeningRefusal::NotNow)) => "error.opening_too_early",
        Err(OpeningError::Refused(OpeningRefusal::WaitingForSecondPerson)) => "error.second_person",
        Err(OpeningError::AlreadyOpened) => "error.not_closed",
        Err(OpeningError::Denied(d)) => return Err(d.into()),
        Err(OpeningError::Store(e)) => return Err(e.into()),
    };
    refused(&state, &user, lot, StatusCode::CONFLICT, key).await
}

#[derive(Deserialize)]
pub struct ReasonFields {
    #[serde(default)]
    reason: String,
}

fn closing_refusal(error: ClosingError) -> Result<&'static str, AppError> {
    match error {
        ClosingError::Reason => Ok("error.reason"),
        ClosingError::NotRevocable => Ok("error.not_revocable"),
        ClosingError::NotCancellable => Ok("error.not_cancellable"),
        ClosingError::Denied(d) => Err(d.into()),
        ClosingError::Store(e) => Err(e.into()),
    }
}

async fn with_reason(
    state: &AppState,
    user: &CurrentUser,
    lot: LotId,
    reason: String,
    step: WithReason,
) -> Result<HttpResponse, AppError> {
    let (ctx, actor) = (state.ctx(), user.user.clone());
    let notice = match step {
        WithReason::Revoke => "award_revoked",
        WithReason::Cancel => "lot_cancelled",
    };
    match state
        .run(move |conn| closing::with_reason(conn, &ctx, &actor, lot, step, &reason))
        .await
    {
        Ok(()) => Ok(redirect(&format!("/lots/{lot}?notice={notice}"))),
        Err(e) => {
            let key = closing_refusal(e)?;
            refused(state, user, lot, StatusCode::UNPROCESSABLE_ENTITY, key).await
        }
    }
}

/// Revokes an award during the standstill; the lot returns to evaluation.
pub async fn revoke(
    state: web::Data<AppState>,
    user: CurrentUser,
    path: web::Path<LotId>,
    Form(fields): Form<ReasonFields>,
) -> Result<HttpResponse, AppError> {
    let lot = path.into_inner();
    with_reason(&state, &user, lot, fields.reason, WithReason::Revoke).await
}

/// Cancels a lot before it is confirmed.
pub async fn cancel(
    state: web::Data<AppState>,
    user: CurrentUser,
    path: web::Path<LotId>,
    Form(fields): Form<ReasonFields>,
) -> Result<HttpResponse, AppError> {
    let lot = path.into_inner();
    with_reason(&state, &user, lot, fields.reason, WithReason::Cancel).await
}
