//! CSV downloads of a lot: the allocation and audit log for staff, a member's own lines,
//! the winner's purchase order.

use super::error::AppError;
use super::session::CurrentUser;
use super::AppState;
use crate::app::exports::{self, Export};
use actix_web::http::header;
use actix_web::{web, HttpResponse};

/// A CSV text as a download.
fn download(csv: String, filename: &str) -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/csv; charset=utf-8")
        .insert_header((
            header::CONTENT_DISPOSITION,
            format!("attachment; filename=\"{filename}\""),
        ))
        .body(csv)
}

async fn export(
    state: &AppState,
    user: &CurrentUser,
    lot: i64,
    which: Export,
    filename: &str,
) -> Result<HttpResponse, AppError> {
    let actor = user.user.clone();
    let csv = state
        .read(move |conn| exports::export(conn, &actor, lot, which))
        .await?;
    Ok(download(csv, filename))
}

/// Staff: the allocation of a lot (every line's result).
pub async fn allocation(
    state: web::Data<AppState>,
    user: CurrentUser,
    path: web::Path<i64>,
) -> Result<HttpResponse, AppError> {
    let lot = path.into_inner();
    let name = format!("zuteilung-los-{lot}.csv");
    export(&state, &user, lot, Export::Allocation, &name).await
}

/// A buyer: the own organisation's confirmed lines.
pub async fn member_lines(
    state: web::Data<AppState>,
    user: CurrentUser,
    path: web::Path<i64>,
) -> Result<HttpResponse, AppError> {
    let lot = path.into_inner();
    let name = format!("bestellung-los-{lot}.csv");
    export(&state, &user, lot, Export::MemberLines, &name).await
}

/// The winning supplier: the purchase order with the delivery breakdown.
pub async fn purchase_order(
    state: web::Data<AppState>,
    user: CurrentUser,
    path: web::Path<i64>,
) -> Result<HttpResponse, AppError> {
    let lot = path.into_inner();
    let name = format!("auftrag-los-{lot}.csv");
    export(&state, &user, lot, Export::PurchaseOrder, &name).await
}

/// Staff: the audit log of a lot (the procurement record).
pub async fn audit_log(
    state: web::Data<AppState>,
    user: CurrentUser,
    path: web::Path<i64>,
) -> Result<HttpResponse, AppError> {
    let lot = path.into_inner();
    let name = format!("protokoll-los-{lot}.csv");
    export(&state, &user, lot, Export::AuditLog, &name).await
}
