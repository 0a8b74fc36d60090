//! A buyer's order lines in a lot: place, change and cancel until the demand deadline.

use super::error::AppError;
use super::lot_page::{lot_page, OrderForm};
use super::session::{CurrentUser, Form, Visitor};
use super::{ok, redirect, render, AppState, Choice, Page};
use crate::app::ordering::{self, OrderError, OrderRequest};
use crate::domain::ids::{LineId, LotId, SiteId};
use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};
use askama::Template;
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

impl OrderFields {
    fn request(&self) -> OrderRequest {
        OrderRequest {
            quantity: self.quantity.clone(),
            site: self.site.clone(),
            max_unit_price: self.max_unit_price.clone(),
            reference: self.reference.clone(),
        }
    }
}

/// The form again after a refused attempt: its status and the values with their messages;
/// other failures become error pages.
fn refused_form(
    error: OrderError,
    fields: OrderFields,
    tr: crate::i18n::Tr,
) -> Result<(StatusCode, OrderForm), AppError> {
    let (status, errors) = match error {
        OrderError::Invalid(errors) => (
            StatusCode::UNPROCESSABLE_ENTITY,
            errors.iter().map(|e| tr.field_error(e)).collect(),
        ),
        OrderError::Closed => (
            StatusCode::CONFLICT,
            vec![tr.t("error.lot_closed").to_string()],
        ),
        OrderError::BadKey => return Err(AppError::BadRequest("missing idempotency key".into())),
        OrderError::Denied(d) => return Err(d.into()),
        OrderError::Store(e) => return Err(e.into()),
    };
    Ok((
        status,
        OrderForm {
            quantity: fields.quantity,
            site: fields.site.trim().parse().unwrap_or_default(),
            max_unit_price: fields.max_unit_price,
            reference: fields.reference,
            idempotency_key: fields.idempotency_key,
            errors,
        },
    ))
}

pub async fn place(
    state: web::Data<AppState>,
    visitor: Visitor,
    path: web::Path<LotId>,
    Form(fields): Form<OrderFields>,
) -> Result<HttpResponse, AppError> {
    let (lot, ctx) = (path.into_inner(), state.ctx());
    let (request, key) = (fields.request(), fields.idempotency_key.clone());
    let (user, ready) = visitor
        .run(move |conn, actor| ordering::prepare(conn, &ctx, actor, lot, &request, &key))
        .await?;
    let placed = match ready {
        Ok(order) => state.orders.store(&state.pool, order).await,
        Err(refused) => Err(refused),
    };
    match placed {
        Ok(()) => Ok(redirect(&format!("/lots/{lot}?notice=order_placed"))),
        Err(error) => {
            let (status, form) = refused_form(error, fields, user.tr())?;
            render(
                status,
                &lot_page(&state, &user, lot, Some(form), None).await?,
            )
        }
    }
}

#[derive(Template)]
#[template(path = "order_edit.html")]
struct EditPage {
    page: Page,
    lot_id: LotId,
    lot_title: String,
    unit: String,
    line_id: LineId,
    form: OrderForm,
    sites: Vec<Choice<SiteId>>,
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
    lot: LotId,
    line: LineId,
    form: Option<OrderForm>,
) -> Result<EditPage, AppError> {
    let (ctx, actor) = (state.ctx(), user.user.clone());
    let data = state
        .read(move |conn| ordering::edit_data(conn, &ctx, &actor, lot, line))
        .await?;
    let tr = user.tr();
    let row = &data.line;
    let form = form.unwrap_or_else(|| OrderForm {
        quantity: row.quantity.to_string(),
        site: row.delivery_site_id,
        max_unit_price: row
            .max_unit_price
            .map(|p| p.to_decimal().normalize().to_string())
            .unwrap_or_default(),
        reference: row.reference.clone(),
        idempotency_key: String::new(),
        errors: Vec::new(),
    });
    Ok(EditPage {
        page: Page::for_user(user, tr.t("order.edit_title"), None),
        lot_id: lot,
        lot_title: data.lot.title.clone(),
        unit: data.lot.unit.clone(),
        line_id: line,
        form,
        sites: data
            .sites
            .iter()
            .map(|s| Choice::new(s.id, s.name.clone()))
            .collect(),
        can_change: data.can_change,
        increment: tr.quantity(data.lot.order_increment),
    })
}

pub async fn edit_form(
    state: web::Data<AppState>,
    user: CurrentUser,
    path: web::Path<(LotId, LineId)>,
) -> Result<HttpResponse, AppError> {
    let (lot, line) = path.into_inner();
    ok(&edit_page(&state, &user, lot, line, None).await?)
}

pub async fn change(
    state: web::Data<AppState>,
    user: CurrentUser,
    path: web::Path<(LotId, LineId)>,
    Form(fields): Form<OrderFields>,
) -> Result<HttpResponse, AppError> {
    let (lot, line) = path.into_inner();
    let (ctx, actor, request) = (state.ctx(), user.user.clone(), fields.request());
    match state
        .run(move |conn| ordering::change(conn, &ctx, &actor, lot, line, &request))
        .await
    {
        Ok(()) => Ok(redirect(&format!("/lots/{lot}?notice=order_changed"))),
        Err(error) => {
            let (status, form) = refused_form(error, fields, user.tr())?;
            render(
                status,
                &edit_page(&state, &user, lot, line, Some(form)).await?,
            )
        }
    }
}

#[derive(Deserialize)]
pub struct CancelFields {}

pub async fn cancel(
    state: web::Data<AppState>,
    user: CurrentUser,
    path: web::Path<(LotId, LineId)>,
    Form(_): Form<CancelFields>,
) -> Result<HttpResponse, AppError> {
    let (lot, line) = path.into_inner();
    let (ctx, actor) = (state.ctx(), user.user.clone());
    match state
        .run(move |conn| ordering::cancel(conn, &ctx, &actor, lot, line))
        .await
    {
        Ok(()) => Ok(redirect(&format!("/lots/{lot}?notice=order_cancelled"))),
        Err(error) => {
            let (status, form) = refused_form(error, OrderFields::empty(), user.tr())?;
            render(
                status,
                &lot_page(&state, &user, lot, Some(form), None).await?,
            )
        }
    }
}

impl OrderFields {
    fn empty() -> Self {
        OrderFields {
            quantity: String::new(),
            site: String::new(),
            max_unit_price: String::new(),
            reference: String::new(),
            idempotency_key: String::new(),
        }
    }
}
