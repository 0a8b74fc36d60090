//! A supplier's quote as entered: tier table from a form or from CSV text, capacity, lead
//! time, validity; and its canonical form, whose SHA-256 digest the receipt shows.

use super::lot::{parse_price_input, parse_quantity, FieldError};
use super::pricing::{PricingMode, Tier, TierTable, MAX_LOT_QUANTITY};
use crate::domain::ids::{LotId, SupplierId};
use chrono::{DateTime, NaiveDate, Utc};
use sha2::{Digest, Sha256};

/// A quote's contents, checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QuoteInput {
    pub pricing: PricingMode,
    pub tiers: TierTable,
    pub max_quantity: Option<u64>,
    pub lead_time_days: u64,
    pub valid_until: NaiveDate,
    pub comment: String,
}

/// The quote form's raw text.
pub struct QuoteForm<'a> {
    pub pricing: &'a str,
    /// (min quantity, unit price) rows; empty rows are skipped.
    pub rows: Vec<(&'a str, &'a str)>,
    /// `min_quantity;unit_price` lines pasted into the form.
    pub csv: &'a str,
    /// The same, from an uploaded file. Tiers come from exactly one of the rows, the
    /// pasted text and the file.
    pub file: &'a str,
    pub max_quantity: &'a str,
    pub lead_time_days: &'a str,
    pub valid_until: &'a str,
    pub comment: &'a str,
}

fn tier_from(min: &str, price: &str) -> Result<Tier, &'static str> {
    let min_quantity = match parse_quantity(min) {
        Some(n) if (1..=MAX_LOT_QUANTITY as i64).contains(&n) => n as u64,
        _ => return Err("error.tier_quantity"),
    };
    let unit_price = parse_price_input(price).map_err(|e| match e {
        super::money::DecimalError::TooManyDecimals => "error.price_decimals",
        super::money::DecimalError::NotPositive => "error.price_positive",
        super::money::DecimalError::TooLarge => "error.price_too_large",
        _ => "error.price_not_number",
    })?;
    Ok(Tier {
        min_quantity,
        unit_price,
    })
}

/// Reads `min_quantity;unit_price` lines (a header line and blank lines are skipped).
pub fn parse_tier_csv(text: &str) -> Result<Vec<Tier>, FieldError> {
    let mut tiers = Vec::new();
    for (index, line) in text.lines().enumerate() {
        let number = index + 1;
        let line = line.trim().trim_start_matches('\u{feff}');
        if line.is_empty() {
            continue;
        }
        let fields: Vec<&str> = line.split(';').map(str::trim).collect();
        if fields.len() != 2 {
            return Err(
                FieldError::new("csv", "error.csv_columns").with("line", number.to_string())
            );
        }
        if index == 0 && parse_quantity(fields[0]).is_none() {
            continue; // a header such as "min_quantity;unit_price"
        }
        let tier = tier_from(fields[0], fields[1]).map_err(|key| {
            FieldError::new("csv", "error.csv_line")
                .with("line", number.to_string())
                .with("problem", key)
        })?;
        tiers.push(tier);
    }
    Ok(tiers)
}

impl QuoteInput {
    pub fn parse(form: &QuoteForm<'_>) -> Result<Self, Vec<FieldError>> {
        let mut errors = Vec::new();
        let pricing = PricingMode::parse(form.pricing);
        if pricing.is_none() {
            errors.push(FieldError::new("pricing", "error.pricing"));
        }
        let filled_rows = form
            .rows
            .iter()
            .any(|(min, price)| !min.trim().is_empty() || !price.trim().is_empty());
        let given = [
            filled_rows,
            !form.csv.trim().is_empty(),
            !form.file.trim().is_empty(),
        ];
        if given.iter().filter(|g| **g).count() > 1 {
            errors.push(FieldError::new("csv", "error.tiers_twice"));
        }
        let csv = if form.file.trim().is_empty() {
            form.csv
        } else {
            form.file
        };
        let tiers: Vec<Tier> = if csv.trim().is_empty() {
            let mut tiers = Vec::new();
            for (min, price) in &form.rows {
                if min.trim().is_empty() && price.trim().is_empty() {
                    continue;
                }
                match tier_from(min, price) {
                    Ok(t) => tiers.push(t),
                    Err(key) => errors.push(FieldError::new("tiers", key)),
                }
            }
            tiers
        } else {
            parse_tier_csv(csv).unwrap_or_else(|e| {
                errors.push(e);
                Vec::new()
            })
        };
        let table = if errors
            .iter()
            .any(|e| e.field == "tiers" || e.field == "csv")
        {
            None
        } else if tiers.is_empty() {
            errors.push(FieldError::new("tiers", "error.tiers_missing"));
            None
        } else {
            match TierTable::new(tiers) {
                Ok(t) => Some(t),
                Err(e) => {
                    let key = if e.path.ends_with("unit_price") {
                        "error.tiers_rising"
                    } else if e.path.ends_with("min_quantity") {
                        "error.tiers_order"
                    } else {
                        "error.tiers_missing"
                    };
                    errors.push(FieldError::new("tiers", key));
                    None
                }
            }
        };
        let max_quantity = if form.max_quantity.trim().is_empty() {
            None
        } else {
            match parse_quantity(form.max_quantity) {
                Some(n) if (1..=MAX_LOT_QUANTITY as i64).contains(&n) => Some(n as u64),
                _ => {
                    errors.push(
                        FieldError::new("max_quantity", "error.quantity_range")
                            .with("min", "1")
                            .with("max", MAX_LOT_QUANTITY.to_string()),
                    );
                    None
                }
            }
        };
        let lead_time_days = match parse_quantity(form.lead_time_days) {
            Some(n) if (0..=365).contains(&n) => n as u64,
            _ => {
                errors.push(
                    FieldError::new("lead_time_days", "error.quantity_range")
                        .with("min", "0")
                        .with("max", "365"),
                );
                0
            }
        };
        let valid_until = NaiveDate::parse_from_str(form.valid_until.trim(), "%Y-%m-%d").ok();
        if valid_until.is_none() {
            errors.push(FieldError::new("valid_until", "error.date"));
        }
        let comment = form.comment.trim().to_string();
        if comment.chars().count() > 2000 {
            errors.push(FieldError::new("comment", "error.too_long"));
        }
        match (errors.is_empty(), pricing, table, valid_until) {
            (true, Some(pricing), Some(tiers), Some(valid_until)) => Ok(QuoteInput {
                pricing,
                tiers,
                max_quantity,
                lead_time_days,
                valid_until,
                comment,
            }),
            _ => Err(errors),
        }
    }

    /// The quote as submitted, written out the same way every time: what the digest covers.
    pub fn canonical(
        &self,
        lot: LotId,
        supplier: SupplierId,
        revision: i64,
        submitted_at: DateTime<Utc>,
    ) -> String {
        let mut text = format!(
            "sammelkauf-quote-v1\nlot={lot}\nsupplier={supplier}\nrevision={revision}\nsubmitted_at={}\npricing={}\nmax_quantity={}\nlead_time_days={}\nvalid_until={}\ncomment={}\n",
            submitted_at.format("%Y-%m-%dT%H:%M:%SZ"),
            self.pricing.as_str(),
            self.max_quantity.map_or_else(|| "-".to_string(), |m| m.to_string()),
            self.lead_time_days,
            self.valid_until.format("%Y-%m-%d"),
            serde_json::to_string(&self.comment).unwrap_or_default(),
        );
        for tier in self.tiers.tiers() {
            text.push_str(&format!("tier={};{}\n", tier.min_quantity, tier.unit_price));
        }
        text
    }
}

/// SHA-256 of a text, as lowercase hex.
pub fn sha256_hex(text: &str) -> String {
    hex::encode(Sha256::digest(text.as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn form<'a>(rows: Vec<(&'a str, &'a str)>, csv: &'a str) -> QuoteForm<'a> {
        QuoteForm {
            pricing: "graduated",
            rows,
            csv,
            file: "",
            max_quantity: "",
            lead_time_days: "14",
            valid_until: "2026-12-31",
            comment: "",
        }
    }

    #[test]
    fn tiers_come_from_exactly_one_of_table_text_and_file() {
        let twice = keys(QuoteInput::parse(&form(vec![("1", "10")], "1;9")));
        assert_eq!(twice, vec!["error.tiers_twice[]".to_string()]);
        let mut from_file = form(vec![("", "")], "1;9");
        from_file.file = "1;8";
        assert_eq!(
            keys(QuoteInput::parse(&from_file)),
            vec!["error.tiers_twice[]".to_string()]
        );
        from_file.csv = "";
        assert!(QuoteInput::parse(&from_file).is_ok());
        assert!(QuoteInput::parse(&form(vec![("", "")], "1;9")).is_ok());
    }

    fn keys(r: Result<QuoteInput, Vec<FieldError>>) -> Vec<String> {
        r.err()
            .map(|e| e.iter().map(|f| format!("{}{:?}", f.key, f.args)).collect())
            .unwrap_or_default()
    }

    #[test]
    fn rising_prices_unordered_tiers_and_bad_csv_are_refused() {
        assert_eq!(
            keys(QuoteInput::parse(&form(vec![("1", "10"), ("5", "11")], ""))),
            vec!["error.tiers_rising[]"]
        );
        assert_eq!(
            keys(QuoteInput::parse(&form(vec![("5", "10"), ("1", "9")], ""))),
            vec!["error.tiers_order[]"]
        );
        assert_eq!(
            keys(QuoteInput::parse(&form(
                vec![],
                "min_quantity;unit_price\n1;10\n5;abc\n"
            ))),
            vec!["error.csv_line[(\"line\", \"3\"), (\"problem\", \"error.price_not_number\")]"]
        );
        assert_eq!(
            keys(QuoteInput::parse(&form(vec![], "1;10;3\n"))),
            vec!["error.csv_columns[(\"line\", \"1\")]"]
        );
        assert_eq!(
            keys(QuoteInput::parse(&form(vec![("1", "10,00001")], ""))),
            vec!["error.price_decimals[]"]
        );
    }

    #[test]
    fn csv_tiers_are_read_and_the_digest_is_stable() {
        let q = QuoteInput::parse(&form(vec![("", "")], "1;100,00\n100;90\n")).expect("valid");
        assert_eq!(q.tiers.tiers().len(), 2);
        let at = DateTime::parse_from_rfc3339("2026-05-01T10:00:00Z")
            .expect("time")
            .with_timezone(&Utc);
        let text = q.canonical(LotId(7), SupplierId(3), 2, at);
        assert!(text.contains("tier=100;90.0000\n"));
        assert_eq!(
            sha256_hex(&text),
            sha256_hex(&q.canonical(LotId(7), SupplierId(3), 2, at))
        );
        assert_ne!(
            sha256_hex(&text),
            sha256_hex(&q.canonical(LotId(7), SupplierId(3), 3, at))
        );
    }
}
