//! CSV downloads of a lot: the allocation and audit log for staff, a member's own lines,
//! the winner's purchase order.

use super::error::AppError;
use super::session::CurrentUser;
use super::AppState;
use crate::app::exports::{self, Export};
use crate::domain::ids::LotId;
use actix_web::http::header;
use actix_web::{web, HttpResponse};

/// Streams the download as the operation writes it; a refusal before the first piece is
/// an error page like any other.
async fn export(
    state: &web::Data<AppState>,
    user: &CurrentUser,
    lot: LotId,
    which: Export,
    filename: &str,
) -> Result<HttpResponse, AppError> {
    use futures_util::StreamExt;
    let (tx, mut rx) = tokio::sync::mpsc::channel::<Result<web::Bytes, AppError>>(4);
    let (state, actor) = (state.clone(), user.user.clone());
    let pieces = tx.clone();
    actix_web::rt::spawn(async move {
        let written = state
            .read(move |conn| {
                exports::stream(conn, &actor, lot, which, |piece| {
                    pieces.blocking_send(Ok(piece.into())).is_ok()
                })
            })
            .await;
        if let Err(e) = written {
            let _ = tx.send(Err(e)).await;
        }
    });
    let first = match rx.recv().await {
        Some(Ok(first)) => first,
        Some(Err(e)) => return Err(e),
        None => {
            return Err(AppError::Internal(
                "the download ended before it began".into(),
            ))
        }
    };
    let rest = futures_util::stream::unfold(rx, |mut rx| async move {
        rx.recv().await.map(|piece| (piece, rx))
    })
    .map(|piece| {
        piece.map_err(|e| {
            tracing::error!(error = %e, "a download broke off");
            actix_web::error::ErrorInternalServerError("download broke off")
        })
    });
    let body =
        futures_util::stream::once(async move { Ok::<_, actix_web::Error>(first) }).chain(rest);
    Ok(HttpResponse::Ok()
        .content_type("text/csv; charset=utf-8")
        .insert_header((
            header::CONTENT_DISPOSITION,
            format!("attachment; filename=\"{filename}\""),
        ))
        .streaming(body))
}

/// Staff: the allocation of a lot (every line's result).
pub async fn allocation(
    state: web::Data<AppState>,
    user: CurrentUser,
    path: web::Path<LotId>,
) -> Result<HttpResponse, AppError> {
    let lot = path.into_inner();
    let name = format!("zuteilung-los-{lot}.csv");
    export(&state, &user, lot, Export::Allocation, &name).await
}

/// A buyer: the own organisation's confirmed lines.
pub async fn member_lines(
    state: web::Data<AppState>,
    user: CurrentUser,
    path: web::Path<LotId>,
) -> Result<HttpResponse, AppError> {
    let lot = path.into_inner();
    let name = format!("bestellung-los-{lot}.csv");
    export(&state, &user, lot, Export::MemberLines, &name).await
}

/// The winning supplier: the purchase order with the delivery breakdown.
pub async fn purchase_order(
    state: web::Data<AppState>,
    user: CurrentUser,
    path: web::Path<LotId>,
) -> Result<HttpResponse, AppError> {
    let lot = path.into_inner();
    let name = format!("auftrag-los-{lot}.csv");
    export(&state, &user, lot, Export::PurchaseOrder, &name).await
}

/// Staff: the audit log of a lot (the procurement record).
pub async fn audit_log(
    state: web::Data<AppState>,
    user: CurrentUser,
    path: web::Path<LotId>,
) -> Result<HttpResponse, AppError> {
    let lot = path.into_inner();
    let name = format!("protokoll-los-{lot}.csv");
    export(&state, &user, lot, Export::AuditLog, &name).await
}
