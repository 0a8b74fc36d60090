//! Staff manage accounts: role, organisation, language, active or not; the staff role is
//! confirmed by a second staff member.

use crate::app::account_admin::{self, AccountError, AccountForm, Overview, Saved};
use crate::domain::account::Role;
use crate::domain::ids::UserId;
use crate::web::error::AppError;
use crate::web::session::{CurrentUser, Form};
use crate::web::{ok, redirect, unprocessable, AppState, Choice, NoticeQuery, Page};
use actix_web::{web, HttpResponse};
use askama::Template;
use serde::Deserialize;

#[derive(Deserialize, Default, Clone)]
pub struct UserFields {
    #[serde(default)]
    email: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    role: String,
    #[serde(default)]
    organisation: String,
    #[serde(default)]
    language: String,
    #[serde(default)]
    active: Option<String>,
}

impl UserFields {
    fn form(&self, creating: bool) -> AccountForm {
        AccountForm {
            email: self.email.clone(),
            name: self.name.clone(),
            role: self.role.clone(),
            organisation: self.organisation.clone(),
            language: self.language.clone(),
            active: creating || self.active.is_some(),
        }
    }
}

pub struct UserRow {
    pub id: UserId,
    pub email: String,
    pub name: String,
    pub role: String,
    pub organisation: String,
    pub active: bool,
    pub staff_pending: bool,
}

/// The waiting staff-role request of the account being edited, as the page shows it.
pub struct PendingGrant {
    pub text: String,
    /// The viewer may confirm it (someone else asked).
    pub can_confirm: bool,
}

#[derive(Template)]
#[template(path = "admin/users.html")]
struct UsersPage {
    page: Page,
    rows: Vec<UserRow>,
    form: UserFields,
    editing: Option<UserId>,
    pending: Option<PendingGrant>,
    /// Editing a buyer: whether it administers its member.
    member_admin: Option<bool>,
    member_options: Vec<Choice<String>>,
    supplier_options: Vec<Choice<String>>,
    errors: Vec<String>,
}

async fn users_page(
    state: &AppState,
    user: &CurrentUser,
    form: UserFields,
    editing: Option<UserId>,
    errors: Vec<&'static str>,
    notice: Option<String>,
) -> Result<UsersPage, AppError> {
    let actor = user.user.clone();
    let Overview {
        accounts,
        members,
        suppliers,
        grants,
        admins,
    } = state
        .read(move |conn| account_admin::overview(conn, &actor))
        .await?;
    let tr = user.tr();
    let org_name = |u: &crate::app::Account| {
        u.member_id
            .and_then(|id| members.iter().find(|m| m.id == id).map(|m| m.name.clone()))
            .or_else(|| {
                u.supplier_id.and_then(|id| {
                    suppliers
                        .iter()
                        .find(|s| s.id == id)
                        .map(|s| s.name.clone())
                })
            })
            .unwrap_or_default()
    };
    let rows = accounts
        .iter()
        .map(|u| UserRow {
            id: u.id,
            email: u.email.clone(),
            name: u.name.clone(),
            role: tr.t(&format!("role.{}", u.role.as_str())).to_string(),
            organisation: org_name(u),
            active: u.active,
            staff_pending: grants.iter().any(|g| g.user_id == u.id),
        })
        .collect();
    let pending = editing
        .and_then(|id| grants.iter().find(|g| g.user_id == id))
        .map(|grant| {
            let by = accounts
                .iter()
                .find(|a| a.id == grant.requested_by)
                .map_or_else(String::new, |a| a.name.clone());
            let can_confirm = grant.requested_by != user.user.id;
            PendingGrant {
                text: if can_confirm {
                    tr.f("users.grant_pending", &[("name", by)])
                } else {
                    tr.t("users.grant_own").to_string()
                },
                can_confirm,
            }
        });
    // Grouped in the drop-down: members (for buyers) and suppliers.
    let member_options = members
        .iter()
        .map(|m| Choice::new(format!("member:{}", m.id), m.name.clone()))
        .collect();
    let supplier_options = suppliers
        .iter()
        .map(|s| Choice::new(format!("supplier:{}", s.id), s.name.clone()))
        .collect();
    let member_admin = editing
        .and_then(|id| accounts.iter().find(|a| a.id == id))
        .filter(|a| a.role == crate::domain::account::Role::Buyer)
        .map(|a| admins.contains(&a.id));
    let mut page = Page::for_user(user, tr.t("users.title"), None);
    page.notice = notice;
    Ok(UsersPage {
        member_admin,
        page,
        rows,
        form,
        editing,
        pending,
        member_options,
        supplier_options,
        errors: errors.into_iter().map(|k| tr.t(k).to_string()).collect(),
    })
}

#[derive(Deserialize)]
pub struct ListQuery {
    notice: Option<String>,
    /// Chosen in advance for the new account (`member:<id>` from a member's page).
    organisation: Option<String>,
}

pub async fn list(
    state: web::Data<AppState>,
    user: CurrentUser,
    query: web::Query<ListQuery>,
) -> Result<HttpResponse, AppError> {
    user.require(Role::Staff)?;
    let organisation = query.organisation.clone().unwrap_or_default();
    let role = if organisation.starts_with("supplier:") {
        "supplier"
    } else {
        "buyer"
    };
    let form = UserFields {
        role: role.into(),
        organisation,
        language: "de".into(),
        active: Some("on".into()),
        ..UserFields::default()
    };
    let notice = crate::web::notice_text(user.tr(), query.notice.as_deref());
    ok(&users_page(&state, &user, form, None, Vec::new(), notice).await?)
}

pub async fn show(
    state: web::Data<AppState>,
    user: CurrentUser,
    path: web::Path<UserId>,
    query: web::Query<NoticeQuery>,
) -> Result<HttpResponse, AppError> {
    let id = path.into_inner();
    let actor = user.user.clone();
    let account = state
        .read(move |conn| account_admin::account(conn, &actor, id))
        .await?;
    let organisation = match (account.member_id, account.supplier_id) {
        (Some(m), _) => format!("member:{m}"),
        (_, Some(s)) => format!("supplier:{s}"),
        _ => String::new(),
    };
    let form = UserFields {
        email: account.email,
        name: account.name,
        role: account.role.as_str().to_string(),
        organisation,
        language: account.language.as_str().to_string(),
        active: account.active.then(|| "on".to_string()),
    };
    let notice = crate::web::notice_text(user.tr(), query.notice.as_deref());
    ok(&users_page(&state, &user, form, Some(id), Vec::new(), notice).await?)
}

pub async fn create(
    state: web::Data<AppState>,
    user: CurrentUser,
    Form(fields): Form<UserFields>,
) -> Result<HttpResponse, AppError> {
    let (ctx, actor, form) = (state.ctx(), user.user.clone(), fields.form(true));
    let saved = state
        .run(move |conn| account_admin::create(conn, &ctx, &actor, &form))
        .await;
    answer(&state, &user, None, fields, saved).await
}

pub async fn update(
    state: web::Data<AppState>,
    user: CurrentUser,
    path: web::Path<UserId>,
    Form(fields): Form<UserFields>,
) -> Result<HttpResponse, AppError> {
    let id = path.into_inner();
    let (ctx, actor, form) = (state.ctx(), user.user.clone(), fields.form(false));
    let saved = state
        .run(move |conn| account_admin::update(conn, &ctx, &actor, id, &form))
        .await;
    answer(&state, &user, Some(id), fields, saved).await
}

async fn answer(
    state: &AppState,
    user: &CurrentUser,
    id: Option<UserId>,
    fields: UserFields,
    saved: Result<Saved, AccountError>,
) -> Result<HttpResponse, AppError> {
    match saved {
        Ok(Saved::Changed) => Ok(redirect("/admin/users?notice=saved")),
        Ok(Saved::Invited(id)) => Ok(redirect(&format!("/admin/users/{id}?notice=user_invited"))),
        Ok(Saved::StaffRequested(id)) => Ok(redirect(&format!(
            "/admin/users/{id}?notice=staff_requested"
        ))),
        Err(AccountError::Invalid(errors)) => {
            unprocessable(&users_page(state, user, fields, id, errors, None).await?)
        }
        Err(AccountError::Denied(d)) => Err(d.into()),
        Err(AccountError::Store(e)) => Err(e.into()),
    }
}

#[derive(Deserialize)]
pub struct Empty {}

/// A second staff member confirms the staff role.
pub async fn confirm_staff(
    state: web::Data<AppState>,
    user: CurrentUser,
    path: web::Path<UserId>,
    Form(_): Form<Empty>,
) -> Result<HttpResponse, AppError> {
    let id = path.into_inner();
    let (ctx, actor) = (state.ctx(), user.user.clone());
    match state
        .run(move |conn| account_admin::confirm_staff(conn, &ctx, &actor, id))
        .await
    {
        Ok(()) => Ok(redirect(&format!("/admin/users/{id}?notice=staff_granted"))),
        Err(AccountError::Invalid(_)) => Err(AppError::Conflict("no staff role to confirm".into())),
        Err(AccountError::Denied(d)) => Err(d.into()),
        Err(AccountError::Store(e)) => Err(e.into()),
    }
}
