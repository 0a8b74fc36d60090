//! Timestamps read and written on the paths every page takes. diesel reads a SQLite
//! timestamp (text) by trying its formats one by one with chrono, which reads each format
//! string anew for every value; on the lot page that was the larger part of what reading a
//! row cost. [`DbTime`] reads and writes the format diesel writes with chrono items read
//! once, and leaves anything else to diesel. On PostgreSQL (binary timestamps) it is
//! diesel's `NaiveDateTime` unchanged.
//!
//! Use it where a row is read on every request: `#[diesel(deserialize_as = DbTime)]` on a
//! `NaiveDateTime` field, `DbTime` in a selected tuple, `DbTime(t)` as a bound value.

use super::multi_connection_impl::MultiBackend;
use chrono::format::{parse, Item, Parsed, StrftimeItems};
use chrono::NaiveDateTime;
use diesel::backend::Backend;
use diesel::deserialize::{self, FromSql, FromSqlRow};
use diesel::expression::AsExpression;
use diesel::pg::Pg;
use diesel::serialize::{self, IsNull, Output, ToSql};
use diesel::sql_types::Timestamp;
use diesel::sqlite::Sqlite;
use std::sync::LazyLock;

/// A stored point in time (UTC, without a zone, as every timestamp column here).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, AsExpression, FromSqlRow)]
#[diesel(sql_type = Timestamp)]
pub struct DbTime(pub NaiveDateTime);

impl From<DbTime> for NaiveDateTime {
    fn from(time: DbTime) -> Self {
        time.0
    }
}

/// The format diesel writes a SQLite timestamp in (`2026-12-02 09:30:00`, with as many
/// digits of the second's fraction as it has), and the first it tries when reading.
static FORMAT: LazyLock<Vec<Item<'static>>> =
    LazyLock::new(|| StrftimeItems::new("%F %T%.f").collect());

impl FromSql<Timestamp, Sqlite> for DbTime {
    fn from_sql(mut value: diesel::sqlite::SqliteValue<'_, '_, '_>) -> deserialize::Result<Self> {
        let mut parsed = Parsed::new();
        if parse(&mut parsed, value.read_text(), FORMAT.iter()).is_ok() {
            if let Ok(time) = parsed.to_naive_datetime_with_offset(0) {
                return Ok(DbTime(time));
            }
        }
        // Written by other means (another format, a Julian day): diesel reads it.
        <NaiveDateTime as FromSql<Timestamp, Sqlite>>::from_sql(value).map(DbTime)
    }
}

impl ToSql<Timestamp, Sqlite> for DbTime {
    fn to_sql<'b>(&'b self, out: &mut Output<'b, '_, Sqlite>) -> serialize::Result {
        out.set_value(self.0.format_with_items(FORMAT.iter()).to_string());
        Ok(IsNull::No)
    }
}

impl FromSql<Timestamp, Pg> for DbTime {
    fn from_sql(value: diesel::pg::PgValue<'_>) -> deserialize::Result<Self> {
        <NaiveDateTime as FromSql<Timestamp, Pg>>::from_sql(value).map(DbTime)
    }
}

impl ToSql<Timestamp, Pg> for DbTime {
    fn to_sql<'b>(&'b self, out: &mut Output<'b, '_, Pg>) -> serialize::Result {
        <NaiveDateTime as ToSql<Timestamp, Pg>>::to_sql(&self.0, out)
    }
}

// The connection that is either (queries written once for both databases).
impl FromSql<Timestamp, MultiBackend> for DbTime {
    fn from_sql(value: <MultiBackend as Backend>::RawValue<'_>) -> deserialize::Result<Self> {
        value.from_sql::<DbTime, Timestamp>()
    }
}

impl ToSql<Timestamp, MultiBackend> for DbTime {
    fn to_sql<'b>(&'b self, out: &mut Output<'b, '_, MultiBackend>) -> serialize::Result {
        out.set_value((Timestamp, self));
        Ok(IsNull::No)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use diesel::prelude::*;
    use diesel::sql_types::Text;

    #[derive(QueryableByName)]
    struct Read {
        #[diesel(sql_type = Timestamp)]
        time: DbTime,
    }

    #[derive(QueryableByName)]
    struct Written {
        #[diesel(sql_type = Text)]
        text: String,
    }

    fn at(text: &str) -> NaiveDateTime {
        NaiveDateTime::parse_from_str(text, "%Y-%m-%d %H:%M:%S%.f").expect("a time")
    }

    #[test]
    fn reads_and_writes_what_diesel_reads_and_writes_on_sqlite() {
        let mut conn = SqliteConnection::establish(":memory:").expect("an in-memory database");
        let times = [
            "2026-12-02 09:30:00",
            "2026-12-02 09:30:05.5",
            "1970-01-01 00:00:00",
            "2026-03-29 01:59:59.123",
            "2026-10-25 02:30:00.123456",
            "9999-12-31 23:59:59.999999999",
        ];
        for text in times {
            let time = at(text);
            // Written: the same text as diesel writes, so comparisons in SQL see no change.
            let ours: Written = diesel::sql_query("SELECT CAST(? AS TEXT) AS text")
                .bind::<Timestamp, _>(DbTime(time))
                .get_result(&mut conn)
                .expect("written");
            let diesels: Written = diesel::sql_query("SELECT CAST(? AS TEXT) AS text")
                .bind::<Timestamp, _>(time)
                .get_result(&mut conn)
                .expect("written by diesel");
            assert_eq!(ours.text, diesels.text, "{text}");
            // Read back: the same time.
            let read: Read = diesel::sql_query("SELECT ? AS time")
                .bind::<Text, _>(&diesels.text)
                .get_result(&mut conn)
                .expect("read");
            assert_eq!(read.time.0, time, "{text}");
        }
        // Other forms diesel accepts are read as diesel reads them.
        for (stored, expected) in [
            ("2026-12-02T09:30:00", Some("2026-12-02 09:30:00")),
            ("2026-12-02 09:30", Some("2026-12-02 09:30:00")),
            ("2461376.895833333", None),
        ] {
            let read: Read = diesel::sql_query("SELECT ? AS time")
                .bind::<Text, _>(stored)
                .get_result(&mut conn)
                .expect("read");
            let diesels: NaiveDateTime =
                diesel::select(diesel::dsl::sql::<Timestamp>(&format!("'{stored}'")))
                    .get_result(&mut conn)
                    .expect("read by diesel");
            assert_eq!(read.time.0, diesels, "{stored}");
            if let Some(expected) = expected {
                assert_eq!(read.time.0, at(expected), "{stored}");
            }
        }
        // Text that is no time is an error, as with diesel.
        let bad = diesel::sql_query("SELECT 'gestern' AS time").get_result::<Read>(&mut conn);
        assert!(bad.is_err());
    }
}
