//! Setting a password through a single-use link: after an invitation, or a reset request.

use super::error::AppError;
use super::session::{self, Form};
use super::{redirect, render, unprocessable, AppState, Page};
use crate::db::{self, outbox, users, DbConnection};
use crate::domain::account::EmailAddress;
use crate::i18n::Tr;
use crate::mail::MailContext;
use crate::password;
use actix_session::Session;
use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};
use askama::Template;
use chrono::{Duration, NaiveDateTime};
use rand::RngCore;
use serde::Deserialize;

/// How long an invitation link works.
pub const INVITATION_DAYS: i64 = 7;
/// How long a reset link works.
pub const RESET_HOURS: i64 = 2;

/// Creates a token for the user and queues the email with its link (in the caller's
/// transaction). Only the token's hash is stored.
pub fn issue_link(
    conn: &mut DbConnection,
    mail: &MailContext,
    user: &users::User,
    purpose: &str,
    valid_for: Duration,
    now: NaiveDateTime,
) -> Result<(), crate::mail::QueueError> {
    let mut bytes = [0u8; 32];
    rand::thread_rng().fill_bytes(&mut bytes);
    let token = hex::encode(bytes);
    let expires = now + valid_for;
    outbox::insert_token(
        conn,
        &crate::domain::quote::sha256_hex(&token),
        user.id,
        purpose,
        expires,
    )?;
    crate::mail::notify::account_link(conn, mail, user.into(), purpose, &token, expires, now)
}

#[derive(Template)]
#[template(path = "password.html")]
struct PasswordPage {
    page: Page,
    token: String,
    valid: bool,
    errors: Vec<String>,
}

fn well_formed(token: &str) -> bool {
    token.len() == 64 && token.chars().all(|c| c.is_ascii_hexdigit())
}

pub async fn form(
    state: web::Data<AppState>,
    session: Session,
    path: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let token = path.into_inner();
    let now = state.now().naive_utc();
    let hash = crate::domain::quote::sha256_hex(&token);
    let valid = well_formed(&token)
        && state
            .db(move |conn| Ok(outbox::valid_token(conn, &hash, now)?.is_some()))
            .await?;
    let tr = Tr(session::session_language(&session));
    let page = PasswordPage {
        page: Page::anonymous(&session, "password.title"),
        token,
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
    let mut errors = Vec::new();
    if fields.password.chars().count() < password::MIN_LENGTH {
        errors.push(tr.t("error.password_short").to_string());
    } else if fields.password != fields.repeat {
        errors.push(tr.t("password.mismatch").to_string());
    }
    if !errors.is_empty() {
        let page = PasswordPage {
            page: Page::anonymous(&session, "password.title"),
            token,
            valid: true,
            errors,
        };
        return unprocessable(&page);
    }
    let hash = password::hash(&fields.password).map_err(AppError::Internal)?;
    let token_hash = crate::domain::quote::sha256_hex(&token);
    let now = state.now().naive_utc();
    let done = well_formed(&token)
        && state
            .db(move |conn| {
                db::transaction(conn, |conn| {
                    let Some(user) = outbox::valid_token(conn, &token_hash, now)? else {
                        return Ok(false);
                    };
                    if !outbox::use_token(conn, &token_hash, now)? {
                        return Ok(false);
                    }
                    users::set_password(conn, user, &hash)?;
                    crate::db::audit::append(
                        conn,
                        &crate::db::audit::NewAuditEntry {
                            at: now,
                            actor_id: Some(user),
                            action: "user.password_set",
                            lot_id: None,
                            entity: "user",
                            entity_id: Some(user),
                            details: "",
                        },
                    )?;
                    Ok::<_, diesel::result::Error>(true)
                })
                .map_err(AppError::from)
            })
            .await?;
    if done {
        Ok(redirect("/login?notice=password_set"))
    } else {
        let page = PasswordPage {
            page: Page::anonymous(&session, "password.title"),
            token: String::new(),
            valid: false,
            errors: vec![tr.t("password.invalid_link").to_string()],
        };
        render(StatusCode::GONE, &page)
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
    Form(fields): Form<ResetFields>,
) -> Result<HttpResponse, AppError> {
    if let Some(email) = EmailAddress::parse(&fields.email) {
        let now = state.now().naive_utc();
        let mail = state.mail.clone();
        state
            .db(move |conn| {
                db::transaction(conn, |conn| {
                    if let Some(user) = users::find_by_email(conn, email.as_str())? {
                        if user.active {
                            issue_link(
                                conn,
                                &mail,
                                &user,
                                "reset",
                                Duration::hours(RESET_HOURS),
                                now,
                            )?;
                        }
                    }
                    Ok::<_, crate::mail::QueueError>(())
                })
                .map_err(AppError::from)
            })
            .await?;
    }
    Ok(redirect("/login?notice=reset_sent"))
}
