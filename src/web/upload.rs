//! Many order lines from a CSV file: the template, the preview with every problem named by
//! its line, and the confirmation that stores all lines or none.

use super::admin::Fields;
use super::error::AppError;
use super::session::{CurrentUser, FormFields};
use super::{redirect, render, AppState, Page};
use crate::app::upload::{self, UploadError, UploadPreview};
use crate::domain::ids::LotId;
use crate::domain::upload::FileError;
use crate::i18n::Tr;
use actix_web::http::{header, StatusCode};
use actix_web::{web, HttpResponse};
use askama::Template;

struct LineView {
    line: u64,
    site: String,
    quantity: String,
    limit: String,
    reference: String,
    errors: Vec<String>,
}

#[derive(Template)]
#[template(path = "order_upload.html")]
struct UploadPage {
    page: Page,
    lot_id: LotId,
    lot_title: String,
    unit: String,
    /// The file's text, carried to the confirmation.
    text: String,
    file_error: Option<String>,
    lines: Vec<LineView>,
    bad_lines: usize,
    summary: Option<String>,
    already: bool,
    can_confirm: bool,
}

pub(crate) fn file_error_text(tr: Tr, e: &FileError) -> String {
    match e {
        FileError::MissingColumn(column) => tr.f(e.key(), &[("column", tr.t(column).to_string())]),
        FileError::Malformed(line) => tr.f(e.key(), &[("line", line.to_string())]),
        FileError::TooManyLines => tr.f(
            e.key(),
            &[(
                "max",
                tr.quantity(crate::domain::upload::MAX_UPLOAD_LINES as u64),
            )],
        ),
        FileError::Empty => tr.t(e.key()).to_string(),
    }
}

fn line_views(tr: Tr, p: &UploadPreview) -> Vec<LineView> {
    p.lines
        .iter()
        .map(|l| LineView {
            line: l.line,
            site: l
                .site
                .and_then(|id| p.sites.iter().find(|s| s.id == id))
                .map_or_else(|| l.site_text.clone(), |s| s.name.clone()),
            quantity: l.quantity_text.clone(),
            limit: l.limit_text.clone(),
            reference: l.reference_text.clone(),
            errors: l.errors.iter().map(|e| tr.field_error(e)).collect(),
        })
        .collect()
}

async fn lot_of(
    state: &AppState,
    user: &CurrentUser,
    lot: LotId,
) -> Result<(String, String), AppError> {
    let actor = user.user.clone();
    let data = state
        .read(move |conn| crate::app::access::visible(conn, &actor, lot))
        .await?;
    Ok((data.title, data.unit))
}

async fn page(
    state: &AppState,
    user: &CurrentUser,
    lot: LotId,
    text: String,
    result: Result<UploadPreview, UploadError>,
) -> Result<HttpResponse, AppError> {
    let tr = user.tr();
    let (lot_title, unit) = lot_of(state, user, lot).await?;
    let mut view = UploadPage {
        page: Page::for_user(user, tr.t("upload.title"), None),
        lot_id: lot,
        lot_title,
        unit: unit.clone(),
        text,
        file_error: None,
        lines: Vec::new(),
        bad_lines: 0,
        summary: None,
        already: false,
        can_confirm: false,
    };
    let status = match result {
        Ok(p) => {
            view.lines = line_views(tr, &p);
            view.bad_lines = p.lines.iter().filter(|l| !l.errors.is_empty()).count();
            view.already = p.already_uploaded;
            view.can_confirm = view.bad_lines == 0 && !p.already_uploaded;
            view.summary = Some(tr.f(
                "upload.summary",
                &[
                    ("lines", tr.quantity(p.lines.len() as u64)),
                    ("quantity", tr.quantity(p.added_quantity)),
                    ("unit", unit),
                    ("own", tr.quantity(p.own_total_after)),
                    ("bundle", tr.quantity(p.bundle_total_after)),
                ],
            ));
            if view.bad_lines == 0 {
                StatusCode::OK
            } else {
                StatusCode::UNPROCESSABLE_ENTITY
            }
        }
        Err(UploadError::File(e)) => {
            view.file_error = Some(file_error_text(tr, &e));
            StatusCode::UNPROCESSABLE_ENTITY
        }
        Err(UploadError::Closed) => {
            view.file_error = Some(tr.t("error.lot_closed").to_string());
            StatusCode::CONFLICT
        }
        Err(UploadError::TooLarge(e)) => {
            view.file_error = Some(tr.field_error(&e));
            StatusCode::UNPROCESSABLE_ENTITY
        }
        Err(UploadError::Lines(_)) => StatusCode::UNPROCESSABLE_ENTITY,
        Err(UploadError::Denied(d)) => return Err(d.into()),
        Err(UploadError::Store(e)) => return Err(e.into()),
    };
    render(status, &view)
}

/// The uploaded file's text, or the pasted text when no file was chosen.
pub(crate) fn uploaded_text(fields: &Fields) -> String {
    let file = fields.get("csv_file");
    if file.trim().is_empty() {
        fields.get("csv_text").to_string()
    } else {
        file.to_string()
    }
}

/// The file (or pasted text) checked line by line, with nothing stored yet.
pub async fn preview(
    state: web::Data<AppState>,
    user: CurrentUser,
    path: web::Path<LotId>,
    FormFields(pairs): FormFields,
) -> Result<HttpResponse, AppError> {
    let lot = path.into_inner();
    let text = uploaded_text(&Fields(pairs));
    let (ctx, actor, submitted) = (state.ctx(), user.user.clone(), text.clone());
    let result = state
        .run(move |conn| upload::preview(conn, &ctx, &actor, lot, &submitted))
        .await;
    page(&state, &user, lot, text, result).await
}

/// Stores every line of the checked file, or none.
pub async fn confirm(
    state: web::Data<AppState>,
    user: CurrentUser,
    path: web::Path<LotId>,
    FormFields(pairs): FormFields,
) -> Result<HttpResponse, AppError> {
    let lot = path.into_inner();
    let text = Fields(pairs).get("csv").to_string();
    let (ctx, actor, submitted) = (state.ctx(), user.user.clone(), text.clone());
    let result = state
        .run(move |conn| upload::store(conn, &ctx, &actor, lot, &submitted))
        .await;
    match result {
        Ok(0) => Ok(redirect(&format!(
            "/lots/{lot}?notice=upload_already#own-heading"
        ))),
        Ok(_) => Ok(redirect(&format!(
            "/lots/{lot}?notice=upload_stored#own-heading"
        ))),
        Err(UploadError::Lines(_)) => {
            // Show the same preview again: every wrong line with its message.
            let (ctx, actor, again) = (state.ctx(), user.user.clone(), text.clone());
            let result = state
                .run(move |conn| upload::preview(conn, &ctx, &actor, lot, &again))
                .await;
            page(&state, &user, lot, text, result).await
        }
        Err(e) => page(&state, &user, lot, text, Err(e)).await,
    }
}

/// The CSV template with the member's sites.
pub async fn template(
    state: web::Data<AppState>,
    user: CurrentUser,
    path: web::Path<LotId>,
) -> Result<HttpResponse, AppError> {
    let lot = path.into_inner();
    let actor = user.user.clone();
    let csv = state
        .run(move |conn| upload::template(conn, &actor, lot))
        .await
        .map_err(|e| match e {
            UploadError::Denied(d) => AppError::from(d),
            UploadError::Store(s) => AppError::from(s),
            // The template reads no file and stores nothing: these refusals cannot come from
            // it, but each still gets its own answer.
            UploadError::Closed => AppError::Conflict(e.to_string()),
            UploadError::File(_) | UploadError::Lines(_) | UploadError::TooLarge(_) => {
                AppError::BadRequest(e.to_string())
            }
        })?;
    Ok(HttpResponse::Ok()
        .content_type("text/csv; charset=utf-8")
        .insert_header((
            header::CONTENT_DISPOSITION,
            format!("attachment; filename=\"bestellvorlage-los-{lot}.csv\""),
        ))
        .body(csv))
}
