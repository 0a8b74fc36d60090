//! Delivering one stored email: over SMTP through one long-lived pooled transport, or as an
//! `.eml` file in the data folder when no SMTP server is configured.

use crate::db::outbox::OutboxRow;
use lettre::message::header::ContentType;
use lettre::message::{Attachment, Mailbox, MultiPart, SinglePart};
use lettre::transport::smtp::authentication::Credentials;
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use std::path::PathBuf;

/// How a delivery attempt failed: retry later, or give up now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SendError {
    pub permanent: bool,
    pub message: String,
}

/// Where emails go.
#[derive(Clone)]
pub enum Mailer {
    Smtp(AsyncSmtpTransport<Tokio1Executor>),
    Files(PathBuf),
}

impl std::fmt::Debug for Mailer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Mailer::Smtp(_) => f.write_str("Mailer::Smtp"),
            Mailer::Files(dir) => write!(f, "Mailer::Files({})", dir.display()),
        }
    }
}

impl Mailer {
    /// The transport for `SMTP_URL` (credentials in the URL or in `SMTP_USER` /
    /// `SMTP_PASSWORD`); `smtp://` upgrades with STARTTLS where the server offers it,
    /// `smtps://` speaks TLS from the start. Without a URL: files in `dir`.
    pub fn new(
        smtp_url: Option<&str>,
        user: Option<String>,
        password: Option<String>,
        dir: PathBuf,
    ) -> Result<Self, String> {
        let Some(url) = smtp_url else {
            return Ok(Mailer::Files(dir));
        };
        let url = if url.starts_with("smtp://") && !url.contains("tls=") {
            let sep = if url.contains('?') { '&' } else { '?' };
            format!("{url}{sep}tls=opportunistic")
        } else {
            url.to_string()
        };
        let mut builder = AsyncSmtpTransport::<Tokio1Executor>::from_url(&url)
            .map_err(|e| format!("SMTP_URL: {e}"))?;
        if let (Some(user), Some(password)) = (user, password) {
            builder = builder.credentials(Credentials::new(user, password));
        }
        Ok(Mailer::Smtp(
            builder
                .timeout(Some(std::time::Duration::from_secs(20)))
                .build(),
        ))
    }

    /// Sends one email with its own Message-ID.
    pub async fn send(&self, email: &OutboxRow, from: &Mailbox) -> Result<(), SendError> {
        let message = build_message(email, from)?;
        match self {
            Mailer::Smtp(transport) => {
                transport
                    .send(message)
                    .await
                    .map(|_| ())
                    .map_err(|e| SendError {
                        permanent: e.is_permanent(),
                        message: classify(&e),
                    })
            }
            Mailer::Files(dir) => {
                let name: String = email
                    .message_id
                    .chars()
                    .filter(|c| c.is_ascii_alphanumeric() || *c == '.' || *c == '-')
                    .collect();
                let path = dir.join(format!("{name}.eml"));
                let bytes = message.formatted();
                let dir = dir.clone();
                tokio::task::spawn_blocking(move || {
                    std::fs::create_dir_all(&dir)?;
                    std::fs::write(path, bytes)
                })
                .await
                .map_err(|e| SendError {
                    permanent: false,
                    message: e.to_string(),
                })?
                .map_err(|e| SendError {
                    permanent: false,
                    message: format!("writing the .eml file: {e}"),
                })
            }
        }
    }
}

fn classify(e: &lettre::transport::smtp::Error) -> String {
    let kind = if e.is_permanent() {
        "permanent"
    } else if e.is_transient() {
        "transient"
    } else if e.is_timeout() {
        "timeout"
    } else if e.is_tls() {
        "tls"
    } else {
        "connection"
    };
    format!("{kind}: {e}")
}

fn build_message(email: &OutboxRow, from: &Mailbox) -> Result<Message, SendError> {
    let invalid = |what: String| SendError {
        permanent: true,
        message: what,
    };
    let to: Mailbox = email
        .recipient
        .parse()
        .map_err(|e| invalid(format!("recipient: {e}")))?;
    let alternative = MultiPart::alternative()
        .singlepart(
            SinglePart::builder()
                .header(ContentType::TEXT_PLAIN)
                .body(email.body_text.clone()),
        )
        .singlepart(
            SinglePart::builder()
                .header(ContentType::TEXT_HTML)
                .body(email.body_html.clone()),
        );
    let body = match (&email.attachment_name, &email.attachment) {
        (Some(name), Some(content)) => {
            let content_type = ContentType::parse("text/csv; charset=utf-8")
                .map_err(|e| invalid(format!("content type: {e}")))?;
            MultiPart::mixed().multipart(alternative).singlepart(
                Attachment::new(name.clone()).body(content.clone().into_bytes(), content_type),
            )
        }
        _ => alternative,
    };
    Message::builder()
        .from(from.clone())
        .to(to)
        .subject(crate::mail::header_safe(&email.subject))
        .message_id(Some(email.message_id.clone()))
        .multipart(body)
        .map_err(|e| invalid(format!("message: {e}")))
}
