//! The calendar subscription: a page to get, renew or revoke the secret feed URL, and the
//! feed itself (no sign-in: the URL is the key).

use super::error::AppError;
use super::session::{CurrentUser, Form};
use super::{ok, redirect, AppState, NoticeQuery, Page};
use crate::app::calendar;
use actix_web::http::header;
use actix_web::{web, HttpResponse};
use askama::Template;

#[derive(Template)]
#[template(path = "calendar.html")]
struct CalendarPage {
    page: Page,
    /// Since when a feed exists.
    since: Option<String>,
    /// The feed's URL, right after it was made (it is not stored and cannot be shown again).
    url: Option<String>,
}

async fn page(
    state: &AppState,
    user: &CurrentUser,
    url: Option<String>,
    notice: Option<&str>,
) -> Result<HttpResponse, AppError> {
    let actor = user.user.clone();
    let since = state
        .read(move |conn| calendar::status(conn, &actor).map_err(crate::app::ReadError::from))
        .await?;
    ok(&CalendarPage {
        page: Page::for_user(user, user.tr().t("calendar.title"), notice),
        since: since.map(|at| user.tr().datetime(at)),
        url,
    })
}

pub async fn show(
    state: web::Data<AppState>,
    user: CurrentUser,
    query: web::Query<NoticeQuery>,
) -> Result<HttpResponse, AppError> {
    let notice = super::notice_text(user.tr(), query.notice.as_deref());
    page(&state, &user, None, notice.as_deref()).await
}

#[derive(serde::Deserialize)]
pub struct NoFields {}

pub async fn renew(
    state: web::Data<AppState>,
    user: CurrentUser,
    Form(_): Form<NoFields>,
) -> Result<HttpResponse, AppError> {
    let (ctx, actor) = (state.ctx(), user.user.clone());
    let token = state
        .read(move |conn| calendar::renew(conn, &ctx, &actor).map_err(crate::app::ReadError::from))
        .await?;
    let url = format!(
        "{}/calendar/{token}.ics",
        state.settings.base_url.trim_end_matches('/')
    );
    page(&state, &user, Some(url), None).await
}

pub async fn revoke(
    state: web::Data<AppState>,
    user: CurrentUser,
    Form(_): Form<NoFields>,
) -> Result<HttpResponse, AppError> {
    let (ctx, actor) = (state.ctx(), user.user.clone());
    state
        .read(move |conn| calendar::revoke(conn, &ctx, &actor).map_err(crate::app::ReadError::from))
        .await?;
    Ok(redirect("/account/calendar?notice=calendar_revoked"))
}

/// The feed: text/calendar for a valid URL, 404 for any other.
pub async fn feed(
    state: web::Data<AppState>,
    path: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let token = path.into_inner();
    let base = state.settings.base_url.clone();
    let now = state.now();
    let feed = state
        .read(move |conn| {
            calendar::feed(conn, &token, &base, now).map_err(crate::app::ReadError::from)
        })
        .await?;
    match feed {
        Some(ics) => Ok(HttpResponse::Ok()
            .content_type("text/calendar; charset=utf-8")
            .insert_header((
                header::CONTENT_DISPOSITION,
                "inline; filename=\"sammelkauf.ics\"",
            ))
            .body(ics)),
        None => Err(AppError::NotFound),
    }
}
