//! A buyer's order lines in a lot: place, change and cancel until the demand deadline.

use super::error::AppError;
use super::lots::{lot_page, visible_lot, OrderForm};
use super::session::{CurrentUser, Form};
use super::{ok, redirect, render, AppState, Page};
use crate::db::{self, audit, lots, orders, orgs, DbConnection};
use crate::domain::lot::{FieldError, LotStatus, OrderInput};
use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};
use askama::Template;
use chrono::NaiveDateTime;
use serde::Deserialize;

#[derive(Deserialize)]
pub struct OrderFields {
    #[serde(default)]
    quantity: String,
    #[serde(default)]
    site: String,
    #[serde(default)]
    max_unit_price: String,
    #[serde(default)]
    reference: String,
    #[serde(default)]
    idempotency_key: String,
}

/// What became of an order request.
enum Outcome {
    Done,
    Invalid(Vec<FieldError>),
    Closed,
}

/// Checks the input against the lot and the member's own sites.
fn check_input(
    conn: &mut DbConnection,
    lot: &lots::Lot,
    member: i64,
    fields: &OrderFields,
) -> Result<Result<(OrderInput, i64), Vec<FieldError>>, AppError> {
    let mut errors = Vec::new();
    let input = OrderInput::parse(
        &fields.quantity,
        &fields.max_unit_price,
        &fields.reference,
        lot.increment(),
    )
    .map_err(|e| errors.extend(e))
    .ok();
    let site = match fields.site.trim().parse::<i64>() {
        Ok(id) => match orgs::find_site(conn, id)? {
            Some(site) if site.member_id == member && site.active => Some(id),
            _ => None,
        },
        Err(_) => None,
    };
    if site.is_none() {
        errors.push(FieldError::new("site", "error.site"));
    }
    Ok(match (input, site) {
        (Some(input), Some(site)) if errors.is_empty() => Ok((input, site)),
        _ => Err(errors),
    })
}

fn audit_line(
    conn: &mut DbConnection,
    user: i64,
    action: &str,
    lot: i64,
    line: i64,
    details: &str,
    now: NaiveDateTime,
) -> Result<(), diesel::result::Error> {
    audit::append(
        conn,
        &audit::NewAuditEntry {
            at: now,
            actor_id: Some(user),
            action,
            lot_id: Some(lot),
            entity: "order_line",
            entity_id: Some(line),
            details,
        },
    )
}

fn describe(input: &OrderInput, site: i64) -> String {
    format!(
        "quantity={} site={} max_unit_price={} reference={:?}",
        input.quantity,
        site,
        input
            .max_unit_price
            .map_or_else(|| "-".to_string(), |p| p.to_string()),
        input.reference
    )
}

/// The form again after a failed attempt: its status and the values with their messages.
/// `None` when the attempt succeeded.
fn refused_form(
    outcome: Outcome,
    fields: OrderFields,
    tr: crate::i18n::Tr,
) -> Option<(StatusCode, OrderForm)> {
    let (status, errors) = match outcome {
        Outcome::Done => return None,
        Outcome::Invalid(errors) => (
            StatusCode::UNPROCESSABLE_ENTITY,
            errors.iter().map(|e| tr.field_error(e)).collect(),
        ),
        Outcome::Closed => (
            StatusCode::CONFLICT,
            vec![tr.t("error.lot_closed").to_string()],
        ),
    };
    Some((
        status,
        OrderForm {
            quantity: fields.quantity,
            site: fields.site.trim().parse().unwrap_or(0),
            max_unit_price: fields.max_unit_price,
            reference: fields.reference,
            idempotency_key: fields.idempotency_key,
            errors,
        },
    ))
}

/// Queues the email that confirms a placed, changed or cancelled line to the buyer.
#[allow(clippy::too_many_arguments)]
fn confirm_by_mail(
    conn: &mut DbConnection,
    mail: &crate::mail::MailContext,
    buyer: &crate::db::users::User,
    lot: &lots::Lot,
    action: &str,
    site: i64,
    input: &OrderInput,
    now: NaiveDateTime,
) -> Result<(), diesel::result::Error> {
    let site = orgs::find_site(conn, site)?
        .map(|s| s.name)
        .unwrap_or_default();
    crate::mail::notify::order_line(
        conn,
        mail,
        buyer,
        lot,
        action,
        &crate::mail::notify::LineSummary {
            quantity: input.quantity,
            unit: lot.unit.clone(),
            site,
            limit: input.max_unit_price,
            reference: input.reference.clone(),
        },
        now,
    )
}

/// The answer after an attempt on the lot page: back to the lot, or the page again with
/// messages.
async fn respond(
    state: &AppState,
    user: &CurrentUser,
    lot: i64,
    outcome: Outcome,
    fields: OrderFields,
    notice: &str,
) -> Result<HttpResponse, AppError> {
    match refused_form(outcome, fields, user.tr()) {
        None => Ok(redirect(&format!("/lots/{lot}?notice={notice}"))),
        Some((status, form)) => {
            render(status, &lot_page(state, user, lot, Some(form), None).await?)
        }
    }
}

pub async fn place(
    state: web::Data<AppState>,
    user: CurrentUser,
    path: web::Path<i64>,
    Form(fields): Form<OrderFields>,
) -> Result<HttpResponse, AppError> {
    let lot_id = path.into_inner();
    let member = user.member_id()?;
    let actor = user.user.id;
    let now = state.now().naive_utc();
    let viewer = user.clone();
    let mail = state.mail.clone();
    let key = fields.idempotency_key.trim().to_string();
    if key.is_empty() || key.len() > 100 {
        return Err(AppError::BadRequest("missing idempotency key".into()));
    }
    let (outcome, fields) = state
        .db(move |conn| {
            let lot = visible_lot(conn, &viewer, lot_id)?;
            if lot.status_at(now.and_utc()) != LotStatus::Open {
                return Ok((Outcome::Closed, fields));
            }
            let (input, site) = match check_input(conn, &lot, member, &fields)? {
                Ok(ok) => ok,
                Err(errors) => return Ok((Outcome::Invalid(errors), fields)),
            };
            let outcome = db::transaction(conn, |conn| {
                if !lots::lock_open_for_orders(conn, lot_id, now)? {
                    return Ok(Outcome::Closed);
                }
                // A form sent twice places one line.
                if orders::find_by_idempotency_key(conn, lot_id, member, &key)?.is_some() {
                    return Ok(Outcome::Done);
                }
                let line = orders::insert(
                    conn,
                    &orders::NewLine {
                        lot: lot_id,
                        member,
                        site,
                        input: &input,
                        idempotency_key: &key,
                        placed_by: actor,
                        now,
                    },
                )?;
                audit_line(
                    conn,
                    actor,
                    "order.placed",
                    lot_id,
                    line,
                    &describe(&input, site),
                    now,
                )?;
                confirm_by_mail(conn, &mail, &viewer.user, &lot, "placed", site, &input, now)?;
                Ok::<_, diesel::result::Error>(Outcome::Done)
            });
            match outcome {
                Ok(o) => Ok((o, fields)),
                // The same key raced in from a second request: that one placed the line.
                Err(e) if db::is_unique_violation(&e) => Ok((Outcome::Done, fields)),
                Err(e) => Err(e.into()),
            }
        })
        .await?;
    respond(&state, &user, lot_id, outcome, fields, "order_placed").await
}

/// Loads one of the member's own active lines of this lot, or "not found".
fn own_line(
    conn: &mut DbConnection,
    user: &CurrentUser,
    lot: i64,
    line: i64,
) -> Result<(lots::Lot, orders::OrderLineRow), AppError> {
    let member = user.member_id()?;
    let lot = visible_lot(conn, user, lot)?;
    match orders::find(conn, line)? {
        Some(row)
            if row.lot_id == lot.id && row.member_id == member && row.cancelled_at.is_none() =>
        {
            Ok((lot, row))
        }
        _ => Err(AppError::NotFound),
    }
}

#[derive(Template)]
#[template(path = "order_edit.html")]
struct EditPage {
    page: Page,
    lot_id: i64,
    lot_title: String,
    unit: String,
    line_id: i64,
    form: OrderForm,
    sites: Vec<(i64, String)>,
    can_change: bool,
    increment: String,
}

impl EditPage {
    fn lot_unit_hint(&self) -> &str {
        &self.unit
    }

    fn quantity_hint(&self) -> String {
        self.page
            .tr
            .f("order.quantity_hint", &[("n", self.increment.clone())])
    }
}

async fn edit_page(
    state: &AppState,
    user: &CurrentUser,
    lot: i64,
    line: i64,
    form: Option<OrderForm>,
) -> Result<EditPage, AppError> {
    let viewer = user.clone();
    let (lot_row, row, sites) = state
        .db(move |conn| {
            let (lot_row, row) = own_line(conn, &viewer, lot, line)?;
            let sites = orgs::sites_of(conn, row.member_id)?;
            Ok((lot_row, row, sites))
        })
        .await?;
    let tr = user.tr();
    let form = form.unwrap_or_else(|| OrderForm {
        quantity: row.quantity.to_string(),
        site: row.delivery_site_id,
        max_unit_price: row
            .limit()
            .map(|p| p.to_decimal().normalize().to_string())
            .unwrap_or_default(),
        reference: row.reference.clone(),
        idempotency_key: String::new(),
        errors: Vec::new(),
    });
    Ok(EditPage {
        page: Page::for_user(user, tr.t("order.edit_title"), None),
        lot_id: lot,
        lot_title: lot_row.title.clone(),
        unit: lot_row.unit.clone(),
        line_id: line,
        form,
        sites: sites
            .into_iter()
            .filter(|s| s.active || s.id == row.delivery_site_id)
            .map(|s| (s.id, s.name))
            .collect(),
        can_change: lot_row.status_at(state.now()) == LotStatus::Open,
        increment: tr.quantity(lot_row.increment()),
    })
}

pub async fn edit_form(
    state: web::Data<AppState>,
    user: CurrentUser,
    path: web::Path<(i64, i64)>,
) -> Result<HttpResponse, AppError> {
    let (lot, line) = path.into_inner();
    ok(&edit_page(&state, &user, lot, line, None).await?)
}

pub async fn change(
    state: web::Data<AppState>,
    user: CurrentUser,
    path: web::Path<(i64, i64)>,
    Form(fields): Form<OrderFields>,
) -> Result<HttpResponse, AppError> {
    let (lot_id, line_id) = path.into_inner();
    let member = user.member_id()?;
    let actor = user.user.id;
    let now = state.now().naive_utc();
    let viewer = user.clone();
    let mail = state.mail.clone();
    let (outcome, fields) = state
        .db(move |conn| {
            let (lot, _) = own_line(conn, &viewer, lot_id, line_id)?;
            if lot.status_at(now.and_utc()) != LotStatus::Open {
                return Ok((Outcome::Closed, fields));
            }
            let (input, site) = match check_input(conn, &lot, member, &fields)? {
                Ok(ok) => ok,
                Err(errors) => return Ok((Outcome::Invalid(errors), fields)),
            };
            let outcome = db::transaction(conn, |conn| {
                if !lots::lock_open_for_orders(conn, lot_id, now)? {
                    return Ok(Outcome::Closed);
                }
                if orders::update(conn, line_id, site, &input, now)? == 0 {
                    return Err(AppError::NotFound);
                }
                audit_line(
                    conn,
                    actor,
                    "order.changed",
                    lot_id,
                    line_id,
                    &describe(&input, site),
                    now,
                )?;
                confirm_by_mail(
                    conn,
                    &mail,
                    &viewer.user,
                    &lot,
                    "changed",
                    site,
                    &input,
                    now,
                )?;
                Ok(Outcome::Done)
            })?;
            Ok((outcome, fields))
        })
        .await?;
    match refused_form(outcome, fields, user.tr()) {
        None => Ok(redirect(&format!("/lots/{lot_id}?notice=order_changed"))),
        Some((status, form)) => render(
            status,
            &edit_page(&state, &user, lot_id, line_id, Some(form)).await?,
        ),
    }
}

#[derive(Deserialize)]
pub struct CancelFields {}

pub async fn cancel(
    state: web::Data<AppState>,
    user: CurrentUser,
    path: web::Path<(i64, i64)>,
    Form(_): Form<CancelFields>,
) -> Result<HttpResponse, AppError> {
    let (lot_id, line_id) = path.into_inner();
    let actor = user.user.id;
    let now = state.now().naive_utc();
    let viewer = user.clone();
    let mail = state.mail.clone();
    let outcome = state
        .db(move |conn| {
            let (lot, row) = own_line(conn, &viewer, lot_id, line_id)?;
            if lot.status_at(now.and_utc()) != LotStatus::Open {
                return Ok(Outcome::Closed);
            }
            let input = OrderInput {
                quantity: u64::try_from(row.quantity).unwrap_or(0),
                max_unit_price: row.limit(),
                reference: row.reference.clone(),
            };
            db::transaction(conn, |conn| {
                if !lots::lock_open_for_orders(conn, lot_id, now)? {
                    return Ok(Outcome::Closed);
                }
                if orders::cancel(conn, line_id, now)? == 1 {
                    audit_line(conn, actor, "order.cancelled", lot_id, line_id, "", now)?;
                    let site = row.delivery_site_id;
                    confirm_by_mail(
                        conn,
                        &mail,
                        &viewer.user,
                        &lot,
                        "cancelled",
                        site,
                        &input,
                        now,
                    )?;
                }
                Ok(Outcome::Done)
            })
        })
        .await?;
    match outcome {
        Outcome::Done => Ok(redirect(&format!("/lots/{lot_id}?notice=order_cancelled"))),
        _ => {
            respond(
                &state,
                &user,
                lot_id,
                Outcome::Closed,
                OrderFields {
                    quantity: String::new(),
                    site: String::new(),
                    max_unit_price: String::new(),
                    reference: String::new(),
                    idempotency_key: String::new(),
                },
                "",
            )
            .await
        }
    }
}
