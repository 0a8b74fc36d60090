//! Signing in and out, and choosing the language.

use super::error::AppError;
use super::session::{self, CurrentUser, Form};
use super::{redirect, unprocessable, AppState, Page};
use crate::app::accounts::{self, LoginError};
use crate::domain::account::Language;
use crate::i18n::Tr;
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

pub async fn login(
    state: web::Data<AppState>,
    session: Session,
    req: HttpRequest,
    Form(form): Form<LoginForm>,
) -> Result<HttpResponse, AppError> {
    let address = state.client_address(&req);
    let outcome = accounts::login(
        &state.pool,
        &state.hasher,
        &state.ctx(),
        &form.email,
        &form.password,
        &address,
    )
    .await;
    let tr = Tr(session::session_language(&session));
    match outcome {
        Ok(user) => {
            session::sign_in(&session, &user)?;
            Ok(redirect("/lots"))
        }
        Err(LoginError::Wrong) => unprocessable(&login_page(
            &session,
            form.email,
            Some(tr.t("login.wrong").to_string()),
        )),
        Err(LoginError::Locked) => {
            let page = login_page(
                &session,
                form.email,
                Some(tr.f(
                    "login.locked",
                    &[("minutes", accounts::LOCKOUT_MINUTES.to_string())],
                )),
            );
            super::render(actix_web::http::StatusCode::TOO_MANY_REQUESTS, &page)
        }
        Err(LoginError::Denied(d)) => Err(d.into()),
        Err(LoginError::Store(e)) => Err(e.into()),
    }
}

#[derive(Deserialize)]
pub struct Empty {}

pub async fn logout(
    state: web::Data<AppState>,
    session: Session,
    Form(_): Form<Empty>,
) -> Result<HttpResponse, AppError> {
    if let Some(secret) = session::session_secret(&session) {
        state
            .read(move |conn| accounts::sign_out(conn, &secret))
            .await?;
    }
    session::sign_out(&session);
    Ok(redirect("/login"))
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
        let actor = user.user;
        state
            .read(move |conn| accounts::set_language(conn, &actor, language))
            .await?;
    }
    let back = if is_local_path(&form.back) {
        form.back
    } else {
        "/".to_string()
    };
    Ok(redirect(&back))
}

/// Is this a path on this site that a redirect may go to? A path starts with one `/`; a
/// second `/` or a `\\` would make browsers leave the site, and anything but visible ASCII
/// cannot go into a header.
fn is_local_path(path: &str) -> bool {
    path.starts_with('/')
        && !path[1..].starts_with(['/', '\\'])
        && path.len() <= 2048
        && path.bytes().all(|b| b.is_ascii_graphic() && b != b'\\')
}

#[cfg(test)]
mod tests {
    #[test]
    fn only_paths_of_this_site_are_redirect_targets() {
        for good in ["/", "/lots", "/lots/3?notice=saved", "/a/b#x"] {
            assert!(super::is_local_path(good), "{good:?}");
        }
        for bad in [
            "",
            "lots",
            "//evil.example",
            "/\\evil.example",
            "/lots\x1e",
            "/lots\r\nSet-Cookie: x=1",
            "/\x7f",
            "/a b",
            "/lots\\..",
            "https://evil.example",
        ] {
            assert!(!super::is_local_path(bad), "{bad:?}");
        }
    }
}
