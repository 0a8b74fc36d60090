//! Signing in and out, and choosing the language.

use super::error::AppError;
use super::session::{self, CurrentUser, Form};
use super::{redirect, unprocessable, AppState, Page};
use crate::db::{self, audit, throttle, users};
use crate::domain::account::Language;
use crate::i18n::Tr;
use crate::password;
use actix_session::Session;
use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;
use serde::Deserialize;

#[derive(Template)]
#[template(path = "login.html")]
struct LoginPage {
    page: Page,
    email: String,
    error: Option<String>,
}

fn login_page(session: &Session, email: String, error: Option<String>) -> LoginPage {
    LoginPage {
        page: Page::anonymous(session, "login.title"),
        email,
        error,
    }
}

pub async fn home(user: Result<CurrentUser, AppError>) -> HttpResponse {
    match user {
        Ok(_) => redirect("/lots"),
        Err(_) => redirect("/login"),
    }
}

pub async fn login_form(
    session: Session,
    query: web::Query<super::NoticeQuery>,
) -> Result<HttpResponse, AppError> {
    let mut page = login_page(&session, String::new(), None);
    page.page.notice = super::notice_text(page.page.tr, query.notice.as_deref());
    super::ok(&page)
}

#[derive(Deserialize)]
pub struct LoginForm {
    #[serde(default)]
    email: String,
    #[serde(default)]
    password: String,
}

enum LoginOutcome {
    Success(Box<users::User>),
    Wrong,
    Locked,
}

pub async fn login(
    state: web::Data<AppState>,
    session: Session,
    req: HttpRequest,
    Form(form): Form<LoginForm>,
) -> Result<HttpResponse, AppError> {
    let email = form.email.trim().to_lowercase();
    let address = req
        .peer_addr()
        .map(|a| a.ip().to_string())
        .unwrap_or_else(|| "unknown".into());
    let now = state.now().naive_utc();
    let keys = [format!("account:{email}"), format!("address:{address}")];
    let password = form.password;
    let outcome = state
        .db(move |conn| {
            for key in &keys {
                if throttle::locked_until(conn, key, now)?.is_some() {
                    return Ok(LoginOutcome::Locked);
                }
            }
            let user = users::find_by_email(conn, &email)?;
            let valid =
                password::verify(&password, user.as_ref().map(|u| u.password_hash.as_str()));
            match user {
                Some(user) if valid && user.active => {
                    db::transaction(conn, |conn| {
                        throttle::reset(conn, &keys[0])?;
                        audit::append(
                            conn,
                            &audit::NewAuditEntry {
                                at: now,
                                actor_id: Some(user.id),
                                action: "user.login",
                                lot_id: None,
                                entity: "user",
                                entity_id: Some(user.id),
                                details: "",
                            },
                        )
                    })?;
                    Ok(LoginOutcome::Success(Box::new(user)))
                }
                _ => {
                    db::transaction(conn, |conn| {
                        for key in &keys {
                            throttle::record_failure(conn, key, now)?;
                        }
                        Ok::<_, AppError>(())
                    })?;
                    Ok(LoginOutcome::Wrong)
                }
            }
        })
        .await?;
    let tr = Tr(session::session_language(&session));
    match outcome {
        LoginOutcome::Success(user) => {
            session::sign_in(&session, &user)?;
            Ok(redirect("/lots"))
        }
        LoginOutcome::Wrong => unprocessable(&login_page(
            &session,
            form.email,
            Some(tr.t("login.wrong").to_string()),
        )),
        LoginOutcome::Locked => {
            let page = login_page(
                &session,
                form.email,
                Some(tr.f(
                    "login.locked",
                    &[("minutes", throttle::LOCKOUT_MINUTES.to_string())],
                )),
            );
            super::render(actix_web::http::StatusCode::TOO_MANY_REQUESTS, &page)
        }
    }
}

#[derive(Deserialize)]
pub struct Empty {}

pub async fn logout(session: Session, Form(_): Form<Empty>) -> HttpResponse {
    session::sign_out(&session);
    redirect("/login")
}

#[derive(Deserialize)]
pub struct LanguageForm {
    #[serde(default)]
    lang: String,
    #[serde(default)]
    back: String,
}

pub async fn change_language(
    state: web::Data<AppState>,
    session: Session,
    user: Result<CurrentUser, AppError>,
    Form(form): Form<LanguageForm>,
) -> Result<HttpResponse, AppError> {
    let language = Language::parse(&form.lang)
        .ok_or_else(|| AppError::BadRequest("unknown language".into()))?;
    session::set_language(&session, language);
    if let Ok(user) = user {
        let id = user.user.id;
        state
            .db(move |conn| Ok(users::set_language(conn, id, language)?))
            .await?;
    }
    // Only back to a page of this site.
    let back = if form.back.starts_with('/') && !form.back.starts_with("//") {
        form.back
    } else {
        "/".to_string()
    };
    Ok(redirect(&back))
}
