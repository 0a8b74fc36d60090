//! Builds the application: database, web server and background tasks, run side by side.

use crate::clock::Clock;
use crate::config::Settings;
use crate::db::{self, Pool};
use crate::web::{self, AppState};
use actix_session::config::{CookieContentSecurity, PersistentSession};
use actix_session::storage::CookieSessionStore;
use actix_session::SessionMiddleware;
use actix_web::cookie::{Key, SameSite};
use actix_web::dev::Server;
use actix_web::middleware::{DefaultHeaders, Logger};
use actix_web::{web as aweb, App, HttpServer};
use std::net::TcpListener;
use std::sync::Arc;
use std::time::Duration;

/// A built application, bound to its port, ready to run.
pub struct Application {
    port: u16,
    server: Server,
    pool: Pool,
    clock: Arc<dyn Clock>,
    tick: Duration,
    mail_tick: Duration,
    mail: crate::mail::MailContext,
    mailer: crate::mail::transport::Mailer,
    from: lettre::message::Mailbox,
}

impl Application {
    /// Migrates the database, builds the pool and binds the listener (`BIND`, or port 0).
    pub fn build(
        settings: Settings,
        clock: Arc<dyn Clock>,
    ) -> Result<Self, Box<dyn std::error::Error>> {
        let pool = db::connect(&settings.backend, settings.pool_size)?;
        let listener = TcpListener::bind(&settings.bind)
            .map_err(|e| format!("cannot listen on {}: {e}", settings.bind))?;
        Self::with_pool(settings, clock, pool, listener)
    }

    pub fn with_pool(
        settings: Settings,
        clock: Arc<dyn Clock>,
        pool: Pool,
        listener: TcpListener,
    ) -> Result<Self, Box<dyn std::error::Error>> {
        let port = listener.local_addr()?.port();
        let tick = Duration::from_secs(settings.tick_seconds);
        let mail_tick = Duration::from_secs(settings.mail_tick_seconds);
        let key = Key::from(&settings.session_key);
        let secure = settings.secure_cookies();
        let pool_size = pool.max_size() as usize;
        let session_hours = settings.session_max_hours;
        let mail = crate::mail::MailContext {
            base_url: settings.base_url.clone(),
        };
        let mailer = crate::mail::transport::Mailer::new(
            settings.smtp_url.as_deref(),
            settings.smtp_user.clone(),
            settings.smtp_password.clone(),
            settings.data_dir.join("outbox"),
        )?;
        let from: lettre::message::Mailbox = settings
            .mail_from
            .parse()
            .map_err(|e| format!("MAIL_FROM is not an address: {e}"))?;
        let watch = crate::db::changes::Watch::open(&settings.backend)?;
        let state = AppState {
            pool: pool.clone(),
            clock: clock.clone(),
            settings: Arc::new(settings),
            mail: mail.clone(),
            hasher: crate::password::Hasher::default(),
            orders: crate::app::ordering::OrderWriter::default(),
            watch: Arc::new(watch),
            kept_pages: Arc::default(),
        };
        let data = aweb::Data::new(state);
        let server = HttpServer::new(move || {
            let mut headers = DefaultHeaders::new()
                .add(("X-Content-Type-Options", "nosniff"))
                .add(("X-Frame-Options", "DENY"))
                .add(("Referrer-Policy", "same-origin"))
                .add((
                    "Content-Security-Policy",
                    "default-src 'self'; style-src 'self'; img-src 'self' data:; form-action 'self'; frame-ancestors 'none'",
                ))
                // Pages and downloads carry personal and price data: no cache keeps them
                // (the stylesheet sets its own caching).
                .add(("Cache-Control", "no-store"));
            if secure {
                headers = headers.add((
                    "Strict-Transport-Security",
                    "max-age=31536000; includeSubDomains",
                ));
            }
            App::new()
                .wrap(headers)
                .wrap(
                    SessionMiddleware::builder(CookieSessionStore::default(), key.clone())
                        // Over https the cookie is bound to this host and path only.
                        .cookie_name(if secure { "__Host-sammelkauf" } else { "sammelkauf" }.into())
                        .cookie_secure(secure)
                        .cookie_http_only(true)
                        .cookie_same_site(SameSite::Lax)
                        .cookie_content_security(CookieContentSecurity::Private)
                        .session_lifecycle(
                            PersistentSession::default()
                                .session_ttl(actix_web::cookie::time::Duration::hours(
                                    session_hours,
                                )),
                        )
                        .build(),
                )
                .wrap(
                    Logger::new("%{request}xi %s %Dms")
                        .custom_request_replace("request", logged_request),
                )
                .app_data(data.clone())
                .app_data(aweb::FormConfig::default().limit(256 * 1024))
                // A form's body is read whole within the upload limit: an upload's
                // confirmation carries its file (10,000 lines) back.
                .app_data(aweb::PayloadConfig::new(crate::web::session::MAX_UPLOAD))
                .configure(web::routes)
        })
        // The database work of a request runs on a blocking thread (all but a page's reads on
        // SQLite, `Visitor::read`), at most one per pooled connection at a time
        // (`app::run`); more threads than that only hold memory.
        .worker_max_blocking_threads(pool_size)
        .listen(listener)?
        .run();
        Ok(Application {
            port,
            server,
            pool,
            clock,
            tick,
            mail_tick,
            mail,
            mailer,
            from,
        })
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    pub fn pool(&self) -> Pool {
        self.pool.clone()
    }

    pub fn mailer(&self) -> crate::mail::transport::Mailer {
        self.mailer.clone()
    }

    pub fn mail_from(&self) -> lettre::message::Mailbox {
        self.from.clone()
    }

    /// Serves until the server stops; the background tasks run beside it.
    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        let jobs = crate::jobs::run(
            self.pool.clone(),
            self.clock.clone(),
            self.mail.clone(),
            self.tick,
        );
        let delivery = crate::jobs::deliver(
            self.pool.clone(),
            self.clock.clone(),
            self.mailer.clone(),
            self.from.clone(),
            self.mail_tick,
        );
        tokio::select! {
            result = self.server => result,
            () = jobs => Ok(()),
            () = delivery => Ok(()),
        }
    }
}

/// The request line as the access log shows it: method and path without the query, and
/// without the secret of a password link.
fn logged_request(req: &actix_web::dev::ServiceRequest) -> String {
    let path = req.path();
    let path = if path.starts_with("/password/") {
        "/password/…"
    } else {
        path
    };
    format!("{} {path}", req.method())
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_access_log_never_shows_a_password_link() {
        let token = "ab".repeat(32);
        let req = actix_web::test::TestRequest::post()
            .uri(&format!("/password/{token}?x=1"))
            .to_srv_request();
        let logged = super::logged_request(&req);
        assert_eq!(logged, "POST /password/…");
        let req = actix_web::test::TestRequest::get()
            .uri("/lots/3?notice=saved")
            .to_srv_request();
        assert_eq!(super::logged_request(&req), "GET /lots/3");
    }
}
