//! The web interface: routes per feature, the signed-in user, form tokens, error pages.

pub mod admin;
pub mod auth;
pub mod calendar;
pub mod error;
pub mod evaluation;
pub mod exports;
pub mod frameworks;
pub mod lot_page;
pub mod lots;
pub mod member_admin;
pub mod orders;
pub mod overview;
pub mod password;
pub mod procedure;
pub mod quotes;
pub mod session;
pub mod upload;

use crate::app::{DbConnection, Pool, PoolError};
use crate::clock::Clock;
use crate::config::Settings;
use crate::i18n::Tr;
use actix_web::{http::header, web, HttpResponse};
use chrono::{DateTime, Utc};
use error::AppError;
use session::CurrentUser;
use std::sync::Arc;

/// What every request handler shares.
#[derive(Clone)]
pub struct AppState {
    pub pool: Pool,
    pub clock: Arc<dyn Clock>,
    pub settings: Arc<Settings>,
    pub mail: crate::mail::MailContext,
    pub hasher: crate::password::Hasher,
    /// New order lines on their way to the database, stored together.
    pub orders: crate::app::ordering::OrderWriter,
    /// What the database has committed, for the pages the server keeps.
    pub watch: Arc<crate::db::changes::Watch>,
    /// Buyers' lot pages while nothing was committed.
    pub kept_pages: Arc<crate::app::lot_page::KeptLotPages>,
}

impl AppState {
    /// How long sessions last, as configured.
    pub fn session_limits(&self) -> crate::app::accounts::SessionLimits {
        crate::app::accounts::SessionLimits {
            idle: chrono::Duration::minutes(self.settings.session_idle_minutes),
            absolute: chrono::Duration::hours(self.settings.session_max_hours),
        }
    }

    /// The client's address: the peer, or what a trusted reverse proxy says it forwarded.
    pub fn client_address(&self, req: &actix_web::HttpRequest) -> String {
        let peer = req.peer_addr().map(|a| a.ip());
        match peer {
            Some(ip) if self.settings.trusted_proxies.contains(&ip) => req
                .headers()
                .get("x-forwarded-for")
                .and_then(|v| v.to_str().ok())
                // The last entry is the one our proxy added; earlier ones the client chose.
                .and_then(|v| v.rsplit(',').next())
                .and_then(|v| v.trim().parse::<std::net::IpAddr>().ok())
                .unwrap_or(ip)
                .to_string(),
            Some(ip) => ip.to_string(),
            None => "unknown".into(),
        }
    }

    /// What an operation needs besides the connection: the time now and the email links.
    pub fn ctx(&self) -> crate::app::Ctx {
        crate::app::Ctx {
            now: self.now(),
            mail: self.mail.clone(),
        }
    }

    /// Runs an operation on a pooled connection off the async workers.
    pub async fn run<T, E, F>(&self, work: F) -> Result<T, E>
    where
        T: Send + 'static,
        E: From<PoolError> + From<tokio::task::JoinError> + Send + 'static,
        F: FnOnce(&mut DbConnection) -> Result<T, E> + Send + 'static,
    {
        crate::app::run(&self.pool, work).await
    }

    /// Runs a read (a page's or a download's data); a refusal or failure becomes its error
    /// page.
    pub async fn read<T, F>(&self, work: F) -> Result<T, AppError>
    where
        T: Send + 'static,
        F: FnOnce(&mut DbConnection) -> Result<T, crate::app::ReadError> + Send + 'static,
    {
        Ok(self.run(work).await?)
    }

    pub fn now(&self) -> DateTime<Utc> {
        self.clock.now()
    }
}

/// One option of a select or a checkbox list: the value sent and the label shown.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Choice<V> {
    pub value: V,
    pub label: String,
}

impl<V> Choice<V> {
    pub fn new(value: V, label: impl Into<String>) -> Self {
        Choice {
            value,
            label: label.into(),
        }
    }
}

/// Every category, for a filter or a form.
pub fn category_choices(tr: Tr) -> Vec<Choice<&'static str>> {
    crate::domain::lot::Category::ALL
        .iter()
        .map(|c| Choice::new(c.as_str(), tr.t(&format!("category.{}", c.as_str()))))
        .collect()
}

/// What the page frame needs: language, the user's name and role, the form token.
pub struct Page {
    pub tr: Tr,
    pub title: String,
    pub user_name: Option<String>,
    pub role: Option<&'static str>,
    pub csrf: String,
    pub notice: Option<String>,
}

impl Page {
    pub fn for_user(user: &CurrentUser, title: &str, notice: Option<&str>) -> Self {
        let tr = user.tr();
        Page {
            tr,
            title: title.to_string(),
            user_name: Some(user.user.name.clone()),
            role: Some(user.role.as_str()),
            csrf: user.csrf.clone(),
            notice: notice_text(tr, notice),
        }
    }

    /// The frame for a visitor who is not signed in (language from the session).
    pub fn anonymous(session: &actix_session::Session, title_key: &str) -> Self {
        let tr = Tr(session::session_language(session));
        Page {
            tr,
            title: tr.t(title_key).to_string(),
            user_name: None,
            role: None,
            csrf: session::csrf_token(session),
            notice: None,
        }
    }

    pub fn is_buyer(&self) -> bool {
        self.role == Some("buyer")
    }

    pub fn is_staff(&self) -> bool {
        self.role == Some("staff")
    }
}

/// A notice named in the query after a redirect (`?notice=order_placed`), if it is one of
/// ours.
pub fn notice_text(tr: Tr, notice: Option<&str>) -> Option<String> {
    let name = notice?;
    if !name.chars().all(|c| c.is_ascii_lowercase() || c == '_') {
        return None;
    }
    let key = format!("notice.{name}");
    let text = tr.t(&key);
    (text != key).then(|| text.to_string())
}

#[derive(serde::Deserialize, Default)]
pub struct NoticeQuery {
    pub notice: Option<String>,
}

/// Renders a page as an HTML response with the given status.
pub fn render<T: askama::Template>(
    status: actix_web::http::StatusCode,
    page: &T,
) -> Result<HttpResponse, AppError> {
    Ok(HttpResponse::build(status)
        .content_type("text/html; charset=utf-8")
        .body(page.render()?))
}

pub fn ok<T: askama::Template>(page: &T) -> Result<HttpResponse, AppError> {
    render(actix_web::http::StatusCode::OK, page)
}

/// The answer to a form with mistakes: the page again, with the messages.
pub fn unprocessable<T: askama::Template>(page: &T) -> Result<HttpResponse, AppError> {
    render(actix_web::http::StatusCode::UNPROCESSABLE_ENTITY, page)
}

pub fn redirect(to: &str) -> HttpResponse {
    HttpResponse::SeeOther()
        .insert_header((header::LOCATION, to))
        .finish()
}

async fn healthz(state: web::Data<AppState>) -> HttpResponse {
    match crate::app::healthy(&state.pool).await {
        true => HttpResponse::Ok().content_type("text/plain").body("ok"),
        false => HttpResponse::ServiceUnavailable()
            .content_type("text/plain")
            .body("database unavailable"),
    }
}

async fn stylesheet() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/css; charset=utf-8")
        .insert_header((header::CACHE_CONTROL, "public, max-age=3600"))
        .body(include_str!("../../static/style.css"))
}

async fn not_found() -> Result<HttpResponse, AppError> {
    Err(AppError::NotFound)
}

/// Every route of the application. The routes of an area share a scope: a request is only
/// matched against its own area's patterns (each pattern with a parameter costs a regular
/// expression to try).
pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/healthz", web::get().to(healthz))
        .route("/static/style.css", web::get().to(stylesheet))
        .route("/", web::get().to(auth::home))
        .route("/login", web::get().to(auth::login_form))
        .route("/login", web::post().to(auth::login))
        .route("/logout", web::post().to(auth::logout))
        .route("/language", web::post().to(auth::change_language))
        .route("/password-reset", web::get().to(password::reset_form))
        .route("/password-reset", web::post().to(password::reset))
        .service(
            web::scope("/password")
                .route("/{token}", web::get().to(password::form))
                .route("/{token}", web::post().to(password::set)),
        )
        .service(
            web::scope("/lots")
                .route("", web::get().to(lots::list))
                .route("/{id}", web::get().to(lot_page::show))
                .route("/{id}/orders", web::post().to(orders::place))
                .route("/{id}/orders/upload", web::post().to(upload::preview))
                .route(
                    "/{id}/orders/upload/confirm",
                    web::post().to(upload::confirm),
                )
                .route("/{id}/orders/template.csv", web::get().to(upload::template))
                .route("/{id}/orders/{line}/edit", web::get().to(orders::edit_form))
                .route("/{id}/orders/{line}", web::post().to(orders::change))
                .route("/{id}/orders/{line}/cancel", web::post().to(orders::cancel))
                .route("/{id}/quotes", web::post().to(quotes::submit))
                .route("/{id}/quotes/{quote}", web::get().to(quotes::receipt))
                .route("/{id}/lines.csv", web::get().to(exports::member_lines))
                .route(
                    "/{id}/calloffs/preview",
                    web::post().to(frameworks::preview),
                )
                .route("/{id}/calloffs", web::post().to(frameworks::place))
                .route(
                    "/{id}/calloffs/upload",
                    web::post().to(frameworks::upload::upload_preview),
                )
                .route(
                    "/{id}/calloffs/upload/confirm",
                    web::post().to(frameworks::upload::upload_confirm),
                )
                .route("/{id}/calloffs.csv", web::get().to(frameworks::csv))
                .route(
                    "/{id}/purchase-order.csv",
                    web::get().to(exports::purchase_order),
                ),
        )
        .service(
            web::scope("/organisation")
                .route("", web::get().to(overview::show))
                .route("/admin", web::get().to(member_admin::show))
                .route("/sites", web::post().to(member_admin::create_site))
                .route("/sites/{id}", web::post().to(member_admin::update_site))
                .route("/users", web::post().to(member_admin::invite))
                .route(
                    "/users/{id}/active",
                    web::post().to(member_admin::set_active),
                )
                .route("/overview.csv", web::get().to(overview::csv)),
        )
        .service(
            web::scope("/account")
                .route("/calendar", web::get().to(calendar::show))
                .route("/calendar", web::post().to(calendar::renew))
                .route("/calendar/revoke", web::post().to(calendar::revoke)),
        )
        .service(
            web::scope("/admin")
                .route("/outbox", web::get().to(admin::outbox::list))
                .route("/outbox/{id}/resend", web::post().to(admin::outbox::resend))
                .route(
                    "/users/{id}/member-admin",
                    web::post().to(member_admin::set_admin),
                )
                .route("/lots/new", web::get().to(admin::lots::new_form))
                .route("/lots", web::post().to(admin::lots::create))
                .route("/lots/{id}/edit", web::get().to(admin::lots::edit_form))
                .route("/lots/{id}", web::post().to(admin::lots::update))
                .route("/lots/{id}/open", web::post().to(admin::lots::open))
                .route("/lots/{id}/invite", web::post().to(admin::lots::invite))
                .route(
                    "/lots/{id}/framework.json",
                    web::get().to(frameworks::scenario),
                )
                .route("/lots/{id}/framework/end", web::post().to(frameworks::end))
                .route("/lots/{id}/opening", web::post().to(procedure::opening))
                .route("/lots/{id}/evaluation", web::get().to(evaluation::show))
                .route("/lots/{id}/award", web::post().to(evaluation::award))
                .route("/lots/{id}/revoke", web::post().to(procedure::revoke))
                .route("/lots/{id}/cancel", web::post().to(procedure::cancel))
                .route(
                    "/lots/{id}/allocation.csv",
                    web::get().to(exports::allocation),
                )
                .route("/lots/{id}/audit.csv", web::get().to(exports::audit_log))
                .route("/members", web::get().to(admin::orgs::members))
                .route("/members", web::post().to(admin::orgs::create_member))
                .route("/members/{id}", web::get().to(admin::orgs::member))
                .route("/members/{id}", web::post().to(admin::orgs::update_member))
                .route(
                    "/members/{id}/sites",
                    web::post().to(admin::orgs::create_site),
                )
                .route("/sites/{id}", web::post().to(admin::orgs::update_site))
                .route("/suppliers", web::get().to(admin::orgs::suppliers))
                .route("/suppliers", web::post().to(admin::orgs::create_supplier))
                .route("/suppliers/{id}", web::get().to(admin::orgs::supplier))
                .route(
                    "/suppliers/{id}",
                    web::post().to(admin::orgs::update_supplier),
                )
                .route("/users", web::get().to(admin::users::list))
                .route("/users", web::post().to(admin::users::create))
                .route("/users/{id}", web::get().to(admin::users::show))
                .route("/users/{id}", web::post().to(admin::users::update))
                .route(
                    "/users/{id}/confirm-staff",
                    web::post().to(admin::users::confirm_staff),
                )
                .route("/audit", web::get().to(admin::audit::list)),
        )
        .service(web::scope("/calendar").route("/{token}.ics", web::get().to(calendar::feed)))
        .default_service(web::to(not_found));
}

#[cfg(test)]
mod tests {
    /// Every value a template shows has a name: `{{ row.net }}`, never `{{ row.3 }}`.
    #[test]
    fn templates_read_named_fields_not_tuple_positions() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("templates");
        let mut stack = vec![root];
        let mut found = Vec::new();
        while let Some(path) = stack.pop() {
            if path.is_dir() {
                for entry in std::fs::read_dir(&path).into_iter().flatten().flatten() {
                    stack.push(entry.path());
                }
                continue;
            }
            let Ok(text) = std::fs::read_to_string(&path) else {
                continue;
            };
            for open in ["{{", "{%"] {
                for part in text.split(open).skip(1) {
                    let code = part.split(['}', '%']).next().unwrap_or_default();
                    let bytes = code.as_bytes();
                    let positional = bytes.windows(3).any(|w| {
                        (w[0].is_ascii_alphanumeric() || w[0] == b'_')
                            && !w[0].is_ascii_digit()
                            && w[1] == b'.'
                            && w[2].is_ascii_digit()
                    });
                    if positional {
                        found.push(format!("{}: {}", path.display(), code.trim()));
                    }
                }
            }
        }
        assert!(found.is_empty(), "tuple positions in templates: {found:#?}");
    }
}
