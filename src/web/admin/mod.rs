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
