//! The audit log for staff: every recorded state change, newest first.

use crate::app::records;
use crate::domain::ids::LotId;
use crate::web::error::AppError;
use crate::web::session::CurrentUser;
use crate::web::{ok, AppState, Page};
use actix_web::{web, HttpResponse};
use askama::Template;
use serde::Deserialize;

pub struct AuditRow {
    pub at: String,
    pub actor: String,
    pub action: String,
    pub lot: Option<LotId>,
    pub entity: String,
    pub details: String,
}

#[derive(Template)]
#[template(path = "admin/audit.html")]
struct AuditPage {
    page: Page,
    rows: Vec<AuditRow>,
    lot: Option<LotId>,
    /// The link to the next page of older entries.
    older: Option<String>,
}

#[derive(Deserialize)]
pub struct AuditQuery {
    lot: Option<LotId>,
    before: Option<i64>,
}

pub async fn list(
    state: web::Data<AppState>,
    user: CurrentUser,
    query: web::Query<AuditQuery>,
) -> Result<HttpResponse, AppError> {
    let (actor, lot, before) = (user.user.clone(), query.lot, query.before);
    let records::AuditPage { entries, names } = state
        .read(move |conn| records::audit_log(conn, &actor, lot, before))
        .await?;
    let tr = user.tr();
    let rows = entries
        .rows
        .into_iter()
        .map(|e| AuditRow {
            at: tr.datetime(e.at),
            actor: e
                .actor_id
                .and_then(|id| names.get(&id).cloned())
                .unwrap_or_else(|| tr.t("audit.system").to_string()),
            action: e.action,
            lot: e.lot_id,
            entity: match e.entity_id {
                Some(id) => format!("{} #{id}", e.entity),
                None => e.entity,
            },
            details: e.details,
        })
        .collect();
    let older = entries.older.map(|id| match lot {
        Some(lot) => format!("/admin/audit?lot={lot}&before={id}"),
        None => format!("/admin/audit?before={id}"),
    });
    ok(&AuditPage {
        page: Page::for_user(&user, tr.t("audit.title"), None),
        rows,
        lot,
        older,
    })
}
