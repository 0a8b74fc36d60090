//! Staff manage member organisations with their delivery sites, and suppliers.

use crate::app::organisations::{self, OrgError, OrgForm, SiteForm};
use crate::domain::account::Role;
use crate::domain::ids::{MemberId, SiteId, SupplierId, UserId};
use crate::web::error::AppError;
use crate::web::session::{CurrentUser, Form};
use crate::web::{ok, redirect, unprocessable, AppState, NoticeQuery, Page};
use actix_web::{web, HttpResponse};
use askama::Template;
use serde::Deserialize;

#[derive(Deserialize, Default, Clone)]
pub struct OrgFields {
    #[serde(default)]
    name: String,
    #[serde(default)]
    city: String,
    #[serde(default)]
    contact_email: String,
}

impl OrgFields {
    fn form(&self) -> OrgForm {
        OrgForm {
            name: self.name.clone(),
            city: self.city.clone(),
            contact_email: self.contact_email.clone(),
        }
    }
}

/// Form mistakes come back to the form; everything else is an error page.
fn form_errors(error: OrgError) -> Result<Vec<&'static str>, AppError> {
    match error {
        OrgError::Invalid(errors) => Ok(errors),
        OrgError::Denied(d) => Err(d.into()),
        OrgError::Store(e) => Err(e.into()),
    }
}

pub struct MemberRow {
    pub id: MemberId,
    pub name: String,
    pub city: String,
    pub contact_email: String,
}

#[derive(Template)]
#[template(path = "admin/members.html")]
struct MembersPage {
    page: Page,
    rows: Vec<MemberRow>,
    form: OrgFields,
    errors: Vec<String>,
}

async fn members_page(
    state: &AppState,
    user: &CurrentUser,
    form: OrgFields,
    errors: Vec<&'static str>,
    notice: Option<&str>,
) -> Result<MembersPage, AppError> {
    let actor = user.user.clone();
    let members = state
        .read(move |conn| organisations::members(conn, &actor))
        .await?;
    let tr = user.tr();
    Ok(MembersPage {
        page: Page::for_user(user, tr.t("members.title"), notice),
        rows: members
            .into_iter()
            .map(|m| MemberRow {
                id: m.id,
                name: m.name,
                city: m.city,
                contact_email: m.contact_email,
            })
            .collect(),
        form,
        errors: errors.into_iter().map(|k| tr.t(k).to_string()).collect(),
    })
}

pub async fn members(
    state: web::Data<AppState>,
    user: CurrentUser,
    query: web::Query<NoticeQuery>,
) -> Result<HttpResponse, AppError> {
    user.require(Role::Staff)?;
    ok(&members_page(
        &state,
        &user,
        OrgFields::default(),
        Vec::new(),
        query.notice.as_deref(),
    )
    .await?)
}

pub async fn create_member(
    state: web::Data<AppState>,
    user: CurrentUser,
    Form(fields): Form<OrgFields>,
) -> Result<HttpResponse, AppError> {
    let (ctx, actor, form) = (state.ctx(), user.user.clone(), fields.form());
    match state
        .run(move |conn| organisations::create_member(conn, &ctx, &actor, &form))
        .await
    {
        Ok(id) => Ok(redirect(&format!("/admin/members/{id}?notice=saved"))),
        Err(e) => {
            let errors = form_errors(e)?;
            unprocessable(&members_page(&state, &user, fields, errors, None).await?)
        }
    }
}

pub struct SiteRow {
    pub id: SiteId,
    pub name: String,
    pub address: String,
    pub active: bool,
    pub code: String,
}

#[derive(Template)]
#[template(path = "admin/member.html")]
struct MemberPage {
    page: Page,
    id: MemberId,
    form: OrgFields,
    sites: Vec<SiteRow>,
    buyers: Vec<BuyerLine>,
    errors: Vec<String>,
}

/// One of the member's buyers, linked to their account.
struct BuyerLine {
    id: UserId,
    name: String,
    email: String,
}

async fn member_page(
    state: &AppState,
    user: &CurrentUser,
    id: MemberId,
    form: Option<OrgFields>,
    errors: Vec<&'static str>,
    notice: Option<&str>,
) -> Result<MemberPage, AppError> {
    let actor = user.user.clone();
    let organisations::MemberData {
        member,
        sites,
        buyers,
    } = state
        .read(move |conn| organisations::member(conn, &actor, id))
        .await?;
    let buyers = buyers
        .into_iter()
        .map(|u| BuyerLine {
            id: u.id,
            name: u.name,
            email: u.email,
        })
        .collect();
    let tr = user.tr();
    Ok(MemberPage {
        page: Page::for_user(user, &member.name, notice),
        id,
        form: form.unwrap_or(OrgFields {
            name: member.name.clone(),
            city: member.city.clone(),
            contact_email: member.contact_email.clone(),
        }),
        sites: sites
            .into_iter()
            .map(|s| SiteRow {
                id: s.id,
                name: s.name,
                address: s.address,
                active: s.active,
                code: s.code,
            })
            .collect(),
        buyers,
        errors: errors.into_iter().map(|k| tr.t(k).to_string()).collect(),
    })
}

pub async fn member(
    state: web::Data<AppState>,
    user: CurrentUser,
    path: web::Path<MemberId>,
    query: web::Query<NoticeQuery>,
) -> Result<HttpResponse, AppError> {
    user.require(Role::Staff)?;
    ok(&member_page(
        &state,
        &user,
        path.into_inner(),
        None,
        Vec::new(),
        query.notice.as_deref(),
    )
    .await?)
}

pub async fn update_member(
    state: web::Data<AppState>,
    user: CurrentUser,
    path: web::Path<MemberId>,
    Form(fields): Form<OrgFields>,
) -> Result<HttpResponse, AppError> {
    let id = path.into_inner();
    let (ctx, actor, form) = (state.ctx(), user.user.clone(), fields.form());
    match state
        .run(move |conn| organisations::update_member(conn, &ctx, &actor, id, &form))
        .await
    {
        Ok(()) => Ok(redirect(&format!("/admin/members/{id}?notice=saved"))),
        Err(e) => {
            let errors = form_errors(e)?;
            unprocessable(&member_page(&state, &user, id, Some(fields), errors, None).await?)
        }
    }
}

#[derive(Deserialize)]
pub struct SiteFields {
    #[serde(default)]
    name: String,
    #[serde(default)]
    address: String,
    #[serde(default)]
    active: Option<String>,
    #[serde(default)]
    code: String,
}

impl SiteFields {
    fn form(&self) -> SiteForm {
        SiteForm {
            name: self.name.clone(),
            address: self.address.clone(),
            active: self.active.is_some(),
            code: self.code.clone(),
        }
    }
}

pub async fn create_site(
    state: web::Data<AppState>,
    user: CurrentUser,
    path: web::Path<MemberId>,
    Form(fields): Form<SiteFields>,
) -> Result<HttpResponse, AppError> {
    let member = path.into_inner();
    let (ctx, actor, form) = (state.ctx(), user.user.clone(), fields.form());
    match state
        .run(move |conn| organisations::create_site(conn, &ctx, &actor, member, &form))
        .await
    {
        Ok(()) => Ok(redirect(&format!("/admin/members/{member}?notice=saved"))),
        Err(e) => {
            let errors = form_errors(e)?;
            unprocessable(&member_page(&state, &user, member, None, errors, None).await?)
        }
    }
}

pub async fn update_site(
    state: web::Data<AppState>,
    user: CurrentUser,
    path: web::Path<SiteId>,
    Form(fields): Form<SiteFields>,
) -> Result<HttpResponse, AppError> {
    let id = path.into_inner();
    let actor = user.user.clone();
    let member = state
        .read(move |conn| organisations::site_member(conn, &actor, id))
        .await?;
    let (ctx, actor, form) = (state.ctx(), user.user.clone(), fields.form());
    match state
        .run(move |conn| organisations::update_site(conn, &ctx, &actor, id, &form))
        .await
    {
        Ok(()) => Ok(redirect(&format!("/admin/members/{member}?notice=saved"))),
        Err(e) => {
            let errors = form_errors(e)?;
            unprocessable(&member_page(&state, &user, member, None, errors, None).await?)
        }
    }
}

pub struct SupplierRow {
    pub id: SupplierId,
    pub name: String,
    pub contact_email: String,
}

#[derive(Template)]
#[template(path = "admin/suppliers.html")]
struct SuppliersPage {
    page: Page,
    rows: Vec<SupplierRow>,
    form: OrgFields,
    errors: Vec<String>,
    editing: Option<SupplierId>,
}

async fn suppliers_page(
    state: &AppState,
    user: &CurrentUser,
    form: OrgFields,
    editing: Option<SupplierId>,
    errors: Vec<&'static str>,
    notice: Option<&str>,
) -> Result<SuppliersPage, AppError> {
    let actor = user.user.clone();
    let suppliers = state
        .read(move |conn| organisations::suppliers(conn, &actor))
        .await?;
    let tr = user.tr();
    Ok(SuppliersPage {
        page: Page::for_user(user, tr.t("suppliers.title"), notice),
        rows: suppliers
            .into_iter()
            .map(|s| SupplierRow {
                id: s.id,
                name: s.name,
                contact_email: s.contact_email,
            })
            .collect(),
        form,
        editing,
        errors: errors.into_iter().map(|k| tr.t(k).to_string()).collect(),
    })
}

pub async fn suppliers(
    state: web::Data<AppState>,
    user: CurrentUser,
    query: web::Query<NoticeQuery>,
) -> Result<HttpResponse, AppError> {
    user.require(Role::Staff)?;
    ok(&suppliers_page(
        &state,
        &user,
        OrgFields::default(),
        None,
        Vec::new(),
        query.notice.as_deref(),
    )
    .await?)
}

pub async fn supplier(
    state: web::Data<AppState>,
    user: CurrentUser,
    path: web::Path<SupplierId>,
) -> Result<HttpResponse, AppError> {
    let id = path.into_inner();
    let actor = user.user.clone();
    let supplier = state
        .read(move |conn| organisations::supplier(conn, &actor, id))
        .await?;
    let form = OrgFields {
        name: supplier.name,
        city: String::new(),
        contact_email: supplier.contact_email,
    };
    ok(&suppliers_page(&state, &user, form, Some(id), Vec::new(), None).await?)
}

pub async fn create_supplier(
    state: web::Data<AppState>,
    user: CurrentUser,
    Form(fields): Form<OrgFields>,
) -> Result<HttpResponse, AppError> {
    save_supplier(state, user, None, fields).await
}

pub async fn update_supplier(
    state: web::Data<AppState>,
    user: CurrentUser,
    path: web::Path<SupplierId>,
    Form(fields): Form<OrgFields>,
) -> Result<HttpResponse, AppError> {
    save_supplier(state, user, Some(path.into_inner()), fields).await
}

async fn save_supplier(
    state: web::Data<AppState>,
    user: CurrentUser,
    id: Option<SupplierId>,
    fields: OrgFields,
) -> Result<HttpResponse, AppError> {
    let (ctx, actor, form) = (state.ctx(), user.user.clone(), fields.form());
    match state
        .run(move |conn| organisations::save_supplier(conn, &ctx, &actor, id, &form))
        .await
    {
        Ok(_) => Ok(redirect("/admin/suppliers?notice=saved")),
        Err(e) => {
            let errors = form_errors(e)?;
            unprocessable(&suppliers_page(&state, &user, fields, id, errors, None).await?)
        }
    }
}
