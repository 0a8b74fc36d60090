//! Error pages: every failure becomes a clear 4xx page, or a logged 500 that shows nothing
//! internal.

use actix_web::http::{header, StatusCode};
use actix_web::{HttpResponse, ResponseError};
use askama::Template;

/// What went wrong while handling a request.
#[derive(Debug, thiserror::Error)]
pub enum AppError {
    #[error("login required")]
    LoginRequired,
    #[error("forbidden")]
    Forbidden,
    #[error("not found")]
    NotFound,
    #[error("invalid or missing form token")]
    Csrf,
    #[error("bad request: {0}")]
    BadRequest(String),
    #[error("conflict: {0}")]
    Conflict(String),
    #[error("a form field holds control characters")]
    ControlCharacters,
    #[error("the form is larger than allowed")]
    TooLarge,
    #[error("internal error: {0}")]
    Internal(String),
}

impl From<crate::app::Denied> for AppError {
    fn from(e: crate::app::Denied) -> Self {
        match e {
            crate::app::Denied::NotFound => AppError::NotFound,
            crate::app::Denied::Forbidden => AppError::Forbidden,
        }
    }
}

/// An error with every cause below it, for the log: `outer: inner: innermost` (a cause
/// whose text the one above already ends with is not repeated).
pub fn with_causes(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut cause = error.source();
    while let Some(c) = cause {
        let part = c.to_string();
        if !text.ends_with(&part) {
            text.push_str(": ");
            text.push_str(&part);
        }
        cause = c.source();
    }
    text
}

impl From<crate::app::StoreError> for AppError {
    fn from(e: crate::app::StoreError) -> Self {
        AppError::Internal(with_causes(&e))
    }
}

impl From<crate::app::ReadError> for AppError {
    fn from(e: crate::app::ReadError) -> Self {
        match e {
            crate::app::ReadError::Denied(d) => d.into(),
            crate::app::ReadError::Store(s) => s.into(),
        }
    }
}

impl From<crate::mail::QueueError> for AppError {
    fn from(e: crate::mail::QueueError) -> Self {
        AppError::Internal(with_causes(&e))
    }
}

impl From<tokio::task::JoinError> for AppError {
    fn from(e: tokio::task::JoinError) -> Self {
        AppError::Internal(format!("blocking task: {}", with_causes(&e)))
    }
}

impl From<askama::Error> for AppError {
    fn from(e: askama::Error) -> Self {
        AppError::Internal(format!("template: {}", with_causes(&e)))
    }
}

/// An error page in both languages: the error may arise before the user's language is known.
#[derive(Template)]
#[template(path = "error.html")]
struct ErrorPage<'a> {
    status: u16,
    title_de: &'a str,
    title_en: &'a str,
    text_de: &'a str,
    text_en: &'a str,
}

impl ResponseError for AppError {
    fn status_code(&self) -> StatusCode {
        match self {
            AppError::LoginRequired => StatusCode::SEE_OTHER,
            AppError::Forbidden | AppError::Csrf => StatusCode::FORBIDDEN,
            AppError::NotFound => StatusCode::NOT_FOUND,
            AppError::BadRequest(_) => StatusCode::BAD_REQUEST,
            AppError::Conflict(_) => StatusCode::CONFLICT,
            AppError::ControlCharacters => StatusCode::UNPROCESSABLE_ENTITY,
            AppError::TooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            AppError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn error_response(&self) -> HttpResponse {
        let (title_de, title_en, text_de, text_en) = match self {
            AppError::LoginRequired => {
                return HttpResponse::SeeOther()
                    .insert_header((header::LOCATION, "/login"))
                    .finish();
            }
            AppError::Forbidden => (
                "Keine Berechtigung",
                "Not allowed",
                "Ihr Konto darf diese Seite oder Aktion nicht nutzen.",
                "Your account may not use this page or action.",
            ),
            AppError::Csrf => (
                "Formular abgelaufen",
                "Form expired",
                "Das Formular war abgelaufen oder unvollständig. Bitte laden Sie die Seite neu und senden Sie es erneut.",
                "The form had expired or was incomplete. Please reload the page and send it again.",
            ),
            AppError::NotFound => (
                "Nicht gefunden",
                "Not found",
                "Diese Seite gibt es nicht, oder sie ist für Ihr Konto nicht sichtbar.",
                "This page does not exist, or it is not visible to your account.",
            ),
            AppError::BadRequest(_) => (
                "Ungültige Anfrage",
                "Bad request",
                "Die Anfrage war unvollständig oder fehlerhaft.",
                "The request was incomplete or malformed.",
            ),
            AppError::Conflict(_) => (
                "Nicht mehr möglich",
                "No longer possible",
                "Dieser Schritt ist im jetzigen Stand nicht möglich. Bitte laden Sie die Seite neu.",
                "This step is not possible in the current state. Please reload the page.",
            ),
            AppError::ControlCharacters => (
                "Unzulässige Zeichen",
                "Characters not allowed",
                "Ein Feld des Formulars enthält Steuerzeichen (etwa ein Nullbyte). Es wurde nichts gespeichert. Bitte entfernen Sie sie und senden Sie das Formular erneut.",
                "A field of the form contains control characters (such as a NUL byte). Nothing was stored. Please remove them and send the form again.",
            ),
            AppError::TooLarge => (
                "Zu groß",
                "Too large",
                "Das Formular oder die Datei ist größer als erlaubt. Es wurde nichts gespeichert.",
                "The form or file is larger than allowed. Nothing was stored.",
            ),
            AppError::Internal(_) => {
                tracing::error!(error = %self, "request failed");
                (
                    "Interner Fehler",
                    "Internal error",
                    "Es ist ein Fehler aufgetreten; es wurde nichts geändert. Bitte versuchen Sie es später erneut.",
                    "Something went wrong; nothing was changed. Please try again later.",
                )
            }
        };
        let status = self.status_code();
        let page = ErrorPage {
            status: status.as_u16(),
            title_de,
            title_en,
            text_de,
            text_en,
        };
        let body = page.render().unwrap_or_else(|_| title_en.to_string());
        HttpResponse::build(status)
            .content_type("text/html; charset=utf-8")
            .body(body)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, thiserror::Error)]
    #[error("storing the order")]
    struct Outer(#[source] Middle);

    #[derive(Debug, thiserror::Error)]
    #[error(transparent)]
    struct Middle(std::io::Error);

    #[test]
    fn an_internal_error_keeps_every_cause_for_the_log() {
        let error = Outer(Middle(std::io::Error::other("disk full")));
        assert_eq!(with_causes(&error), "storing the order: disk full");
        let store =
            crate::app::StoreError::from(crate::db::Error::Query(diesel::result::Error::NotFound));
        let AppError::Internal(text) = AppError::from(store) else {
            panic!("a store error is internal");
        };
        assert!(text.contains("Record not found"), "{text}");
    }
}
