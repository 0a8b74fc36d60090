//! A supplier's quote form on a lot's page, with the values as typed and their messages.

use crate::domain::quote::QuoteForm;
use crate::web::admin::{Fields, TierRow};

/// The quote form's values as typed, and its messages.
#[derive(Default, Clone)]
pub struct QuoteFormView {
    pub pricing: String,
    pub rows: Vec<TierRow>,
    pub csv: String,
    pub file: String,
    pub max_quantity: String,
    pub lead_time_days: String,
    pub valid_until: String,
    pub comment: String,
    pub errors: Vec<String>,
}

/// Rows offered for tiers in the quote form.
pub const QUOTE_TIER_ROWS: usize = 10;

impl QuoteFormView {
    pub fn empty() -> Self {
        QuoteFormView {
            pricing: "all_units".into(),
            rows: vec![TierRow::default(); QUOTE_TIER_ROWS],
            lead_time_days: "14".into(),
            ..Default::default()
        }
    }

    pub(crate) fn from_fields(fields: &Fields) -> Self {
        QuoteFormView {
            pricing: fields.get("pricing").into(),
            rows: TierRow::from_fields(fields, QUOTE_TIER_ROWS),
            csv: fields.get("csv").into(),
            file: fields.get("csv_file").into(),
            max_quantity: fields.get("max_quantity").into(),
            lead_time_days: fields.get("lead_time_days").into(),
            valid_until: fields.get("valid_until").into(),
            comment: fields.get("comment").into(),
            errors: Vec::new(),
        }
    }

    pub(crate) fn form(&self) -> QuoteForm<'_> {
        QuoteForm {
            pricing: &self.pricing,
            rows: TierRow::as_pairs(&self.rows),
            csv: &self.csv,
            file: &self.file,
            max_quantity: &self.max_quantity,
            lead_time_days: &self.lead_time_days,
            valid_until: &self.valid_until,
            comment: &self.comment,
        }
    }
}
