//! Email: composing notifications into the outbox, the transports, and the delivery worker.

pub mod notify;
pub mod transport;
pub mod worker;

use crate::db::outbox::{self, NewEmail};
use crate::domain::account::Language;
use crate::domain::ids::LotId;
use crate::i18n::Tr;
use askama::Template;
use chrono::NaiveDateTime;
use rand::RngCore;

/// What an email says, in the recipient's language, before rendering.
/// A link an email ends with: what it says and where it points.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Link {
    pub label: String,
    pub url: String,
}

impl Link {
    pub fn new(label: impl Into<String>, url: String) -> Self {
        Link {
            label: label.into(),
            url,
        }
    }
}

pub struct Content {
    pub subject: String,
    pub greeting: String,
    pub paragraphs: Vec<String>,
    pub table_head: Vec<String>,
    pub table_rows: Vec<Vec<String>>,
    pub link: Option<Link>,
    pub attachment: Option<(String, String)>,
}

impl Content {
    pub fn new(tr: Tr, subject: String) -> Self {
        Content {
            subject,
            greeting: tr.t("mail.greeting").to_string(),
            paragraphs: Vec::new(),
            table_head: Vec::new(),
            table_rows: Vec::new(),
            link: None,
            attachment: None,
        }
    }

    pub fn paragraph(mut self, text: String) -> Self {
        self.paragraphs.push(text);
        self
    }

    /// Adds columns to the table's heading, in the recipient's words.
    pub fn head<'k>(mut self, cells: impl IntoIterator<Item = &'k str>) -> Self {
        self.table_head
            .extend(cells.into_iter().map(str::to_string));
        self
    }
}

#[derive(Template)]
#[template(path = "email/message.txt")]
struct TextPart<'a> {
    greeting: &'a str,
    paragraphs: &'a [String],
    table_head: &'a [String],
    table_rows: &'a [Vec<String>],
    link: &'a Option<Link>,
    signature: &'a str,
}

impl TextPart<'_> {
    /// A row as plain text: each value after its column's heading, so that a reader can
    /// tell net from VAT from gross without the table.
    fn labelled(&self, row: &[String], head: &[String]) -> String {
        row.iter()
            .enumerate()
            .map(|(i, cell)| match head.get(i).filter(|h| !h.is_empty()) {
                Some(heading) => format!("{heading}: {cell}"),
                None => cell.clone(),
            })
            .collect::<Vec<_>>()
            .join(" | ")
    }
}

#[derive(Template)]
#[template(path = "email/message.html")]
struct HtmlPart<'a> {
    lang: &'a str,
    subject: &'a str,
    greeting: &'a str,
    paragraphs: &'a [String],
    table_head: &'a [String],
    table_rows: &'a [Vec<String>],
    link: &'a Option<Link>,
    signature: &'a str,
}

/// Where links point and what names the sender's domain.
#[derive(Debug, Clone)]
pub struct MailContext {
    pub base_url: String,
}

impl MailContext {
    /// The host part of `BASE_URL`, used on the right of every Message-ID.
    pub fn host(&self) -> String {
        let rest = self.base_url.split("://").nth(1).unwrap_or("localhost");
        rest.split(['/', ':'])
            .next()
            .unwrap_or("localhost")
            .to_string()
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base_url)
    }
}

/// No line breaks or other control characters in anything that becomes a header.
pub fn header_safe(text: &str) -> String {
    text.chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect::<String>()
        .trim()
        .chars()
        .take(250)
        .collect()
}

fn random_hex(bytes: usize) -> String {
    let mut buf = vec![0u8; bytes];
    rand::thread_rng().fill_bytes(&mut buf);
    hex::encode(buf)
}

/// Who gets an email, in which language, and what kind of notice it is.
pub struct Envelope<'a> {
    pub kind: &'a str,
    pub lot: Option<LotId>,
    pub recipient: &'a str,
    pub language: Language,
    /// Where given, makes the Message-ID deterministic, so the same notice is never queued
    /// twice.
    pub stable_key: Option<&'a str>,
}

/// Why an email could not be queued; the change that caused it is rolled back with it.
#[derive(Debug, thiserror::Error)]
pub enum QueueError {
    #[error(transparent)]
    Database(#[from] crate::db::Error),
    #[error("rendering an email failed: {0}")]
    Render(#[from] askama::Error),
}

impl From<diesel::result::Error> for QueueError {
    fn from(e: diesel::result::Error) -> Self {
        QueueError::Database(e.into())
    }
}

impl crate::db::AsDbError for QueueError {
    fn as_db_error(&self) -> Option<&diesel::result::Error> {
        match self {
            QueueError::Database(e) => e.as_db_error(),
            QueueError::Render(_) => None,
        }
    }
}

/// Renders and stores one email, in the caller's transaction; false if an email with the
/// same stable key was queued before.
pub fn queue(
    conn: &mut crate::db::DbConnection,
    ctx: &MailContext,
    envelope: &Envelope<'_>,
    content: Content,
    now: NaiveDateTime,
) -> Result<bool, QueueError> {
    let email = compose(ctx, envelope, content, now)?;
    Ok(outbox::enqueue(conn, &email)?)
}

/// Renders one email, ready to be stored with [`outbox::enqueue`] in the transaction of the
/// change it tells of (rendering needs no database, so it can happen before the transaction).
pub fn compose(
    ctx: &MailContext,
    envelope: &Envelope<'_>,
    content: Content,
    now: NaiveDateTime,
) -> Result<NewEmail, askama::Error> {
    let Envelope {
        kind,
        lot,
        recipient,
        language,
        stable_key,
    } = *envelope;
    let tr = Tr(language);
    let signature = tr.t("mail.signature");
    let subject = header_safe(&content.subject);
    let text = TextPart {
        greeting: &content.greeting,
        paragraphs: &content.paragraphs,
        table_head: &content.table_head,
        table_rows: &content.table_rows,
        link: &content.link,
        signature,
    }
    .render()?;
    let html = HtmlPart {
        lang: language.as_str(),
        subject: &subject,
        greeting: &content.greeting,
        paragraphs: &content.paragraphs,
        table_head: &content.table_head,
        table_rows: &content.table_rows,
        link: &content.link,
        signature,
    }
    .render()?;
    let local = match stable_key {
        Some(key) => format!("{kind}.{key}"),
        None => format!("{kind}.{}", random_hex(12)),
    };
    let (attachment_name, attachment) = match content.attachment {
        Some((name, body)) => (Some(name), Some(body)),
        None => (None, None),
    };
    Ok(NewEmail {
        message_id: format!("<{local}@{}>", ctx.host()),
        kind: kind.to_string(),
        lot_id: lot,
        recipient: recipient.to_string(),
        subject,
        body_text: text,
        body_html: html,
        attachment_name,
        attachment,
        status: outbox::PENDING.to_string(),
        attempts: 0,
        next_attempt_at: now,
        last_error: String::new(),
        created_at: now,
    })
}

/// Masks an address for logs: `e***@krz.example`.
pub fn mask(address: &str) -> String {
    match address.split_once('@') {
        Some((local, domain)) => format!("{}***@{domain}", local.chars().next().unwrap_or('*')),
        None => "***".into(),
    }
}
