//! Staff see the outbox with every email's state and last error, and send one again.

use crate::db::outbox;
use crate::domain::account::Role;
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

#[derive(Template)]
#[template(path = "admin/outbox.html")]
struct OutboxPage {
    page: Page,
    rows: Vec<OutboxRowView>,
    filter: String,
    counts: Vec<(&'static str, String, i64)>,
}

#[derive(Deserialize)]
pub struct OutboxQuery {
    status: Option<String>,
    notice: Option<String>,
}

const STATES: [&str; 4] = [
    outbox::PENDING,
    outbox::SENDING,
    outbox::SENT,
    outbox::FAILED,
];

pub async fn list(
    state: web::Data<AppState>,
    user: CurrentUser,
    query: web::Query<OutboxQuery>,
) -> Result<HttpResponse, AppError> {
    user.require(Role::Staff)?;
    let filter = query
        .status
        .clone()
        .filter(|s| STATES.contains(&s.as_str()));
    let wanted = filter.clone();
    let (rows, counts) = state
        .db(move |conn| {
            let rows = outbox::list(conn, wanted.as_deref(), 500)?;
            let counts = STATES
                .iter()
                .map(|s| outbox::count_by_status(conn, s).map(|n| (*s, n)))
                .collect::<Result<Vec<_>, _>>()?;
            Ok((rows, counts))
        })
        .await?;
    let tr = user.tr();
    ok(&OutboxPage {
        page: Page::for_user(&user, tr.t("outbox.title"), query.notice.as_deref()),
        rows: rows
            .into_iter()
            .map(|r| OutboxRowView {
                id: r.id,
                created: tr.datetime(r.created_at),
                recipient: r.recipient,
                subject: r.subject,
                kind: r.kind,
                status_label: tr.t(&format!("outbox.status.{}", r.status)).to_string(),
                can_resend: r.status != outbox::SENDING,
                status: r.status,
                attempts: r.attempts,
                error: r.last_error,
            })
            .collect(),
        filter: filter.unwrap_or_default(),
        counts: counts
            .into_iter()
            .map(|(s, n)| (s, tr.t(&format!("outbox.status.{s}")).to_string(), n))
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
    user.require(Role::Staff)?;
    let id = path.into_inner();
    let actor = user.user.id;
    let now = state.now().naive_utc();
    state
        .db(move |conn| {
            crate::db::transaction(conn, |conn| {
                if outbox::find(conn, id)?.is_none() {
                    return Err(AppError::NotFound);
                }
                if outbox::resend(conn, id, now)? == 1 {
                    super::record(conn, actor, "email.resent", None, ("email", id), "", now)?;
                }
                Ok(())
            })
        })
        .await?;
    Ok(redirect("/admin/outbox?notice=resent"))
}
