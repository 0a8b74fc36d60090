//! The typed ids of `domain::ids` as the integers they are in both databases.

use crate::domain::ids::{CallOffId, LineId, LotId, MemberId, QuoteId, SiteId, SupplierId, UserId};
use diesel::backend::Backend;
use diesel::deserialize::{self, FromSql};
use diesel::serialize::{self, Output, ToSql};
use diesel::sql_types::BigInt;

macro_rules! stored_as_bigint {
    ($($name:ident),*) => {$(
        impl<DB: Backend> ToSql<BigInt, DB> for $name
        where
            i64: ToSql<BigInt, DB>,
        {
            fn to_sql<'b>(&'b self, out: &mut Output<'b, '_, DB>) -> serialize::Result {
                <i64 as ToSql<BigInt, DB>>::to_sql(&self.0, out)
            }
        }

        impl<DB: Backend> FromSql<BigInt, DB> for $name
        where
            i64: FromSql<BigInt, DB>,
        {
            fn from_sql(bytes: DB::RawValue<'_>) -> deserialize::Result<Self> {
                <i64 as FromSql<BigInt, DB>>::from_sql(bytes).map($name)
            }
        }
    )*};
}

stored_as_bigint!(CallOffId, LineId, LotId, MemberId, QuoteId, SiteId, SupplierId, UserId);
