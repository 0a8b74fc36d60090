//! Sealed quotes from the supplier's side: the quote form, its submission and the receipt.

use super::admin::{Fields, TierRow};
use super::error::AppError;
use super::lot_page::lot_page;
use super::lot_page::quote_form::QuoteFormView;
use super::session::{CurrentUser, FormFields};
use super::{ok, redirect, render, AppState, Page};
use crate::app::quotes::{self, QuoteError};
use crate::domain::ids::LotId;
use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};
use askama::Template;

pub async fn submit(
    state: web::Data<AppState>,
    user: CurrentUser,
    path: web::Path<LotId>,
    FormFields(pairs): FormFields,
) -> Result<HttpResponse, AppError> {
    let lot = path.into_inner();
    let mut form = QuoteFormView::from_fields(&Fields(pairs));
    let (ctx, actor, submitted) = (state.ctx(), user.user.clone(), form.clone());
    let result = state
        .run(move |conn| quotes::submit(conn, &ctx, &actor, lot, &submitted.form()))
        .await;
    let tr = user.tr();
    let (status, errors) = match result {
        Ok(id) => return Ok(redirect(&format!("/lots/{lot}/quotes/{id}"))),
        Err(QuoteError::Invalid(errors)) => (
            StatusCode::UNPROCESSABLE_ENTITY,
            errors.iter().map(|e| tr.field_error(e)).collect(),
        ),
        Err(QuoteError::DeadlinePassed) => (
            StatusCode::CONFLICT,
            vec![tr.t("error.quote_deadline").to_string()],
        ),
        Err(QuoteError::Denied(d)) => return Err(d.into()),
        Err(QuoteError::Store(e)) => return Err(e.into()),
    };
    form.errors = errors;
    let mut page = lot_page(&state, &user, lot, None, None).await?;
    page.procedure.quote_form = Some(form);
    render(status, &page)
}

#[derive(Template)]
#[template(path = "receipt.html")]
struct ReceiptPage {
    page: Page,
    lot_id: LotId,
    lot_title: String,
    receipt: String,
    digest: String,
    canonical: String,
    submitted_at: String,
    revision: i64,
    tiers: Vec<TierRow>,
    pricing: String,
}

pub async fn receipt(
    state: web::Data<AppState>,
    user: CurrentUser,
    path: web::Path<(LotId, crate::domain::ids::QuoteId)>,
) -> Result<HttpResponse, AppError> {
    let (lot, quote) = path.into_inner();
    let actor = user.user.clone();
    let receipt = state
        .read(move |conn| quotes::receipt(conn, &actor, lot, quote))
        .await?;
    let tr = user.tr();
    ok(&ReceiptPage {
        page: Page::for_user(&user, tr.t("quote.receipt_title"), None),
        lot_id: lot,
        lot_title: receipt.lot.title,
        canonical: receipt.canonical,
        receipt: receipt.quote.receipt_number,
        digest: receipt.quote.digest,
        submitted_at: tr.datetime(receipt.quote.submitted_at),
        revision: receipt.quote.revision,
        tiers: receipt
            .tiers
            .iter()
            .map(|t| TierRow::new(tr.quantity(t.min_quantity), tr.price(t.unit_price)))
            .collect(),
        pricing: tr
            .t(&format!("pricing.{}", receipt.quote.pricing.as_str()))
            .to_string(),
    })
}
