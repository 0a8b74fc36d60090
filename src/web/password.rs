//! Setting a password through a single-use link: after an invitation, or a reset request.

use super::error::AppError;
use super::session::{self, Form};
use super::{redirect, render, unprocessable, AppState, Page};
use crate::app::passwords::{self, PasswordError};
use crate::i18n::Tr;
use actix_session::Session;
use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;
use serde::Deserialize;

#[derive(Template)]
#[template(path = "password.html")]
struct PasswordPage {
    page: Page,
    token: String,
    valid: bool,
    errors: Vec<String>,
}

pub async fn form(
    state: web::Data<AppState>,
    session: Session,
    path: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let token = path.into_inner();
    let ctx = state.ctx();
    let check = token.clone();
    let valid = state
        .run(move |conn| passwords::link_works(conn, &ctx, &check))
        .await?;
    let tr = Tr(session::session_language(&session));
    let page = PasswordPage {
        page: Page::anonymous(&session, "password.title"),
        token: if valid { token } else { String::new() },
        valid,
        errors: if valid {
            Vec::new()
        } else {
            vec![tr.t("password.invalid_link").to_string()]
        },
    };
    render(
        if valid {
            StatusCode::OK
        } else {
            StatusCode::GONE
        },
        &page,
    )
}

#[derive(Deserialize)]
pub struct PasswordFields {
    #[serde(default)]
    password: String,
    #[serde(default)]
    repeat: String,
}

pub async fn set(
    state: web::Data<AppState>,
    session: Session,
    path: web::Path<String>,
    Form(fields): Form<PasswordFields>,
) -> Result<HttpResponse, AppError> {
    let token = path.into_inner();
    let tr = Tr(session::session_language(&session));
    let outcome = passwords::set_password(
        &state.pool,
        &state.hasher,
        &state.ctx(),
        state.session_limits(),
        &token,
        &fields.password,
        &fields.repeat,
    )
    .await;
    let page = |valid: bool, error: &str| PasswordPage {
        page: Page::anonymous(&session, "password.title"),
        token: if valid { token.clone() } else { String::new() },
        valid,
        errors: vec![tr.t(error).to_string()],
    };
    match outcome {
        Ok(()) => Ok(redirect("/login?notice=password_set")),
        Err(PasswordError::TooShort) => unprocessable(&page(true, "error.password_short")),
        Err(PasswordError::Mismatch) => unprocessable(&page(true, "password.mismatch")),
        Err(PasswordError::InvalidLink) => {
            render(StatusCode::GONE, &page(false, "password.invalid_link"))
        }
        Err(PasswordError::Denied(d)) => Err(d.into()),
        Err(PasswordError::Store(e)) => Err(e.into()),
    }
}

#[derive(Template)]
#[template(path = "password_reset.html")]
struct ResetPage {
    page: Page,
}

pub async fn reset_form(session: Session) -> Result<HttpResponse, AppError> {
    super::ok(&ResetPage {
        page: Page::anonymous(&session, "password.reset_title"),
    })
}

#[derive(Deserialize)]
pub struct ResetFields {
    #[serde(default)]
    email: String,
}

/// Always the same answer, whether the account exists or not.
pub async fn reset(
    state: web::Data<AppState>,
    req: HttpRequest,
    Form(fields): Form<ResetFields>,
) -> Result<HttpResponse, AppError> {
    let (ctx, address) = (state.ctx(), state.client_address(&req));
    state
        .run(move |conn| passwords::request_reset(conn, &ctx, &fields.email, &address))
        .await?;
    Ok(redirect("/login?notice=reset_sent"))
}
