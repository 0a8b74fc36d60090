//! Typed ids: each stored thing's id is a type of its own, so a member's id can never be
//! passed where a lot's belongs. They are plain integers in the database, in URLs and in
//! forms; `db::ids` teaches diesel to store and read them. The default id is 0, which no
//! stored row has: a form that names no site, say, asks for site 0 and finds none.

use std::fmt;
use std::str::FromStr;

macro_rules! ids {
    ($($(#[$doc:meta])* $name:ident;)*) => {$(
        $(#[$doc])*
        #[derive(
            Debug, Default, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord,
            serde::Serialize, serde::Deserialize,
            diesel::AsExpression, diesel::FromSqlRow,
        )]
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        #[serde(transparent)]
        pub struct $name(pub i64);

        impl $name {
            /// The number as stored.
            pub fn get(self) -> i64 {
                self.0
            }
        }

        impl From<$name> for i64 {
            fn from(id: $name) -> i64 {
                id.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                self.0.fmt(f)
            }
        }

        impl FromStr for $name {
            type Err = std::num::ParseIntError;

            fn from_str(text: &str) -> Result<Self, Self::Err> {
                text.trim().parse().map($name)
            }
        }
    )*};
}

ids! {
    /// A member's call-off from a framework agreement.
    CallOffId;
    /// One order line of a member in a lot.
    LineId;
    /// A procurement lot, framework agreements included.
    LotId;
    /// A member organisation of the cooperative.
    MemberId;
    /// One of a member's delivery sites.
    SiteId;
    /// One revision of a supplier's quote.
    QuoteId;
    /// A supplier company.
    SupplierId;
    /// A person's account: staff, a member's buyer or a supplier's user.
    UserId;
}

/// Something stored, by its id and the name people know it by: a supplier in a list of
/// invitations, a lot in a list of lots. Read from a query's (id, name) columns directly.
#[derive(Debug, Clone, PartialEq, Eq, diesel::Queryable)]
pub struct Named<I> {
    pub id: I,
    pub name: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_id_reads_from_text_shows_as_its_number_and_refuses_anything_else() {
        assert_eq!("42".parse::<QuoteId>(), Ok(QuoteId(42)));
        assert_eq!(QuoteId(42).to_string(), "42");
        assert_eq!(
            serde_json::to_string(&QuoteId(7)).ok().as_deref(),
            Some("7")
        );
        for bad in ["", "4x", "1e3", "99999999999999999999", "\u{0}1"] {
            assert!(bad.parse::<QuoteId>().is_err(), "{bad:?}");
        }
    }
}
