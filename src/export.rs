//! CSV files as spreadsheets in German offices read them: UTF-8 with BOM (so the encoding is
//! detected), `;` separated, decimal comma, fields quoted where needed and formulas
//! neutralised. Used by downloads and email attachments alike.

use crate::db::audit::AuditEntry;
use crate::db::award::ResultLine;
use crate::domain::ids::UserId;
use crate::domain::money::{Money, UnitPrice};

/// A CSV file being written.
pub struct Csv(String);

impl Csv {
    pub fn new(header: &[&str]) -> Self {
        let mut csv = Csv("\u{feff}".to_string());
        csv.row(header.iter().map(|h| h.to_string()));
        csv
    }

    pub fn row(&mut self, fields: impl IntoIterator<Item = String>) {
        let line: Vec<String> = fields
            .into_iter()
            .map(|f| {
                let f = if is_formula(&f) { format!("'{f}") } else { f };
                if f.contains([';', '"', '\n', '\r']) {
                    format!("\"{}\"", f.replace('"', "\"\""))
                } else {
                    f
                }
            })
            .collect();
        self.0.push_str(&line.join(";"));
        self.0.push_str("\r\n");
    }

    pub fn into_string(self) -> String {
        self.0
    }

    /// How much is written and not yet taken.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Takes what is written so far (to send it on while more rows follow).
    pub fn take(&mut self) -> String {
        std::mem::take(&mut self.0)
    }
}

/// Would a spreadsheet read this field as a formula? Anything starting with `=`, `+`, `-`,
/// `@`, a tab or a carriage return is, whatever follows — except a plain negative number
/// such as `-12,50`, which is data.
fn is_formula(field: &str) -> bool {
    if let Some(rest) = field.strip_prefix('-') {
        let (whole, fraction) = rest.split_once(',').unwrap_or((rest, "0"));
        let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
        return !(digits(whole) && digits(fraction));
    }
    field.starts_with(['=', '+', '@', '\t', '\r'])
}

/// An amount as `1234,56` (no grouping, so spreadsheets read a number).
pub fn money(amount: Option<Money>) -> String {
    amount.map_or_else(String::new, |m| m.to_string().replace('.', ","))
}

pub fn price(price: Option<UnitPrice>) -> String {
    price.map_or_else(String::new, |p| p.to_string().replace('.', ","))
}

/// The priced lines of a lot with their delivery details (German column names, as the
/// procurement record is kept).
pub fn result_lines(rows: &[ResultLine]) -> String {
    let mut csv = result_header();
    for r in rows {
        result_row(&mut csv, r);
    }
    csv.into_string()
}

/// The header of [`result_lines`], for writing the rows one at a time.
pub fn result_header() -> Csv {
    Csv::new(&[
        "Mitglied",
        "Lieferort",
        "Anschrift",
        "Referenz",
        "Bestellposition",
        "Status",
        "Menge",
        "Stückpreis netto",
        "Netto",
        "USt",
        "Brutto",
    ])
}

/// One row of [`result_lines`].
pub fn result_row(csv: &mut Csv, r: &ResultLine) {
    csv.row([
        r.member.clone(),
        r.site.clone(),
        r.address.clone(),
        r.reference.clone(),
        r.result.order_line_id.to_string(),
        r.result.status.as_str().to_string(),
        r.result.quantity.to_string(),
        price(r.result.price.map(|p| p.unit_price)),
        money(r.result.price.map(|p| p.net)),
        money(r.result.price.map(|p| p.vat)),
        money(r.result.price.map(|p| p.gross)),
    ]);
}

/// The audit log of a lot, oldest entry first; `actor` names who acted.
pub fn audit_log(entries: &[AuditEntry], actor: impl Fn(Option<UserId>) -> String) -> String {
    let mut csv = Csv::new(&[
        "Zeitpunkt (UTC)",
        "Wer",
        "Aktion",
        "Objekt",
        "Objekt-ID",
        "Details",
    ]);
    for e in entries.iter().rev() {
        csv.row([
            e.at.format("%Y-%m-%d %H:%M:%S").to_string(),
            actor(e.actor_id),
            e.action.clone(),
            e.entity.clone(),
            e.entity_id.map(|i| i.to_string()).unwrap_or_default(),
            e.details.clone(),
        ]);
    }
    csv.into_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn written(field: &str) -> String {
        let mut csv = Csv(String::new());
        csv.row([field.to_string()]);
        csv.into_string().trim_end_matches("\r\n").to_string()
    }

    #[test]
    fn every_field_a_spreadsheet_would_evaluate_is_neutralised() {
        for formula in [
            "=1+1",
            "+1",
            "@SUM(A1)",
            "-1+1",
            "-1,5+HYPERLINK(\"http://x\")",
            "-A1",
            "-",
            "\t=1",
            "\r=1",
        ] {
            let out = written(formula);
            let inner = out.trim_start_matches('"');
            assert!(inner.starts_with('\''), "{formula:?} written as {out:?}");
        }
        for data in ["-12,50", "-3", "12,50", "Schule Nord", ""] {
            assert_eq!(written(data), data);
        }
    }
}
