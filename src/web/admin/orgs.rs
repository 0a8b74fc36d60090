//! Staff manage member organisations with their delivery sites, and suppliers.

use super::record;
use crate::db::{self, orgs, users};
use crate::domain::account::{EmailAddress, Role};
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

/// Checks an organisation's name and contact address; message keys on failure.
fn check_org(fields: &OrgFields) -> Result<(String, String, String), Vec<&'static str>> {
    let mut errors = Vec::new();
    let name = fields.name.trim().to_string();
    if name.is_empty() || name.chars().count() > 200 || name.chars().any(char::is_control) {
        errors.push("error.name");
    }
    let city = fields.city.trim().to_string();
    if city.chars().count() > 200 || city.chars().any(char::is_control) {
        errors.push("error.too_long");
    }
    let email = fields.contact_email.trim();
    let email = if email.is_empty() {
        String::new()
    } else {
        match EmailAddress::parse(email) {
            Some(e) => e.as_str().to_string(),
            None => {
                errors.push("error.email");
                String::new()
            }
        }
    };
    if errors.is_empty() {
        Ok((name, city, email))
    } else {
        Err(errors)
    }
}

/// Saves an organisation; a name already taken comes back as a message key.
fn saved_or_duplicate<T>(
    result: Result<T, AppError>,
) -> Result<Result<T, Vec<&'static str>>, AppError> {
    match result {
        Ok(v) => Ok(Ok(v)),
        Err(AppError::Database(e)) if db::is_unique_violation(&e) => {
            Ok(Err(vec!["error.name_taken"]))
        }
        Err(e) => Err(e),
    }
}

pub struct MemberRow {
    pub id: i64,
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
    let members = state.db(|conn| Ok(orgs::list_members(conn)?)).await?;
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
    user.require(Role::Staff)?;
    let (name, city, email) = match check_org(&fields) {
        Ok(v) => v,
        Err(errors) => {
            return unprocessable(&members_page(&state, &user, fields, errors, None).await?)
        }
    };
    let actor = user.user.id;
    let now = state.now().naive_utc();
    let result = state
        .db(move |conn| {
            db::transaction(conn, |conn| {
                let id = orgs::insert_member(conn, &name, &city, &email, now)?;
                record(
                    conn,
                    actor,
                    "member.created",
                    None,
                    ("member", id),
                    &name,
                    now,
                )?;
                Ok::<_, AppError>(id)
            })
        })
        .await;
    match saved_or_duplicate(result)? {
        Ok(id) => Ok(redirect(&format!("/admin/members/{id}?notice=saved"))),
        Err(errors) => unprocessable(&members_page(&state, &user, fields, errors, None).await?),
    }
}

pub struct SiteRow {
    pub id: i64,
    pub name: String,
    pub address: String,
    pub active: bool,
}

#[derive(Template)]
#[template(path = "admin/member.html")]
struct MemberPage {
    page: Page,
    id: i64,
    form: OrgFields,
    sites: Vec<SiteRow>,
    buyers: Vec<(i64, String, String)>,
    errors: Vec<String>,
}

async fn member_page(
    state: &AppState,
    user: &CurrentUser,
    id: i64,
    form: Option<OrgFields>,
    errors: Vec<&'static str>,
    notice: Option<&str>,
) -> Result<MemberPage, AppError> {
    let (member, sites, buyers) = state
        .db(move |conn| {
            let member = orgs::find_member(conn, id)?.ok_or(AppError::NotFound)?;
            let sites = orgs::sites_of(conn, id)?;
            let buyers = users::of_member(conn, id)?
                .into_iter()
                .map(|u| (u.id, u.name, u.email))
                .collect::<Vec<_>>();
            Ok((member, sites, buyers))
        })
        .await?;
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
            })
            .collect(),
        buyers,
        errors: errors.into_iter().map(|k| tr.t(k).to_string()).collect(),
    })
}

pub async fn member(
    state: web::Data<AppState>,
    user: CurrentUser,
    path: web::Path<i64>,
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
    path: web::Path<i64>,
    Form(fields): Form<OrgFields>,
) -> Result<HttpResponse, AppError> {
    user.require(Role::Staff)?;
    let id = path.into_inner();
    let (name, city, email) = match check_org(&fields) {
        Ok(v) => v,
        Err(errors) => {
            return unprocessable(
                &member_page(&state, &user, id, Some(fields), errors, None).await?,
            )
        }
    };
    let actor = user.user.id;
    let now = state.now().naive_utc();
    let result = state
        .db(move |conn| {
            db::transaction(conn, |conn| {
                if orgs::update_member(conn, id, &name, &city, &email, now)? == 0 {
                    return Err(AppError::NotFound);
                }
                record(
                    conn,
                    actor,
                    "member.changed",
                    None,
                    ("member", id),
                    &name,
                    now,
                )?;
                Ok(())
            })
        })
        .await;
    match saved_or_duplicate(result)? {
        Ok(()) => Ok(redirect(&format!("/admin/members/{id}?notice=saved"))),
        Err(errors) => {
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
}

fn check_site(fields: &SiteFields) -> Result<(String, String), Vec<&'static str>> {
    let name = fields.name.trim().to_string();
    let address = fields.address.trim().to_string();
    if name.is_empty() || name.chars().count() > 200 || name.chars().any(char::is_control) {
        return Err(vec!["error.name"]);
    }
    if address.chars().count() > 500 {
        return Err(vec!["error.too_long"]);
    }
    Ok((name, address))
}

pub async fn create_site(
    state: web::Data<AppState>,
    user: CurrentUser,
    path: web::Path<i64>,
    Form(fields): Form<SiteFields>,
) -> Result<HttpResponse, AppError> {
    user.require(Role::Staff)?;
    let member = path.into_inner();
    let (name, address) = match check_site(&fields) {
        Ok(v) => v,
        Err(errors) => {
            return unprocessable(&member_page(&state, &user, member, None, errors, None).await?)
        }
    };
    let actor = user.user.id;
    let now = state.now().naive_utc();
    let result = state
        .db(move |conn| {
            orgs::find_member(conn, member)?.ok_or(AppError::NotFound)?;
            db::transaction(conn, |conn| {
                let id = orgs::insert_site(conn, member, &name, &address, now)?;
                record(
                    conn,
                    actor,
                    "site.created",
                    None,
                    ("delivery_site", id),
                    &name,
                    now,
                )?;
                Ok::<_, AppError>(())
            })
        })
        .await;
    match saved_or_duplicate(result)? {
        Ok(()) => Ok(redirect(&format!("/admin/members/{member}?notice=saved"))),
        Err(errors) => {
            unprocessable(&member_page(&state, &user, member, None, errors, None).await?)
        }
    }
}

pub async fn update_site(
    state: web::Data<AppState>,
    user: CurrentUser,
    path: web::Path<i64>,
    Form(fields): Form<SiteFields>,
) -> Result<HttpResponse, AppError> {
    user.require(Role::Staff)?;
    let id = path.into_inner();
    let site = state
        .db(move |conn| orgs::find_site(conn, id)?.ok_or(AppError::NotFound))
        .await?;
    let (name, address) = match check_site(&fields) {
        Ok(v) => v,
        Err(errors) => {
            return unprocessable(
                &member_page(&state, &user, site.member_id, None, errors, None).await?,
            )
        }
    };
    let active = fields.active.is_some();
    let actor = user.user.id;
    let now = state.now().naive_utc();
    let result = state
        .db(move |conn| {
            db::transaction(conn, |conn| {
                orgs::update_site(conn, id, &name, &address, active)?;
                record(
                    conn,
                    actor,
                    "site.changed",
                    None,
                    ("delivery_site", id),
                    &name,
                    now,
                )?;
                Ok::<_, AppError>(())
            })
        })
        .await;
    match saved_or_duplicate(result)? {
        Ok(()) => Ok(redirect(&format!(
            "/admin/members/{}?notice=saved",
            site.member_id
        ))),
        Err(errors) => {
            unprocessable(&member_page(&state, &user, site.member_id, None, errors, None).await?)
        }
    }
}

pub struct SupplierRow {
    pub id: i64,
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
    editing: Option<i64>,
}

async fn suppliers_page(
    state: &AppState,
    user: &CurrentUser,
    form: OrgFields,
    editing: Option<i64>,
    errors: Vec<&'static str>,
    notice: Option<&str>,
) -> Result<SuppliersPage, AppError> {
    let suppliers = state.db(|conn| Ok(orgs::list_suppliers(conn)?)).await?;
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
    path: web::Path<i64>,
) -> Result<HttpResponse, AppError> {
    user.require(Role::Staff)?;
    let id = path.into_inner();
    let supplier = state
        .db(move |conn| orgs::find_supplier(conn, id)?.ok_or(AppError::NotFound))
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
    path: web::Path<i64>,
    Form(fields): Form<OrgFields>,
) -> Result<HttpResponse, AppError> {
    save_supplier(state, user, Some(path.into_inner()), fields).await
}

async fn save_supplier(
    state: web::Data<AppState>,
    user: CurrentUser,
    id: Option<i64>,
    fields: OrgFields,
) -> Result<HttpResponse, AppError> {
    user.require(Role::Staff)?;
    let (name, _, email) = match check_org(&fields) {
        Ok(v) => v,
        Err(errors) => {
            return unprocessable(&suppliers_page(&state, &user, fields, id, errors, None).await?)
        }
    };
    let actor = user.user.id;
    let now = state.now().naive_utc();
    let result = state
        .db(move |conn| {
            db::transaction(conn, |conn| {
                let saved = match id {
                    None => orgs::insert_supplier(conn, &name, &email, now)?,
                    Some(id) => {
                        if orgs::update_supplier(conn, id, &name, &email, now)? == 0 {
                            return Err(AppError::NotFound);
                        }
                        id
                    }
                };
                let action = if id.is_some() {
                    "supplier.changed"
                } else {
                    "supplier.created"
                };
                record(conn, actor, action, None, ("supplier", saved), &name, now)?;
                Ok(())
            })
        })
        .await;
    match saved_or_duplicate(result)? {
        Ok(()) => Ok(redirect("/admin/suppliers?notice=saved")),
        Err(errors) => {
            unprocessable(&suppliers_page(&state, &user, fields, id, errors, None).await?)
        }
    }
}
