//! Timestamps read and written on the paths every page takes. diesel reads a SQLite
//! timestamp (text) by trying its formats one by one with chrono, which reads each format
//! string anew for every value; on the lot page that was the larger part of what reading a
//! row cost. [`DbTime`] reads the format diesel writes field by field (checked against
//! diesel's own conversion for thousands of times in the tests) and leaves anything else to
//! diesel; it writes that format with chrono items read once. On PostgreSQL (binary
//! timestamps) it is diesel's `NaiveDateTime` unchanged.
//!
//! Use it where a row is read on every request: `#[diesel(deserialize_as = DbTime)]` on a
//! `NaiveDateTime` field, `DbTime` in a selected tuple, `DbTime(t)` as a bound value.

use super::multi_connection_impl::MultiBackend;
use chrono::format::{Item, StrftimeItems};
use chrono::{NaiveDate, NaiveDateTime, NaiveTime};
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
/// digits of the second's fraction as it has), read once.
static FORMAT: LazyLock<Vec<Item<'static>>> =
    LazyLock::new(|| StrftimeItems::new("%F %T%.f").collect());

/// `2026-12-02 09:30:00` with no fraction or one of 1 to 9 digits, the form diesel writes
/// for the years 0 to 9999: read field by field. Anything else is left to diesel.
fn read_written(text: &str) -> Option<NaiveDateTime> {
    let b = text.as_bytes();
    let separators = [(4, b'-'), (7, b'-'), (10, b' '), (13, b':'), (16, b':')];
    if b.len() < 19 || separators.iter().any(|&(i, c)| b[i] != c) {
        return None;
    }
    let number = |digits: &[u8]| {
        digits.iter().try_fold(0u32, |n, &d| {
            d.is_ascii_digit().then(|| n * 10 + u32::from(d - b'0'))
        })
    };
    let nanos = match &b[19..] {
        [] => 0,
        [b'.', digits @ ..] if (1..=9).contains(&digits.len()) => {
            number(digits)? * 10u32.pow(9 - digits.len() as u32)
        }
        _ => return None,
    };
    let year = i32::try_from(number(&b[0..4])?).ok()?;
    let date = NaiveDate::from_ymd_opt(year, number(&b[5..7])?, number(&b[8..10])?)?;
    let time = NaiveTime::from_hms_nano_opt(
        number(&b[11..13])?,
        number(&b[14..16])?,
        number(&b[17..19])?,
        nanos,
    )?;
    Some(date.and_time(time))
}

/// The text diesel writes (`%F %T%.f`: the fraction only where there is one, in 3, 6 or 9
/// digits), with the format's items read once.
fn write(time: NaiveDateTime) -> String {
    time.format_with_items(FORMAT.iter()).to_string()
}

impl FromSql<Timestamp, Sqlite> for DbTime {
    fn from_sql(mut value: diesel::sqlite::SqliteValue<'_, '_, '_>) -> deserialize::Result<Self> {
        if let Some(time) = read_written(value.read_text()) {
            return Ok(DbTime(time));
        }
        // Written by other means (another format, a Julian day, a year past 9999): diesel
        // reads it.
        <NaiveDateTime as FromSql<Timestamp, Sqlite>>::from_sql(value).map(DbTime)
    }
}

impl ToSql<Timestamp, Sqlite> for DbTime {
    fn to_sql<'b>(&'b self, out: &mut Output<'b, '_, Sqlite>) -> serialize::Result {
        out.set_value(write(self.0));
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
    use chrono::Timelike;
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
        // Thousands of times spread over the years 0 to 9999, with each kind of fraction.
        let mut seed: u64 = 0x5eed;
        for i in 0..5_000u32 {
            seed = seed
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            let seconds = (seed >> 20) % (9_999 * 365 * 86_400);
            let nanos = match i % 4 {
                0 => 0,
                1 => (seed % 1_000) as u32 * 1_000_000,
                2 => (seed % 1_000_000) as u32 * 1_000,
                _ => (seed % 1_000_000_000) as u32,
            };
            let Some(time) = NaiveDate::from_ymd_opt(0, 1, 1)
                .and_then(|d| d.and_hms_opt(0, 0, 0))
                .and_then(|t| t.checked_add_signed(chrono::Duration::seconds(seconds as i64)))
                .and_then(|t| t.with_nanosecond(nanos))
            else {
                continue;
            };
            let diesels: Written = diesel::sql_query("SELECT CAST(? AS TEXT) AS text")
                .bind::<Timestamp, _>(time)
                .get_result(&mut conn)
                .expect("written by diesel");
            assert_eq!(write(time), diesels.text);
            assert_eq!(read_written(&diesels.text), Some(time), "{}", diesels.text);
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
