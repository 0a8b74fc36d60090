//! Who is asking: the signed-in user from the session cookie, the language, and the form
//! token that every POST must carry.

use super::error::AppError;
use super::AppState;
use crate::app::accounts::{self, SessionLimits as Limits, SessionUser};
use crate::app::kept::{KeptPages, PageKey, Turn};
use crate::app::lot_page::{self, LotPageData};
use crate::app::{idle_sqlite, read_together, Actor, DbConnection, ReadError};
use crate::domain::account::{Language, Role};
use crate::domain::ids::{LineId, LotId, MemberId, SupplierId};
use crate::i18n::Tr;
use actix_session::{Session, SessionExt};
use actix_web::dev::Payload;
use actix_web::web::{Bytes, Data};
use actix_web::{FromRequest, HttpRequest};
use chrono::{DateTime, NaiveDateTime, Utc};
use futures_util::future::LocalBoxFuture;
use rand::RngCore;
use serde::de::DeserializeOwned;
use std::sync::Arc;

const SESSION: &str = "sid";
const CSRF: &str = "csrf";
const LANG: &str = "lang";
/// How long a view waits for another request's read of the same page before it reads itself.
const WAIT_FOR_READ: std::time::Duration = std::time::Duration::from_millis(500);

fn random_token() -> String {
    let mut bytes = [0u8; 32];
    rand::thread_rng().fill_bytes(&mut bytes);
    hex::encode(bytes)
}

/// The session's form token, created on first use.
pub fn csrf_token(session: &Session) -> String {
    match session.get::<String>(CSRF) {
        Ok(Some(token)) => token,
        _ => {
            let token = random_token();
            // A failed insert only means the next form fails the check and is sent again.
            let _ = session.insert(CSRF, &token);
            token
        }
    }
}

/// A fresh key for a form whose double submission must count once.
pub fn idempotency_key() -> String {
    random_token()
}

/// Starts a new session for a user who has just signed in (new cookie, new form token).
pub fn sign_in(session: &Session, signed_in: &accounts::SignedIn) -> Result<(), AppError> {
    session.renew();
    session.clear();
    let user = &signed_in.actor;
    session
        .insert(SESSION, &signed_in.session)
        .and_then(|_| session.insert(CSRF, random_token()))
        .and_then(|_| session.insert(LANG, user.language.as_str()))
        .map_err(|e| AppError::Internal(format!("session: {e}")))
}

/// The server-side session's secret, if the cookie carries one.
pub fn session_secret(session: &Session) -> Option<String> {
    session.get::<String>(SESSION).ok().flatten()
}

/// Forgets the cookie (the server-side session is ended by the caller).
pub fn sign_out(session: &Session) {
    session.purge();
}

pub fn set_language(session: &Session, language: Language) {
    let _ = session.insert(LANG, language.as_str());
}

/// The language of an anonymous visitor.
pub fn session_language(session: &Session) -> Language {
    session
        .get::<String>(LANG)
        .ok()
        .flatten()
        .and_then(|l| Language::parse(&l))
        .unwrap_or_default()
}

/// A signed-in, active user, loaded fresh from the database for every request.
#[derive(Debug, Clone)]
pub struct CurrentUser {
    pub user: Actor,
    pub role: Role,
    pub csrf: String,
}

impl CurrentUser {
    pub fn tr(&self) -> Tr {
        Tr(self.user.language)
    }

    pub fn require(&self, role: Role) -> Result<(), AppError> {
        Ok(self.user.require(role)?)
    }

    /// The member organisation of a buyer.
    pub fn member_id(&self) -> Result<MemberId, AppError> {
        Ok(self.user.member()?)
    }

    pub fn supplier_id(&self) -> Result<SupplierId, AppError> {
        Ok(self.user.supplier()?)
    }
}

/// A request's session before its user is looked up: what a handler takes when it reads
/// its page's data on the same connection, in the same trip to the database, as the user
/// ([`Visitor::read`]). A page costs one hand-over to the database threads, not two; on
/// SQLite usually none.
pub struct Visitor {
    session: Session,
    secret: String,
    state: Data<AppState>,
}

impl Visitor {
    /// Looks up the signed-in, active user and runs the page's reads `work` for them on one
    /// pooled connection, as one read transaction ([`read_together`]: one state of the
    /// database, one lock on SQLite); no session, an expired one or a deactivated account is
    /// [`AppError::LoginRequired`], and `work` is not run. `work` must not write.
    pub async fn read<T, F>(self, work: F) -> Result<(CurrentUser, T), AppError>
    where
        T: Send + 'static,
        F: FnOnce(&mut DbConnection, &Actor) -> Result<T, ReadError> + Send + 'static,
    {
        self.read_with(alone, move |conn, user, ()| work(conn, user))
            .await
    }

    /// Like [`Visitor::read`] for lot `id`'s page as of `now`, with the user's own lines after
    /// line `lines_after`: the page as the server keeps it for the session while nothing was
    /// committed ([`crate::app::kept::KeptPages`]), or read afresh, lot `id` at a glance in the same
    /// query as the session ([`lot_page::session_page`]).
    pub async fn read_lot(
        self,
        id: LotId,
        lines_after: Option<LineId>,
        now: DateTime<Utc>,
    ) -> Result<(CurrentUser, Arc<LotPageData>), AppError> {
        let state = self.state.clone();
        let key = PageKey::new(&self.secret, id, lines_after);
        let token = match state.watch.now().await {
            Ok(token) => Some(token),
            Err(unknown) => {
                tracing::warn!(error = %unknown, "the lot page is read afresh");
                None
            }
        };
        let mut reading = None;
        if let Some(token) = &token {
            if let Some(found) = state.kept_pages.page(&key, token, now.naive_utc()) {
                return current_user(&self.session, Some(found));
            }
            match KeptPages::turn(&state.kept_pages, &key, token) {
                Turn::Read(turn) => reading = Some(turn),
                Turn::Wait(mut done) => {
                    // The same page is being read under the same token: the page it keeps is
                    // the one this request would read. If it keeps none (staff, suppliers,
                    // a failed read) or takes too long, this request reads for itself.
                    let _ = tokio::time::timeout(WAIT_FOR_READ, done.changed()).await;
                    if let Some(found) = state.kept_pages.page(&key, token, now.naive_utc()) {
                        return current_user(&self.session, Some(found));
                    }
                }
            }
        }
        let lookup = move |conn: &mut DbConnection, now, limits, secret: &str| {
            let key = key.clone();
            lot_page::session_page(conn, now, limits, secret, key, token)
        };
        let kept = state.kept_pages.clone();
        let read = self
            .read_with(lookup, move |conn, actor, page| {
                lot_page::page_for_session(conn, actor, page, now, lines_after, &kept)
            })
            .await;
        // Kept (or not) by now: those waiting for this read look again.
        drop(reading);
        read
    }

    /// [`Visitor::read`] with the session looked up by `lookup`, which reads `X` beside it.
    async fn read_with<X, T, L, F>(self, lookup: L, work: F) -> Result<(CurrentUser, T), AppError>
    where
        T: Send + 'static,
        L: Lookup<X>,
        F: FnOnce(&mut DbConnection, &Actor, X) -> Result<T, ReadError> + Send + 'static,
    {
        // Where a connection is at hand for reads on this thread ([`idle_sqlite`]), the user
        // and the page are read right here, in one read transaction, unless the session's
        // use is due to be noted: that write may wait for the writer, so it goes to a
        // database thread with the rest.
        let work = match idle_sqlite(&self.state.pool, &self.state.settings.backend) {
            Some(mut conn) => {
                let (now, limits) = (self.state.now(), self.state.session_limits());
                match read_here(
                    &mut conn,
                    now.naive_utc(),
                    limits,
                    &self.secret,
                    lookup.clone(),
                    work,
                )? {
                    Ok(found) => return current_user(&self.session, found),
                    Err(work) => work,
                }
            }
            None => work,
        };
        self.visit(lookup, move |conn, user, found| {
            read_together(conn, |conn| work(conn, user, found))
        })
        .await
    }

    /// Looks up the user like [`Visitor::read`] and runs an operation for them on the same
    /// connection (in the operation's own transaction); the operation's own outcome comes
    /// back for the handler to show.
    pub async fn run<T, F>(self, work: F) -> Result<(CurrentUser, T), AppError>
    where
        T: Send + 'static,
        F: FnOnce(&mut DbConnection, &Actor) -> T + Send + 'static,
    {
        self.visit(alone, move |conn, user, ()| Ok(work(conn, user)))
            .await
    }

    /// Looks up the user with `lookup` (noting the session's use) and runs `work` for them,
    /// on a database thread.
    async fn visit<X, T, L, F>(self, lookup: L, work: F) -> Result<(CurrentUser, T), AppError>
    where
        T: Send + 'static,
        L: Lookup<X>,
        F: FnOnce(&mut DbConnection, &Actor, X) -> Result<T, ReadError> + Send + 'static,
    {
        let Visitor {
            session,
            secret,
            state,
        } = self;
        let (now, limits) = (state.now().naive_utc(), state.session_limits());
        let found = state
            .read(move |conn| match lookup(conn, now, limits, &secret)? {
                Some((user, found)) => {
                    let user = accounts::noted(conn, now, &secret, user)?;
                    work(conn, &user, found).map(|found| Some((user, found)))
                }
                None => Ok(None),
            })
            .await?;
        current_user(&session, found)
    }
}

/// How a request's session is looked up: its account as of `now` within the limits, and
/// what is read with it in the same query; none when the session is not live.
trait Lookup<X>:
    Fn(&mut DbConnection, NaiveDateTime, Limits, &str) -> Looked<X> + Clone + Send + 'static
{
}

impl<X, L> Lookup<X> for L where
    L: Fn(&mut DbConnection, NaiveDateTime, Limits, &str) -> Looked<X> + Clone + Send + 'static
{
}

/// What a [`Lookup`] finds.
type Looked<X> = Result<Option<(SessionUser, X)>, ReadError>;

/// The session alone.
fn alone(conn: &mut DbConnection, now: NaiveDateTime, limits: Limits, secret: &str) -> Looked<()> {
    Ok(accounts::session_user(conn, now, limits, secret)?.map(|user| (user, ())))
}

/// The session's user and what was read for them; none when the session is not live.
type Found<T> = Option<(Actor, T)>;

/// The session's user and the page's reads for them, in one read transaction; `work` back
/// when the session's use is due to be noted (a write).
fn read_here<X, T, L, F>(
    conn: &mut DbConnection,
    now: NaiveDateTime,
    limits: Limits,
    secret: &str,
    lookup: L,
    work: F,
) -> Result<Result<Found<T>, F>, ReadError>
where
    L: Lookup<X>,
    F: FnOnce(&mut DbConnection, &Actor, X) -> Result<T, ReadError>,
{
    read_together(conn, move |conn| {
        Ok(match lookup(conn, now, limits, secret)? {
            None => Ok(None),
            Some((SessionUser::Seen(user), found)) => {
                let found = work(conn, &user, found)?;
                Ok(Some((user, found)))
            }
            Some((SessionUser::Due(_), _)) => Err(work),
        })
    })
}

/// The request's user and what was read for them, or (no live session found) the cookie
/// forgotten and the sign-in asked for.
fn current_user<T>(session: &Session, found: Found<T>) -> Result<(CurrentUser, T), AppError> {
    let Some((user, found)) = found else {
        sign_out(session);
        return Err(AppError::LoginRequired);
    };
    let role = user.role;
    let csrf = csrf_token(session);
    Ok((CurrentUser { user, role, csrf }, found))
}

impl FromRequest for Visitor {
    type Error = AppError;
    type Future = std::future::Ready<Result<Self, AppError>>;

    /// Without a session there is nobody to look up: the visitor signs in first, before
    /// anything else of the request is looked at.
    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let session = req.get_session();
        std::future::ready(
            match (req.app_data::<Data<AppState>>(), session_secret(&session)) {
                (None, _) => Err(AppError::Internal("no state".into())),
                (Some(_), None) => Err(AppError::LoginRequired),
                (Some(state), Some(secret)) => Ok(Visitor {
                    session,
                    secret,
                    state: state.clone(),
                }),
            },
        )
    }
}

impl FromRequest for CurrentUser {
    type Error = AppError;
    type Future = LocalBoxFuture<'static, Result<Self, AppError>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let visitor = Visitor::from_request(req, payload).into_inner();
        Box::pin(async move {
            let (user, ()) = visitor?.read(|_, _| Ok(())).await?;
            Ok(user)
        })
    }
}

/// Text may hold line breaks and tabs, but no other control character: a NUL byte cannot
/// be stored in PostgreSQL, and the others only hide text from the people who read it. The
/// one check for every form, so both databases refuse the same input.
fn refuse_control_characters(fields: &[(String, String)]) -> Result<(), AppError> {
    let bad = |c: char| c.is_control() && !matches!(c, '\n' | '\r' | '\t');
    if fields
        .iter()
        .any(|(name, value)| name.chars().any(bad) || value.chars().any(bad))
    {
        return Err(AppError::ControlCharacters);
    }
    Ok(())
}

/// A form whose token matched the session's: every POST handler takes its input this way.
pub struct Form<T>(pub T);

fn tokens_match(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .fold(0u8, |acc, (x, y)| acc | (x ^ y))
            == 0
}

/// The one check of a sent form token against the session's.
fn check_token(expected: Option<&str>, sent: &str) -> Result<(), AppError> {
    match expected {
        Some(expected) if !sent.is_empty() && tokens_match(expected, sent) => Ok(()),
        _ => Err(AppError::Csrf),
    }
}

/// The token among a form's fields (empty when there is none).
fn sent_token(fields: &[(String, String)]) -> &str {
    fields
        .iter()
        .find(|(k, _)| k == "csrf")
        .map_or("", |(_, v)| v.as_str())
}

impl<T: DeserializeOwned + 'static> FromRequest for Form<T> {
    type Error = AppError;
    type Future = LocalBoxFuture<'static, Result<Self, AppError>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let session = req.get_session();
        let body = Bytes::from_request(req, payload);
        Box::pin(async move {
            let body = body
                .await
                .map_err(|e| AppError::BadRequest(format!("body: {e}")))?;
            let fields: Vec<(String, String)> = serde_urlencoded::from_bytes(&body)
                .map_err(|e| AppError::BadRequest(format!("form: {e}")))?;
            refuse_control_characters(&fields)?;
            let expected = session.get::<String>(CSRF).ok().flatten();
            check_token(expected.as_deref(), sent_token(&fields))?;
            serde_urlencoded::from_bytes(&body)
                .map(Form)
                .map_err(|e| AppError::BadRequest(format!("form: {e}")))
        })
    }
}

/// Largest form accepted, files included: an order upload of 10,000 lines fits, junk does not.
pub const MAX_UPLOAD: usize = 1024 * 1024;
/// Most fields in one multipart form: a full tier table (1,000 rows of two fields) and the
/// quote's other fields.
const MAX_PARTS: usize = 2_100;
/// Longest field name.
const MAX_NAME: usize = 64;

/// A form's fields in order (repeated names kept), sent URL-encoded or as
/// `multipart/form-data` with file fields read as UTF-8 text; the form token is checked
/// like [`Form`]'s.
pub struct FormFields(pub Vec<(String, String)>);

/// Reads a multipart form within its limits. The form token must be its first field
/// (every form of ours puts it there) and is checked before anything else is read, so a
/// forged request cannot make the server buffer its parts.
async fn multipart_fields(
    req: &HttpRequest,
    payload: Payload,
    expected_token: Option<String>,
) -> Result<Vec<(String, String)>, AppError> {
    use futures_util::StreamExt;
    let bad = |what: String| AppError::BadRequest(format!("multipart: {what}"));
    let mut multipart = actix_multipart::Multipart::new(req.headers(), payload);
    let mut fields = Vec::new();
    let mut total = 0usize;
    while let Some(field) = multipart.next().await {
        let mut field = field.map_err(|e| bad(e.to_string()))?;
        if fields.len() >= MAX_PARTS {
            return Err(AppError::TooLarge);
        }
        let name = field.name().unwrap_or_default().to_string();
        if name.len() > MAX_NAME {
            return Err(bad("field name too long".into()));
        }
        if fields.is_empty() && name != "csrf" {
            return Err(AppError::Csrf);
        }
        let is_file = field
            .content_disposition()
            .is_some_and(|cd| cd.get_filename().is_some());
        let mut bytes = Vec::new();
        while let Some(chunk) = field.next().await {
            let chunk = chunk.map_err(|e| bad(e.to_string()))?;
            total += chunk.len();
            if total > MAX_UPLOAD {
                return Err(AppError::TooLarge);
            }
            bytes.extend_from_slice(&chunk);
        }
        // A file that is not UTF-8 is read as Windows-1252, as older spreadsheet programs
        // write CSV in German offices; anything else then fails the form's checks with a
        // message naming the line, which helps more than a bare 400.
        let text = if is_file {
            match String::from_utf8(bytes) {
                Ok(text) => text,
                Err(e) => encoding_rs::WINDOWS_1252
                    .decode_without_bom_handling(e.as_bytes())
                    .0
                    .into_owned(),
            }
        } else {
            String::from_utf8(bytes).map_err(|_| bad(format!("{name} is not UTF-8 text")))?
        };
        if fields.is_empty() {
            check_token(expected_token.as_deref(), &text)?;
        }
        fields.push((name, text));
    }
    Ok(fields)
}

impl FromRequest for FormFields {
    type Error = AppError;
    type Future = LocalBoxFuture<'static, Result<Self, AppError>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let session = req.get_session();
        let multipart = req
            .headers()
            .get(actix_web::http::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.starts_with("multipart/form-data"));
        let req = req.clone();
        let body = (!multipart).then(|| Bytes::from_request(&req, payload));
        let payload = payload.take();
        Box::pin(async move {
            let fields: Vec<(String, String)> = match body {
                Some(body) => {
                    let body = body
                        .await
                        .map_err(|e| AppError::BadRequest(format!("body: {e}")))?;
                    serde_urlencoded::from_bytes(&body)
                        .map_err(|e| AppError::BadRequest(format!("form: {e}")))?
                }
                None => {
                    let expected = session.get::<String>(CSRF).ok().flatten();
                    multipart_fields(&req, payload, expected).await?
                }
            };
            refuse_control_characters(&fields)?;
            let expected = session.get::<String>(CSRF).ok().flatten();
            check_token(expected.as_deref(), sent_token(&fields))?;
            Ok(FormFields(fields))
        })
    }
}
