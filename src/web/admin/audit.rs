//! The audit log for staff: every recorded state change, newest first.

use crate::db::{audit, users};
use crate::domain::account::Role;
use crate::web::error::AppError;
use crate::web::session::CurrentUser;
use crate::web::{ok, AppState, Page};
use actix_web::{web, HttpResponse};
use askama::Template;
use serde::Deserialize;
use std::collections::HashMap;

pub struct AuditRow {
    pub at: String,
    pub actor: String,
    pub action: String,
    pub lot: Option<i64>,
    pub entity: String,
    pub details: String,
}

#[derive(Template)]
#[template(path = "admin/audit.html")]
struct AuditPage {
    page: Page,
    rows: Vec<AuditRow>,
    lot: Option<i64>,
}

#[derive(Deserialize)]
pub struct AuditQuery {
    lot: Option<i64>,
}

pub async fn list(
    state: web::Data<AppState>,
    user: CurrentUser,
    query: web::Query<AuditQuery>,
) -> Result<HttpResponse, AppError> {
    user.require(Role::Staff)?;
    let lot = query.lot;
    let (entries, names) = state
        .db(move |conn| {
            let entries = audit::list(conn, lot, 500)?;
            let names: HashMap<i64, String> = users::list(conn)?
                .into_iter()
                .map(|u| (u.id, format!("{} <{}>", u.name, u.email)))
                .collect();
            Ok((entries, names))
        })
        .await?;
    let tr = user.tr();
    let rows = entries
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
    ok(&AuditPage {
        page: Page::for_user(&user, tr.t("audit.title"), None),
        rows,
        lot,
    })
}
