//! Staff manage accounts: role, organisation, language, active or not.

use super::record;
use crate::db::{self, orgs, users};
use crate::domain::account::{EmailAddress, Language, Role};
use crate::password;
use crate::web::error::AppError;
use crate::web::session::{CurrentUser, Form};
use crate::web::{ok, redirect, unprocessable, AppState, NoticeQuery, Page};
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
    password: String,
    #[serde(default)]
    active: Option<String>,
}

/// An account's checked values.
struct CheckedUser {
    email: String,
    name: String,
    role: Role,
    member_id: Option<i64>,
    supplier_id: Option<i64>,
    language: Language,
    password_hash: Option<String>,
}

/// Checks the form; an empty password keeps the current one (or, for a new account, sends
/// an invitation).
fn check_user(
    conn: &mut db::DbConnection,
    fields: &UserFields,
) -> Result<Result<CheckedUser, Vec<&'static str>>, AppError> {
    let mut errors = Vec::new();
    let email = EmailAddress::parse(&fields.email);
    if email.is_none() {
        errors.push("error.email");
    }
    let name = fields.name.trim().to_string();
    if name.is_empty() || name.chars().count() > 200 || name.chars().any(char::is_control) {
        errors.push("error.name");
    }
    let role = Role::parse(&fields.role);
    if role.is_none() {
        errors.push("error.role");
    }
    let language = Language::parse(&fields.language).unwrap_or_default();
    let (kind, org) = fields.organisation.split_once(':').unwrap_or(("", ""));
    let org: Option<i64> = org.parse().ok();
    let (member_id, supplier_id) = match (role, kind, org) {
        (Some(Role::Staff), _, _) => (None, None),
        (Some(Role::Buyer), "member", Some(id)) if orgs::find_member(conn, id)?.is_some() => {
            (Some(id), None)
        }
        (Some(Role::Supplier), "supplier", Some(id))
            if orgs::find_supplier(conn, id)?.is_some() =>
        {
            (None, Some(id))
        }
        (Some(_), _, _) => {
            errors.push("error.organisation");
            (None, None)
        }
        (None, _, _) => (None, None),
    };
    let password_hash = if fields.password.is_empty() {
        // New accounts without a password get an invitation link instead.
        None
    } else if fields.password.chars().count() < password::MIN_LENGTH {
        errors.push("error.password_short");
        None
    } else {
        Some(password::hash(&fields.password).map_err(AppError::Internal)?)
    };
    Ok(match (errors.is_empty(), email, role) {
        (true, Some(email), Some(role)) => Ok(CheckedUser {
            email: email.as_str().to_string(),
            name,
            role,
            member_id,
            supplier_id,
            language,
            password_hash,
        }),
        _ => Err(errors),
    })
}

pub struct UserRow {
    pub id: i64,
    pub email: String,
    pub name: String,
    pub role: String,
    pub organisation: String,
    pub active: bool,
}

#[derive(Template)]
#[template(path = "admin/users.html")]
struct UsersPage {
    page: Page,
    rows: Vec<UserRow>,
    form: UserFields,
    editing: Option<i64>,
    organisations: Vec<(String, String)>,
    errors: Vec<String>,
}

async fn users_page(
    state: &AppState,
    user: &CurrentUser,
    form: UserFields,
    editing: Option<i64>,
    errors: Vec<&'static str>,
    notice: Option<&str>,
) -> Result<UsersPage, AppError> {
    let (accounts, members, suppliers) = state
        .db(|conn| {
            Ok((
                users::list(conn)?,
                orgs::list_members(conn)?,
                orgs::list_suppliers(conn)?,
            ))
        })
        .await?;
    let tr = user.tr();
    let org_name = |u: &users::User| {
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
        })
        .collect();
    let organisations = members
        .iter()
        .map(|m| {
            (
                format!("member:{}", m.id),
                format!("{} ({})", m.name, tr.t("role.buyer")),
            )
        })
        .chain(suppliers.iter().map(|s| {
            (
                format!("supplier:{}", s.id),
                format!("{} ({})", s.name, tr.t("role.supplier")),
            )
        }))
        .collect();
    Ok(UsersPage {
        page: Page::for_user(user, tr.t("users.title"), notice),
        rows,
        form,
        editing,
        organisations,
        errors: errors.into_iter().map(|k| tr.t(k).to_string()).collect(),
    })
}

pub async fn list(
    state: web::Data<AppState>,
    user: CurrentUser,
    query: web::Query<NoticeQuery>,
) -> Result<HttpResponse, AppError> {
    user.require(Role::Staff)?;
    let form = UserFields {
        role: "buyer".into(),
        language: "de".into(),
        active: Some("on".into()),
        ..UserFields::default()
    };
    ok(&users_page(
        &state,
        &user,
        form,
        None,
        Vec::new(),
        query.notice.as_deref(),
    )
    .await?)
}

pub async fn show(
    state: web::Data<AppState>,
    user: CurrentUser,
    path: web::Path<i64>,
) -> Result<HttpResponse, AppError> {
    user.require(Role::Staff)?;
    let id = path.into_inner();
    let account = state
        .db(move |conn| users::find(conn, id)?.ok_or(AppError::NotFound))
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
        password: String::new(),
        active: account.active.then(|| "on".to_string()),
    };
    ok(&users_page(&state, &user, form, Some(id), Vec::new(), None).await?)
}

pub async fn create(
    state: web::Data<AppState>,
    user: CurrentUser,
    Form(fields): Form<UserFields>,
) -> Result<HttpResponse, AppError> {
    save(state, user, None, fields).await
}

pub async fn update(
    state: web::Data<AppState>,
    user: CurrentUser,
    path: web::Path<i64>,
    Form(fields): Form<UserFields>,
) -> Result<HttpResponse, AppError> {
    save(state, user, Some(path.into_inner()), fields).await
}

async fn save(
    state: web::Data<AppState>,
    user: CurrentUser,
    id: Option<i64>,
    mut fields: UserFields,
) -> Result<HttpResponse, AppError> {
    user.require(Role::Staff)?;
    let actor = user.user.id;
    let now = state.now().naive_utc();
    let submitted = fields.clone();
    let mail = state.mail.clone();
    let result = state
        .db(move |conn| {
            if let Some(id) = id {
                users::find(conn, id)?.ok_or(AppError::NotFound)?;
            }
            let checked = match check_user(conn, &submitted)? {
                Ok(c) => c,
                Err(errors) => return Ok(Err(errors)),
            };
            let active = id.is_none() || submitted.active.is_some();
            if id == Some(actor) && (!active || checked.role != Role::Staff) {
                return Ok(Err(vec!["error.self_lockout"]));
            }
            let saved = db::transaction(conn, |conn| {
                let saved = match id {
                    None => users::insert(
                        conn,
                        &users::NewUser {
                            email: &checked.email,
                            name: &checked.name,
                            // "!" is no password hash: nobody can sign in before setting one.
                            password_hash: checked.password_hash.as_deref().unwrap_or("!invited"),
                            role: checked.role.as_str(),
                            member_id: checked.member_id,
                            supplier_id: checked.supplier_id,
                            language: checked.language.as_str(),
                            active: true,
                            created_at: now,
                            updated_at: now,
                        },
                    )?,
                    Some(id) => {
                        users::update(
                            conn,
                            id,
                            &users::UserChanges {
                                name: &checked.name,
                                role: checked.role.as_str(),
                                member_id: checked.member_id,
                                supplier_id: checked.supplier_id,
                                language: checked.language.as_str(),
                                active,
                                updated_at: now,
                            },
                        )?;
                        if let Some(hash) = &checked.password_hash {
                            users::set_password(conn, id, hash)?;
                        }
                        id
                    }
                };
                let details = format!(
                    "{} role={} member={:?} supplier={:?} active={}",
                    checked.email,
                    checked.role.as_str(),
                    checked.member_id,
                    checked.supplier_id,
                    active
                );
                let action = if id.is_some() {
                    "user.changed"
                } else {
                    "user.created"
                };
                record(conn, actor, action, None, ("user", saved), &details, now)?;
                if id.is_none() && checked.password_hash.is_none() {
                    if let Some(created) = users::find(conn, saved)? {
                        crate::web::password::issue_link(
                            conn,
                            &mail,
                            &created,
                            "invitation_account",
                            chrono::Duration::days(crate::web::password::INVITATION_DAYS),
                            now,
                        )?;
                    }
                }
                Ok::<_, AppError>(saved)
            });
            match saved {
                Ok(saved) => Ok(Ok(saved)),
                Err(AppError::Database(e)) if db::is_unique_violation(&e) => {
                    Ok(Err(vec!["error.email_taken"]))
                }
                Err(e) => Err(e),
            }
        })
        .await?;
    match result {
        Ok(_) => Ok(redirect("/admin/users?notice=saved")),
        Err(errors) => {
            fields.password.clear();
            unprocessable(&users_page(&state, &user, fields, id, errors, None).await?)
        }
    }
}
