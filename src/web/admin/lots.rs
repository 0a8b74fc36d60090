//! Staff describe a lot in draft, change it while it is a draft, and open it.

use super::{Fields, TierRow};
use crate::app::lot_admin::{self, LotAdminError};
use crate::app::lots::Lot;
use crate::domain::account::Role;
use crate::domain::ids::{LotId, SupplierId};
use crate::domain::lot::{short_standstill_reason, Category, LotForm, LotTermsInput};
use crate::i18n::{datetime_input_value, parse_datetime_input, Tr};
use crate::web::error::AppError;
use crate::web::session::{CurrentUser, Form};
use crate::web::{ok, redirect, render, unprocessable, AppState, Choice, Page};
use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};
use askama::Template;

/// Rows offered for indicative tiers.
const TIER_ROWS: usize = 6;

/// The lot form's values as typed, and its messages.
pub struct LotFormView {
    pub title: String,
    pub specification: String,
    pub category: String,
    pub unit: String,
    pub order_increment: String,
    pub min_total_quantity: String,
    pub list_unit_price: String,
    pub vat_rate: String,
    pub demand_deadline: String,
    pub quote_deadline: String,
    pub standstill_days: String,
    pub standstill_reason: String,
    pub tiers: Vec<TierRow>,
    pub invited: Vec<SupplierId>,
    pub errors: Vec<String>,
    /// `one_off` or `framework`, and the framework's term and maximum.
    pub kind: String,
    pub term_months: String,
    pub max_quantity: String,
}

impl LotFormView {
    fn empty() -> Self {
        LotFormView {
            title: String::new(),
            specification: String::new(),
            category: Category::Devices.as_str().into(),
            unit: "Stück".into(),
            order_increment: "1".into(),
            min_total_quantity: "0".into(),
            list_unit_price: String::new(),
            vat_rate: "0.19".into(),
            demand_deadline: String::new(),
            quote_deadline: String::new(),
            standstill_days: "10".into(),
            standstill_reason: String::new(),
            tiers: vec![TierRow::default(); TIER_ROWS],
            invited: Vec::new(),
            errors: Vec::new(),
            kind: "one_off".into(),
            term_months: "24".into(),
            max_quantity: String::new(),
        }
    }

    fn from_fields(fields: &Fields) -> Self {
        LotFormView {
            title: fields.get("title").into(),
            specification: fields.get("specification").into(),
            category: fields.get("category").into(),
            unit: fields.get("unit").into(),
            order_increment: fields.get("order_increment").into(),
            min_total_quantity: fields.get("min_total_quantity").into(),
            list_unit_price: fields.get("list_unit_price").into(),
            vat_rate: fields.get("vat_rate").into(),
            demand_deadline: fields.get("demand_deadline").into(),
            quote_deadline: fields.get("quote_deadline").into(),
            standstill_days: fields.get("standstill_days").into(),
            standstill_reason: fields.get("standstill_reason").into(),
            tiers: TierRow::from_fields(fields, TIER_ROWS),
            invited: fields
                .all("invite")
                .iter()
                .filter_map(|v| v.parse().ok())
                .collect(),
            errors: Vec::new(),
            kind: fields.get("kind").into(),
            term_months: fields.get("term_months").into(),
            max_quantity: fields.get("max_quantity").into(),
        }
    }

    fn from_lot(
        lot: &Lot,
        tiers: &[crate::domain::lot::IndicativeTier],
        invited: Vec<SupplierId>,
        framework: Option<crate::domain::lot::FrameworkTerms>,
    ) -> Self {
        let mut rows: Vec<TierRow> = tiers
            .iter()
            .map(|t| {
                TierRow::new(
                    t.min_quantity.to_string(),
                    t.unit_price.to_decimal().normalize().to_string(),
                )
            })
            .collect();
        rows.resize(rows.len().max(TIER_ROWS), TierRow::default());
        LotFormView {
            title: lot.title.clone(),
            specification: lot.specification.clone(),
            category: lot.category.as_str().to_string(),
            unit: lot.unit.clone(),
            order_increment: lot.order_increment.to_string(),
            min_total_quantity: lot.min_total_quantity.to_string(),
            list_unit_price: lot
                .list_unit_price
                .map(|p| p.to_decimal().normalize().to_string())
                .unwrap_or_default(),
            vat_rate: rust_decimal::Decimal::new(lot.vat_rate.ten_thousandths(), 4)
                .normalize()
                .to_string(),
            demand_deadline: datetime_input_value(lot.demand_deadline),
            quote_deadline: datetime_input_value(lot.quote_deadline),
            standstill_days: lot.standstill_days.to_string(),
            standstill_reason: String::new(),
            tiers: rows,
            invited,
            errors: Vec::new(),
            kind: if framework.is_some() {
                "framework"
            } else {
                "one_off"
            }
            .into(),
            term_months: framework.map_or_else(|| "24".into(), |f| f.term_months.to_string()),
            max_quantity: framework
                .map(|f| f.max_quantity.to_string())
                .unwrap_or_default(),
        }
    }

    /// Checks the form; on success the terms and the reason for a short standstill.
    fn parse(
        &self,
    ) -> Result<(LotTermsInput, Option<String>), Vec<crate::domain::lot::FieldError>> {
        let terms = LotTermsInput::parse(&LotForm {
            title: &self.title,
            specification: &self.specification,
            category: &self.category,
            unit: &self.unit,
            order_increment: &self.order_increment,
            min_total_quantity: &self.min_total_quantity,
            list_unit_price: &self.list_unit_price,
            vat_rate: &self.vat_rate,
            demand_deadline: parse_datetime_input(&self.demand_deadline),
            quote_deadline: parse_datetime_input(&self.quote_deadline),
            standstill_days: &self.standstill_days,
            tiers: TierRow::as_pairs(&self.tiers),
            kind: &self.kind,
            term_months: &self.term_months,
            max_quantity: &self.max_quantity,
        })?;
        let reason = short_standstill_reason(terms.standstill_days, &self.standstill_reason)
            .map_err(|e| vec![e])?;
        Ok((terms, reason))
    }
}

#[derive(Template)]
#[template(path = "admin/lot_form.html")]
struct LotFormPage {
    page: Page,
    action: String,
    lot_id: Option<LotId>,
    form: LotFormView,
    categories: Vec<Choice<&'static str>>,
    suppliers: Vec<Choice<SupplierId>>,
}

async fn form_page(
    state: &AppState,
    user: &CurrentUser,
    lot_id: Option<LotId>,
    form: LotFormView,
) -> Result<LotFormPage, AppError> {
    let actor = user.user.clone();
    let suppliers = state
        .read(move |conn| lot_admin::suppliers(conn, &actor))
        .await?;
    let tr: Tr = user.tr();
    Ok(LotFormPage {
        page: Page::for_user(
            user,
            tr.t(if lot_id.is_some() {
                "lot_form.edit_title"
            } else {
                "lot_form.new_title"
            }),
            None,
        ),
        action: lot_id.map_or_else(
            || "/admin/lots".to_string(),
            |id| format!("/admin/lots/{id}"),
        ),
        lot_id,
        form,
        categories: crate::web::category_choices(tr),
        suppliers: suppliers
            .into_iter()
            .map(|s| Choice::new(s.id, s.name))
            .collect(),
    })
}

pub async fn new_form(
    state: web::Data<AppState>,
    user: CurrentUser,
) -> Result<HttpResponse, AppError> {
    user.require(Role::Staff)?;
    ok(&form_page(&state, &user, None, LotFormView::empty()).await?)
}

/// The refusals no form explains: "not found", "not allowed", a failure of the machinery.
fn plain(error: LotAdminError) -> AppError {
    match error {
        LotAdminError::Denied(d) => d.into(),
        LotAdminError::Store(e) => e.into(),
        LotAdminError::NotDraft | LotAdminError::DeadlinePassed | LotAdminError::QuotingOver => {
            AppError::Conflict(error.to_string())
        }
        LotAdminError::Invalid(_) => AppError::BadRequest(error.to_string()),
    }
}

pub async fn create(
    state: web::Data<AppState>,
    user: CurrentUser,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Result<HttpResponse, AppError> {
    user.require(Role::Staff)?;
    let mut form = LotFormView::from_fields(&Fields(pairs));
    let (terms, reason) = match form.parse() {
        Ok(t) => t,
        Err(errors) => {
            form.errors = errors.iter().map(|e| user.tr().field_error(e)).collect();
            return unprocessable(&form_page(&state, &user, None, form).await?);
        }
    };
    let (ctx, actor, invited) = (state.ctx(), user.user.clone(), form.invited.clone());
    let id = state
        .run(move |conn| lot_admin::create(conn, &ctx, &actor, &terms, &invited, reason.as_deref()))
        .await
        .map_err(plain)?;
    Ok(redirect(&format!("/lots/{id}?notice=lot_saved")))
}

pub async fn edit_form(
    state: web::Data<AppState>,
    user: CurrentUser,
    path: web::Path<LotId>,
) -> Result<HttpResponse, AppError> {
    user.require(Role::Staff)?;
    let id = path.into_inner();
    let actor = user.user.clone();
    let draft = state
        .read(move |conn| lot_admin::draft(conn, &actor, id))
        .await?;
    if !draft.editable {
        return Ok(redirect(&format!("/lots/{id}")));
    }
    ok(&form_page(
        &state,
        &user,
        Some(id),
        LotFormView::from_lot(&draft.lot, &draft.tiers, draft.invited, draft.framework),
    )
    .await?)
}

pub async fn update(
    state: web::Data<AppState>,
    user: CurrentUser,
    path: web::Path<LotId>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Result<HttpResponse, AppError> {
    user.require(Role::Staff)?;
    let id = path.into_inner();
    let mut form = LotFormView::from_fields(&Fields(pairs));
    let (terms, reason) = match form.parse() {
        Ok(t) => t,
        Err(errors) => {
            form.errors = errors.iter().map(|e| user.tr().field_error(e)).collect();
            return unprocessable(&form_page(&state, &user, Some(id), form).await?);
        }
    };
    let (ctx, actor, invited) = (state.ctx(), user.user.clone(), form.invited.clone());
    match state
        .run(move |conn| {
            lot_admin::update(conn, &ctx, &actor, id, &terms, &invited, reason.as_deref())
        })
        .await
    {
        Ok(()) => Ok(redirect(&format!("/lots/{id}?notice=lot_saved"))),
        Err(LotAdminError::NotDraft) => {
            form.errors = vec![user.tr().t("error.not_draft").to_string()];
            render(
                StatusCode::CONFLICT,
                &form_page(&state, &user, Some(id), form).await?,
            )
        }
        Err(e) => Err(plain(e)),
    }
}

#[derive(serde::Deserialize)]
pub struct OpenFields {}

/// The lot's page again with a message, for a step that was refused.
async fn refused(
    state: &AppState,
    user: &CurrentUser,
    id: LotId,
    key: &str,
) -> Result<HttpResponse, AppError> {
    let mut page = crate::web::lot_page::lot_page(state, user, id, None, None).await?;
    page.page.notice = Some(user.tr().t(key).to_string());
    render(StatusCode::CONFLICT, &page)
}

pub async fn open(
    state: web::Data<AppState>,
    user: CurrentUser,
    path: web::Path<LotId>,
    Form(_): Form<OpenFields>,
) -> Result<HttpResponse, AppError> {
    let id = path.into_inner();
    let (ctx, actor) = (state.ctx(), user.user.clone());
    match state
        .run(move |conn| lot_admin::open(conn, &ctx, &actor, id))
        .await
    {
        Ok(()) => Ok(redirect(&format!("/lots/{id}?notice=lot_opened"))),
        Err(LotAdminError::NotDraft) => refused(&state, &user, id, "error.not_draft").await,
        Err(LotAdminError::DeadlinePassed) => {
            refused(&state, &user, id, "error.deadline_past").await
        }
        Err(e) => Err(plain(e)),
    }
}

/// Staff invite further suppliers while the lot takes quotes; each gets its invitation.
pub async fn invite(
    state: web::Data<AppState>,
    user: CurrentUser,
    path: web::Path<LotId>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Result<HttpResponse, AppError> {
    let id = path.into_inner();
    let chosen: Vec<SupplierId> = Fields(pairs)
        .all("invite")
        .iter()
        .filter_map(|v| v.parse().ok())
        .collect();
    let (ctx, actor) = (state.ctx(), user.user.clone());
    match state
        .run(move |conn| lot_admin::invite(conn, &ctx, &actor, id, &chosen))
        .await
    {
        Ok(_) => Ok(redirect(&format!("/lots/{id}?notice=invited"))),
        Err(LotAdminError::QuotingOver) => refused(&state, &user, id, "error.quote_deadline").await,
        Err(e) => Err(plain(e)),
    }
}
