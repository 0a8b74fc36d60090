//! Staff see the outbox with every email's state and last error, and send one again.

use crate::app::records::{self, ResendError};
use crate::web::error::AppError;
use crate::web::session::{CurrentUser, Form};
use crate::web::{ok, redirect, AppState, Page};
use actix_web::{web, HttpResponse};
use askama::Template;
use serde::Deserialize;

pub struct OutboxRowView {
    pub id: i64,
    pub created: String,
    pub recipient: String,
    pub subject: String,
    pub kind: String,
    pub status: String,
    pub status_label: String,
    pub attempts: i64,
    pub error: String,
    pub can_resend: bool,
}

/// A delivery status to filter by, with how many emails have it.
struct StatusCount {
    status: &'static str,
    label: String,
    count: i64,
}

#[derive(Template)]
#[template(path = "admin/outbox.html")]
struct OutboxPage {
    page: Page,
    rows: Vec<OutboxRowView>,
    filter: String,
    counts: Vec<StatusCount>,
    /// The link to the next page of older messages.
    older: Option<String>,
}

#[derive(Deserialize)]
pub struct OutboxQuery {
    status: Option<String>,
    notice: Option<String>,
    before: Option<i64>,
}

pub async fn list(
    state: web::Data<AppState>,
    user: CurrentUser,
    query: web::Query<OutboxQuery>,
) -> Result<HttpResponse, AppError> {
    let filter = query
        .status
        .clone()
        .filter(|s| records::STATES.contains(&s.as_str()));
    let (actor, wanted, before) = (user.user.clone(), filter.clone(), query.before);
    let records::OutboxPage { messages, counts } = state
        .read(move |conn| records::outbox(conn, &actor, wanted.as_deref(), before))
        .await?;
    let tr = user.tr();
    let filter = filter.unwrap_or_default();
    ok(&OutboxPage {
        page: Page::for_user(&user, tr.t("outbox.title"), query.notice.as_deref()),
        rows: messages
            .rows
            .into_iter()
            .map(|r| OutboxRowView {
                can_resend: records::can_resend(&r),
                id: r.id,
                created: tr.datetime(r.created_at),
                recipient: r.recipient,
                subject: r.subject,
                kind: r.kind,
                status_label: tr.t(&format!("outbox.status.{}", r.status)).to_string(),
                status: r.status,
                attempts: r.attempts,
                error: r.last_error,
            })
            .collect(),
        older: messages
            .older
            .map(|id| format!("/admin/outbox?status={filter}&before={id}")),
        filter,
        counts: counts
            .into_iter()
            .map(|(s, n)| StatusCount {
                status: s,
                label: tr.t(&format!("outbox.status.{s}")).to_string(),
                count: n,
            })
            .collect(),
    })
}

#[derive(Deserialize)]
pub struct NoFields {}

pub async fn resend(
    state: web::Data<AppState>,
    user: CurrentUser,
    path: web::Path<i64>,
    Form(_): Form<NoFields>,
) -> Result<HttpResponse, AppError> {
    let id = path.into_inner();
    let (ctx, actor) = (state.ctx(), user.user.clone());
    match state
        .run(move |conn| records::resend(conn, &ctx, &actor, id))
        .await
    {
        Ok(()) => Ok(redirect("/admin/outbox?notice=resent")),
        Err(ResendError::Denied(d)) => Err(d.into()),
        Err(ResendError::Store(e)) => Err(e.into()),
    }
}
