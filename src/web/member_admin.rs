//! A member administrator's page: its organisation's delivery sites and buyers. Staff mark
//! buyers as administrators on the member's page.

use super::error::AppError;
use super::session::{CurrentUser, Form};
use super::{redirect, render, AppState, NoticeQuery, Page};
use crate::app::account_admin::{self, AccountError, AccountForm, Saved};
use crate::app::member_admin::{self, MemberAdminError};
use crate::app::organisations::{self, OrgError, SiteForm};
use crate::domain::ids::{SiteId, UserId};
use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};
use askama::Template;
use serde::Deserialize;

struct SiteLine {
    id: SiteId,
    name: String,
    address: String,
    code: String,
    active: bool,
}

struct BuyerLine {
    id: UserId,
    name: String,
    email: String,
    active: bool,
    admin: bool,
    is_self: bool,
}

#[derive(Template)]
#[template(path = "member_admin.html")]
struct ManagePage {
    page: Page,
    member: String,
    sites: Vec<SiteLine>,
    buyers: Vec<BuyerLine>,
    errors: Vec<String>,
}

async fn page(
    state: &AppState,
    user: &CurrentUser,
    status: StatusCode,
    errors: Vec<String>,
    notice: Option<&str>,
) -> Result<HttpResponse, AppError> {
    let actor = user.user.clone();
    let m = state
        .read(move |conn| member_admin::managed(conn, &actor))
        .await?;
    let tr = user.tr();
    render(
        status,
        &ManagePage {
            page: Page::for_user(user, tr.t("manage.title"), notice),
            member: m.member.name,
            sites: m
                .sites
                .into_iter()
                .map(|s| SiteLine {
                    id: s.id,
                    name: s.name,
                    address: s.address,
                    code: s.code,
                    active: s.active,
                })
                .collect(),
            buyers: m
                .buyers
                .iter()
                .map(|b| BuyerLine {
                    id: b.id,
                    name: b.name.clone(),
                    email: b.email.clone(),
                    active: b.active,
                    admin: m.admins.contains(&b.id),
                    is_self: b.id == user.user.id,
                })
                .collect(),
            errors,
        },
    )
}

pub async fn show(
    state: web::Data<AppState>,
    user: CurrentUser,
    query: web::Query<NoticeQuery>,
) -> Result<HttpResponse, AppError> {
    page(
        &state,
        &user,
        StatusCode::OK,
        Vec::new(),
        query.notice.as_deref(),
    )
    .await
}

#[derive(Deserialize)]
pub struct SiteFields {
    #[serde(default)]
    name: String,
    #[serde(default)]
    address: String,
    #[serde(default)]
    code: String,
    #[serde(default)]
    active: Option<String>,
}

impl SiteFields {
    fn form(&self, new: bool) -> SiteForm {
        SiteForm {
            name: self.name.clone(),
            address: self.address.clone(),
            active: new || self.active.is_some(),
            code: self.code.clone(),
        }
    }
}

async fn site_result(
    state: &AppState,
    user: &CurrentUser,
    result: Result<(), OrgError>,
) -> Result<HttpResponse, AppError> {
    match result {
        Ok(()) => Ok(redirect("/organisation/admin?notice=saved")),
        Err(OrgError::Invalid(keys)) => {
            let tr = user.tr();
            let errors = keys.iter().map(|k| tr.t(k).to_string()).collect();
            page(state, user, StatusCode::UNPROCESSABLE_ENTITY, errors, None).await
        }
        Err(OrgError::Denied(d)) => Err(d.into()),
        Err(OrgError::Store(e)) => Err(e.into()),
    }
}

pub async fn create_site(
    state: web::Data<AppState>,
    user: CurrentUser,
    Form(fields): Form<SiteFields>,
) -> Result<HttpResponse, AppError> {
    let (ctx, actor) = (state.ctx(), user.user.clone());
    let Some(member) = actor.member_id else {
        return Err(AppError::Forbidden);
    };
    let form = fields.form(true);
    let result = state
        .run(move |conn| organisations::create_site(conn, &ctx, &actor, member, &form))
        .await;
    site_result(&state, &user, result).await
}

pub async fn update_site(
    state: web::Data<AppState>,
    user: CurrentUser,
    path: web::Path<SiteId>,
    Form(fields): Form<SiteFields>,
) -> Result<HttpResponse, AppError> {
    let id = path.into_inner();
    let (ctx, actor, form) = (state.ctx(), user.user.clone(), fields.form(false));
    let result = state
        .run(move |conn| organisations::update_site(conn, &ctx, &actor, id, &form))
        .await;
    site_result(&state, &user, result).await
}

#[derive(Deserialize)]
pub struct InviteFields {
    #[serde(default)]
    email: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    language: String,
}

pub async fn invite(
    state: web::Data<AppState>,
    user: CurrentUser,
    Form(fields): Form<InviteFields>,
) -> Result<HttpResponse, AppError> {
    let (ctx, actor) = (state.ctx(), user.user.clone());
    let Some(member) = actor.member_id else {
        return Err(AppError::Forbidden);
    };
    let form = AccountForm {
        email: fields.email,
        name: fields.name,
        role: "buyer".into(),
        organisation: format!("member:{member}"),
        language: fields.language,
        active: true,
    };
    let result = state
        .run(move |conn| account_admin::create(conn, &ctx, &actor, &form))
        .await;
    match result {
        Ok(Saved::Invited(_)) | Ok(_) => Ok(redirect("/organisation/admin?notice=user_invited")),
        Err(AccountError::Invalid(keys)) => {
            let tr = user.tr();
            let errors = keys.iter().map(|k| tr.t(k).to_string()).collect();
            page(
                &state,
                &user,
                StatusCode::UNPROCESSABLE_ENTITY,
                errors,
                None,
            )
            .await
        }
        Err(AccountError::Denied(d)) => Err(d.into()),
        Err(AccountError::Store(e)) => Err(e.into()),
    }
}

#[derive(Deserialize)]
pub struct ActiveFields {
    #[serde(default)]
    active: String,
}

pub async fn set_active(
    state: web::Data<AppState>,
    user: CurrentUser,
    path: web::Path<UserId>,
    Form(fields): Form<ActiveFields>,
) -> Result<HttpResponse, AppError> {
    let id = path.into_inner();
    let (ctx, actor, active) = (state.ctx(), user.user.clone(), fields.active == "on");
    let result = state
        .run(move |conn| member_admin::set_colleague_active(conn, &ctx, &actor, id, active))
        .await;
    admin_result(result, "/organisation/admin?notice=saved")
}

fn admin_result(result: Result<(), MemberAdminError>, to: &str) -> Result<HttpResponse, AppError> {
    match result {
        Ok(()) => Ok(redirect(to)),
        Err(MemberAdminError::SelfLockout) => {
            Err(AppError::Conflict("one cannot deactivate oneself".into()))
        }
        Err(MemberAdminError::NotABuyer) => Err(AppError::Conflict(
            "only a member's buyer can administer it".into(),
        )),
        Err(MemberAdminError::Denied(d)) => Err(d.into()),
        Err(MemberAdminError::Store(e)) => Err(e.into()),
    }
}

#[derive(Deserialize)]
pub struct AdminFields {
    #[serde(default)]
    admin: String,
}

/// Staff: makes a buyer its member's administrator, or withdraws it.
pub async fn set_admin(
    state: web::Data<AppState>,
    user: CurrentUser,
    path: web::Path<UserId>,
    Form(fields): Form<AdminFields>,
) -> Result<HttpResponse, AppError> {
    let id = path.into_inner();
    let (ctx, actor, admin) = (state.ctx(), user.user.clone(), fields.admin == "on");
    let result = state
        .run(move |conn| member_admin::set_admin(conn, &ctx, &actor, id, admin))
        .await;
    admin_result(result, &format!("/admin/users/{id}?notice=saved"))
}
