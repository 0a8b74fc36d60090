//! Cooperative staff's pages: lots, members and sites, suppliers, accounts, the audit log.

pub mod audit;
pub mod lots;
pub mod orgs;
pub mod outbox;
pub mod users;

/// Reads a form's fields given as a list of pairs (for repeated and numbered fields).
pub struct Fields(pub Vec<(String, String)>);

impl Fields {
    pub fn get(&self, name: &str) -> &str {
        self.0
            .iter()
            .find(|(k, _)| k == name)
            .map_or("", |(_, v)| v.as_str())
    }

    pub fn all(&self, name: &str) -> Vec<&str> {
        self.0
            .iter()
            .filter(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
            .collect()
    }
}

/// One row of a tier table as a form or page shows it: from which quantity, at what price.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TierRow {
    pub from: String,
    pub price: String,
}

impl TierRow {
    pub fn new(from: impl Into<String>, price: impl Into<String>) -> Self {
        TierRow {
            from: from.into(),
            price: price.into(),
        }
    }

    /// The rows of a form's `tier_min` and `tier_price` fields as typed, and empty rows up
    /// to `at_least`.
    pub fn from_fields(fields: &Fields, at_least: usize) -> Vec<TierRow> {
        let mins = fields.all("tier_min");
        let prices = fields.all("tier_price");
        let mut rows: Vec<TierRow> = (0..mins.len().max(prices.len()))
            .map(|i| TierRow::new(*mins.get(i).unwrap_or(&""), *prices.get(i).unwrap_or(&"")))
            .collect();
        rows.resize(rows.len().max(at_least), TierRow::default());
        rows
    }

    /// The rows as the form's parser reads them.
    pub fn as_pairs(rows: &[TierRow]) -> Vec<(&str, &str)> {
        rows.iter()
            .map(|r| (r.from.as_str(), r.price.as_str()))
            .collect()
    }
}
