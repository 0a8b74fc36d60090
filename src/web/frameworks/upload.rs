//! Many call-offs at once from a CSV file: the preview of every line, then all or none.
use super::{answer, refusal_key};
use crate::domain::ids::LotId;
use crate::web::error::AppError;
use crate::web::session::CurrentUser;
use crate::web::{redirect, render, AppState, Page};
use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};
use askama::Template;

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
    lot_id: LotId,
    lot_title: String,
    text: String,
    errors: Vec<String>,
    lines: Vec<UploadLineView>,
    can_confirm: bool,
}

async fn upload_page(
    state: &AppState,
    user: &CurrentUser,
    lot: LotId,
    text: String,
    result: Result<
        Vec<crate::app::frameworks::upload::UploadedCallOff>,
        crate::app::frameworks::upload::CallOffUploadError,
    >,
) -> Result<HttpResponse, AppError> {
    use crate::app::frameworks::upload::CallOffUploadError as E;
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
            page.errors
                .push(crate::web::upload::file_error_text(tr, &e));
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
            let error = tr.t(refusal_key(reason)).to_string();
            page.errors.push(tr.f(
                "upload.line_error",
                &[("line", line.to_string()), ("error", error)],
            ));
            StatusCode::CONFLICT
        }
        Err(E::CallOff(e)) => {
            let (status, errors) = answer(tr, e)?;
            page.errors = errors;
            status
        }
    };
    render(status, &page)
}

/// Call-offs from a file: each line priced in turn, nothing stored yet.
pub async fn upload_preview(
    state: web::Data<AppState>,
    user: CurrentUser,
    path: web::Path<LotId>,
    super::session::FormFields(pairs): super::session::FormFields,
) -> Result<HttpResponse, AppError> {
    let lot = path.into_inner();
    let text = crate::web::upload::uploaded_text(&crate::web::admin::Fields(pairs));
    let (ctx, actor, submitted) = (state.ctx(), user.user.clone(), text.clone());
    let result = state
        .run(move |conn| {
            crate::app::frameworks::upload::preview_upload(conn, &ctx, &actor, lot, &submitted)
        })
        .await;
    upload_page(&state, &user, lot, text, result).await
}

/// Stores every call-off of the file, or none.
pub async fn upload_confirm(
    state: web::Data<AppState>,
    user: CurrentUser,
    path: web::Path<LotId>,
    super::session::FormFields(pairs): super::session::FormFields,
) -> Result<HttpResponse, AppError> {
    let lot = path.into_inner();
    let text = crate::web::admin::Fields(pairs).get("csv").to_string();
    let (ctx, actor, submitted) = (state.ctx(), user.user.clone(), text.clone());
    match state
        .run(move |conn| {
            crate::app::frameworks::upload::place_upload(conn, &ctx, &actor, lot, &submitted)
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
