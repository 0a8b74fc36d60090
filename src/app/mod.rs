//! The product's operations, one module per use case. Each takes typed input and the acting
//! user, checks role and organisation, runs its transaction, writes its audit entry, queues
//! its emails and answers with a typed outcome or a typed error. The web layer parses forms,
//! calls one operation and renders; it never touches the database itself.

pub mod access;
pub mod account_admin;
pub mod accounts;
pub mod award;
pub mod calendar;
pub mod closing;
pub mod exports;
pub mod frameworks;
pub(crate) mod group;
pub mod kept;
pub mod lot_admin;
pub mod lot_page;
pub mod lots;
pub mod member_admin;
pub mod opening;
pub mod ordering;
pub mod organisations;
pub mod overview;
pub mod passwords;
pub mod quotes;
pub mod records;
pub mod scenario;
pub mod upload;

use crate::db;
use crate::domain::account::{Language, Role};
use crate::domain::ids::{LotId, MemberId, SupplierId, UserId};
use crate::mail::MailContext;
use chrono::{DateTime, Utc};

pub use crate::db::users::User as Account;
/// The connection and pool operations run on (the web layer only passes them through).
pub use crate::db::{idle_sqlite, read_together, DbConnection, Pool};
pub type PoolError = diesel::r2d2::PoolError;

/// What every operation may need besides the connection: the time it happens at and where
/// emails link to.
#[derive(Debug, Clone)]
pub struct Ctx {
    pub now: DateTime<Utc>,
    pub mail: MailContext,
}

/// Who is acting: a signed-in, active account.
#[derive(Debug, Clone)]
pub struct Actor {
    pub id: UserId,
    pub name: String,
    pub email: String,
    pub role: Role,
    pub member_id: Option<MemberId>,
    pub supplier_id: Option<SupplierId>,
    pub language: Language,
    /// When the account joined its organisation.
    pub joined_at: DateTime<Utc>,
}

impl Actor {
    pub fn from_account(account: &Account) -> Self {
        Actor {
            id: account.id,
            name: account.name.clone(),
            email: account.email.clone(),
            role: account.role,
            member_id: account.member_id,
            supplier_id: account.supplier_id,
            language: account.language,
            joined_at: account.joined_at.and_utc(),
        }
    }

    /// The user of a live session.
    pub fn from_session(account: crate::db::sessions::SessionAccount) -> Self {
        Actor {
            id: account.id,
            name: account.name,
            email: account.email,
            role: account.role,
            member_id: account.member_id,
            supplier_id: account.supplier_id,
            language: account.language,
            joined_at: account.joined_at.and_utc(),
        }
    }

    /// The member organisation of a buyer.
    pub fn member(&self) -> Result<MemberId, Denied> {
        match (self.role, self.member_id) {
            (Role::Buyer, Some(id)) => Ok(id),
            _ => Err(Denied::Forbidden),
        }
    }

    /// The supplier company of a supplier's user.
    pub fn supplier(&self) -> Result<SupplierId, Denied> {
        match (self.role, self.supplier_id) {
            (Role::Supplier, Some(id)) => Ok(id),
            _ => Err(Denied::Forbidden),
        }
    }

    pub fn require(&self, role: Role) -> Result<(), Denied> {
        if self.role == role {
            Ok(())
        } else {
            Err(Denied::Forbidden)
        }
    }

    pub fn recipient(&self) -> crate::mail::notify::Recipient<'_> {
        crate::mail::notify::Recipient {
            id: self.id,
            email: &self.email,
            language: self.language,
        }
    }
}

/// Refusals every operation shares: the thing is not there (or not visible to this user,
/// which must look the same), or the user's role may not do this.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum Denied {
    #[error("not found")]
    NotFound,
    #[error("not allowed")]
    Forbidden,
}

/// Failures of the machinery rather than refusals: the database, unreadable stored data,
/// an email that could not be rendered.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error(transparent)]
    Database(#[from] db::Error),
    #[error("database pool: {0}")]
    Pool(#[from] diesel::r2d2::PoolError),
    #[error("rendering an email failed: {0}")]
    Render(#[from] askama::Error),
    #[error("stored data breaks a pricing rule: {0}")]
    Engine(#[from] crate::domain::pricing::InvalidInput),
    #[error("background task: {0}")]
    Task(#[from] tokio::task::JoinError),
    #[error("the group this write was to be stored with could not be stored")]
    GroupNotStored,
    #[error(transparent)]
    Hash(#[from] crate::password::HashError),
}

impl From<diesel::result::Error> for StoreError {
    fn from(e: diesel::result::Error) -> Self {
        StoreError::Database(e.into())
    }
}

impl From<db::Corrupt> for StoreError {
    fn from(e: db::Corrupt) -> Self {
        StoreError::Database(e.into())
    }
}

impl From<crate::mail::QueueError> for StoreError {
    fn from(e: crate::mail::QueueError) -> Self {
        match e {
            crate::mail::QueueError::Database(d) => StoreError::Database(d),
            crate::mail::QueueError::Render(r) => StoreError::Render(r),
        }
    }
}

impl db::AsDbError for StoreError {
    fn as_db_error(&self) -> Option<&diesel::result::Error> {
        match self {
            StoreError::Database(e) => e.as_db_error(),
            _ => None,
        }
    }
}

/// Gives an operation's error type the conversions from the machinery's errors, and lets
/// the transaction retry see a busy database inside it. Each such type has the variants
/// `Denied(Denied)` and `Store(StoreError)`.
macro_rules! operation_error {
    ($name:ident) => {
        impl From<$crate::app::StoreError> for $name {
            fn from(e: $crate::app::StoreError) -> Self {
                $name::Store(e)
            }
        }
        impl From<$crate::app::Denied> for $name {
            fn from(e: $crate::app::Denied) -> Self {
                $name::Denied(e)
            }
        }
        impl From<diesel::result::Error> for $name {
            fn from(e: diesel::result::Error) -> Self {
                $name::Store(e.into())
            }
        }
        impl From<$crate::db::Error> for $name {
            fn from(e: $crate::db::Error) -> Self {
                $name::Store(e.into())
            }
        }
        impl From<$crate::db::Corrupt> for $name {
            fn from(e: $crate::db::Corrupt) -> Self {
                $name::Store(e.into())
            }
        }
        impl From<$crate::mail::QueueError> for $name {
            fn from(e: $crate::mail::QueueError) -> Self {
                $name::Store(e.into())
            }
        }
        impl From<diesel::r2d2::PoolError> for $name {
            fn from(e: diesel::r2d2::PoolError) -> Self {
                $name::Store(e.into())
            }
        }
        impl From<$crate::password::HashError> for $name {
            fn from(e: $crate::password::HashError) -> Self {
                $name::Store(e.into())
            }
        }
        impl From<tokio::task::JoinError> for $name {
            fn from(e: tokio::task::JoinError) -> Self {
                $name::Store(e.into())
            }
        }
        impl $crate::db::AsDbError for $name {
            fn as_db_error(&self) -> Option<&diesel::result::Error> {
                match self {
                    $name::Store(e) => e.as_db_error(),
                    _ => None,
                }
            }
        }
    };
}
pub(crate) use operation_error;

/// Lets an operation's error take a failed read (refusal or machinery) as it is.
macro_rules! from_read_error {
    ($name:ident) => {
        impl From<$crate::app::ReadError> for $name {
            fn from(e: $crate::app::ReadError) -> Self {
                match e {
                    $crate::app::ReadError::Denied(d) => $name::Denied(d),
                    $crate::app::ReadError::Store(s) => $name::Store(s),
                }
            }
        }
    };
}
pub(crate) use from_read_error;

/// An error of a read that can only be refused or fail (pages, downloads).
#[derive(Debug, thiserror::Error)]
pub enum ReadError {
    #[error(transparent)]
    Denied(Denied),
    #[error(transparent)]
    Store(StoreError),
}
operation_error!(ReadError);

/// Runs an operation on a pooled connection off the async workers (database calls block).
pub async fn run<T, E, F>(pool: &Pool, work: F) -> Result<T, E>
where
    T: Send + 'static,
    E: From<diesel::r2d2::PoolError> + From<tokio::task::JoinError> + Send + 'static,
    F: FnOnce(&mut DbConnection) -> Result<T, E> + Send + 'static,
{
    // No more tasks go to the blocking threads than there are connections: the others
    // wait here, without a thread, instead of each parking a thread on the pool's lock.
    static SLOTS: std::sync::OnceLock<tokio::sync::Semaphore> = std::sync::OnceLock::new();
    let slots = SLOTS.get_or_init(|| tokio::sync::Semaphore::new(pool.max_size() as usize));
    let _slot = slots.acquire().await;
    let pool = pool.clone();
    tokio::task::spawn_blocking(move || {
        let mut conn = pool.get()?;
        work(&mut conn)
    })
    .await?
}

/// Appends one entry to the audit log.
pub(crate) fn record(
    conn: &mut DbConnection,
    ctx: &Ctx,
    actor: Option<UserId>,
    action: crate::domain::audit::AuditAction,
    lot: Option<LotId>,
    entity: (&str, impl Into<i64>),
    details: &str,
) -> Result<(), diesel::result::Error> {
    db::audit::append(
        conn,
        &db::audit::NewAuditEntry {
            at: ctx.now.naive_utc(),
            actor_id: actor,
            action: action.as_str(),
            lot_id: lot,
            entity: entity.0,
            entity_id: Some(entity.1.into()),
            details,
        },
    )
}

/// Is the database answering (for `/healthz`)?
pub async fn healthy(pool: &Pool) -> bool {
    run(pool, |conn| Ok::<_, ReadError>(db::ping(conn)))
        .await
        .unwrap_or(false)
}
