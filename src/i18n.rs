//! The translation catalogue (German default, English) and the formats people read:
//! money as `1.234,56 €`, times in Europe/Berlin.

use crate::domain::account::Language;
use crate::domain::lot::FieldError;
use crate::domain::money::{
    format_quantity_de, format_quantity_en, format_unit_price_de, format_unit_price_en, Money,
    UnitPrice,
};
use crate::domain::pricing::{IneligibleReason, LineStatus};
use chrono::format::{Item, StrftimeItems};
use chrono::{DateTime, NaiveDateTime, TimeZone, Utc};
use chrono_tz::Europe::Berlin;
use rustc_hash::FxHashMap;
use std::sync::LazyLock;

/// Looked up many times on every page: a fast hash (the keys are our own, not a visitor's).
type Catalogue = FxHashMap<String, String>;

fn load(source: &str) -> Catalogue {
    // The catalogues are part of the binary and checked by tests; an unreadable one would
    // show keys instead of text rather than stop the server.
    serde_json::from_str(source).unwrap_or_default()
}

static DE: LazyLock<Catalogue> = LazyLock::new(|| load(include_str!("../locales/de.json")));
static EN: LazyLock<Catalogue> = LazyLock::new(|| load(include_str!("../locales/en.json")));

/// Translates and formats for one language.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Tr(pub Language);

impl Tr {
    pub fn lang(&self) -> &'static str {
        self.0.as_str()
    }

    /// The text for a key; the key itself where the catalogue lacks it.
    pub fn t<'a>(&self, key: &'a str) -> &'a str {
        let catalogue: &'static Catalogue = match self.0 {
            Language::De => &DE,
            Language::En => &EN,
        };
        catalogue.get(key).map(String::as_str).unwrap_or(key)
    }

    /// The text for a key with `{name}` placeholders filled in.
    ///
    /// Each placeholder is filled in one pass over the text; a value is never read for
    /// placeholders, and an unknown `{name}` stays as it is.
    pub fn f(&self, key: &str, args: &[(&str, String)]) -> String {
        let template = self.t(key);
        let mut text = String::with_capacity(template.len() + 16);
        let mut rest = template;
        while let Some(open) = rest.find('{') {
            text.push_str(&rest[..open]);
            let after = &rest[open + 1..];
            let value = after.find('}').and_then(|close| {
                let name = &after[..close];
                let (_, value) = args.iter().find(|(n, _)| *n == name)?;
                Some((value, close))
            });
            match value {
                Some((value, close)) => {
                    text.push_str(value);
                    rest = &after[close + 1..];
                }
                None => {
                    text.push('{');
                    rest = after;
                }
            }
        }
        text.push_str(rest);
        text
    }

    pub fn field_error(&self, error: &FieldError) -> String {
        self.f(error.key, &error.args)
    }

    /// Why a quote cannot be awarded, in words.
    pub fn ineligible(&self, reason: IneligibleReason) -> &'static str {
        match reason {
            IneligibleReason::BelowFirstTier => self.t("ineligible.below_first_tier"),
            IneligibleReason::OverCapacity => self.t("ineligible.over_capacity"),
        }
    }

    /// What became of an order line, in words.
    pub fn line_status(&self, status: LineStatus) -> &'static str {
        match status {
            LineStatus::Accepted => self.t("line_status.accepted"),
            LineStatus::OverLimit => self.t("line_status.over_limit"),
            LineStatus::LotFailed => self.t("line_status.lot_failed"),
        }
    }

    pub fn money(&self, amount: Money) -> String {
        match self.0 {
            Language::De => amount.format_de(),
            Language::En => amount.format_en(),
        }
    }

    /// An amount, or a dash where there is none.
    pub fn money_or_dash(&self, amount: Option<Money>) -> String {
        amount.map_or_else(|| "–".to_string(), |m| self.money(m))
    }

    pub fn price(&self, price: UnitPrice) -> String {
        match self.0 {
            Language::De => format_unit_price_de(price),
            Language::En => format_unit_price_en(price),
        }
    }

    pub fn quantity(&self, quantity: u64) -> String {
        match self.0 {
            Language::De => format_quantity_de(quantity),
            Language::En => format_quantity_en(quantity),
        }
    }

    /// A stored UTC time as people in Germany read it.
    /// A stored UTC time as people in Germany read it: to the minute, or to the second when
    /// the stored time has seconds (a deadline shows exactly what is stored).
    pub fn datetime(&self, utc: NaiveDateTime) -> String {
        use chrono::Timelike;
        let local = Berlin.from_utc_datetime(&utc);
        let seconds = utc.second() != 0;
        static FORMATS: LazyLock<[Vec<Item<'static>>; 4]> = LazyLock::new(|| {
            [
                "%d.%m.%Y, %H:%M Uhr",
                "%d.%m.%Y, %H:%M:%S Uhr",
                "%d %b %Y, %H:%M (%Z)",
                "%d %b %Y, %H:%M:%S (%Z)",
            ]
            .map(items)
        });
        let format = match (self.0, seconds) {
            (Language::De, false) => &FORMATS[0],
            (Language::De, true) => &FORMATS[1],
            (Language::En, false) => &FORMATS[2],
            (Language::En, true) => &FORMATS[3],
        };
        local.format_with_items(format.iter()).to_string()
    }

    /// The time left until a deadline less than two weeks ahead ("noch 2 Tage, 4 Stunden");
    /// nothing for one further ahead or past.
    pub fn time_left(
        &self,
        now: chrono::DateTime<chrono::Utc>,
        deadline: NaiveDateTime,
    ) -> Option<String> {
        let left = deadline.and_utc() - now;
        if left <= chrono::Duration::zero() || left >= chrono::Duration::days(14) {
            return None;
        }
        let (days, hours, minutes) = (
            left.num_days(),
            left.num_hours() % 24,
            left.num_minutes() % 60,
        );
        let unit = |n: i64, one: &str, many: &str| -> String {
            let key = if n == 1 { one } else { many };
            self.f(key, &[("n", n.to_string())])
        };
        let text = if days > 0 {
            format!(
                "{}, {}",
                unit(days, "time.day", "time.days"),
                unit(hours, "time.hour", "time.hours")
            )
        } else if hours > 0 {
            format!(
                "{}, {}",
                unit(hours, "time.hour", "time.hours"),
                unit(minutes, "time.minute", "time.minutes")
            )
        } else {
            unit(minutes.max(1), "time.minute", "time.minutes")
        };
        Some(self.f("time.left", &[("time", text)]))
    }
}

/// A format read once: chrono otherwise reads the format string anew on every use.
fn items(format: &'static str) -> Vec<Item<'static>> {
    StrftimeItems::new(format).collect()
}

/// A stored UTC time's date in Europe/Berlin, as people read it.
pub fn date(tr: Tr, utc: NaiveDateTime) -> String {
    static FORMATS: LazyLock<[Vec<Item<'static>>; 2]> =
        LazyLock::new(|| ["%d.%m.%Y", "%d %B %Y"].map(items));
    let format = match tr.0 {
        Language::De => &FORMATS[0],
        Language::En => &FORMATS[1],
    };
    Berlin
        .from_utc_datetime(&utc)
        .format_with_items(format.iter())
        .to_string()
}

/// The value of a `datetime-local` field for a stored UTC time (shown in Europe/Berlin).
pub fn datetime_input_value(utc: NaiveDateTime) -> String {
    Berlin
        .from_utc_datetime(&utc)
        .format("%Y-%m-%dT%H:%M")
        .to_string()
}

/// Reads a `datetime-local` field, meant in Europe/Berlin, as UTC. Times that do not exist
/// (the hour skipped in spring) are refused; an hour that repeats in autumn takes the first.
pub fn parse_datetime_input(text: &str) -> Option<DateTime<Utc>> {
    let text = text.trim();
    let naive = NaiveDateTime::parse_from_str(text, "%Y-%m-%dT%H:%M")
        .or_else(|_| NaiveDateTime::parse_from_str(text, "%Y-%m-%dT%H:%M:%S"))
        .ok()?;
    Berlin
        .from_local_datetime(&naive)
        .earliest()
        .map(|t| t.with_timezone(&Utc))
}

/// Every key of a catalogue, for the tests that keep both languages complete.
pub fn keys(language: Language) -> Vec<&'static str> {
    let catalogue: &'static Catalogue = match language {
        Language::De => &DE,
        Language::En => &EN,
    };
    let mut keys: Vec<&'static str> = catalogue.keys().map(String::as_str).collect();
    keys.sort_unstable();
    keys
}

#[cfg(test)]
mod tests {

    #[test]
    fn deadlines_show_what_is_stored_and_the_time_left_near_them() {
        let at = |text: &str| {
            NaiveDateTime::parse_from_str(text, "%Y-%m-%d %H:%M:%S").unwrap_or_default()
        };
        let de = Tr(Language::De);
        // 10:00:00 UTC is 12:00 in Berlin in summer; seconds only where stored.
        assert_eq!(
            de.datetime(at("2026-06-10 10:00:00")),
            "10.06.2026, 12:00 Uhr"
        );
        assert_eq!(
            de.datetime(at("2026-06-10 10:00:30")),
            "10.06.2026, 12:00:30 Uhr"
        );
        let now = at("2026-06-08 06:00:00").and_utc();
        assert_eq!(
            de.time_left(now, at("2026-06-10 10:00:00")).as_deref(),
            Some("noch 2 Tage, 4 Stunden")
        );
        assert_eq!(
            de.time_left(now, at("2026-06-08 07:01:00")).as_deref(),
            Some("noch 1 Stunde, 1 Minute")
        );
        assert_eq!(
            Tr(Language::En)
                .time_left(now, at("2026-06-08 06:00:20"))
                .as_deref(),
            Some("1 minute left")
        );
        assert_eq!(de.time_left(now, at("2026-06-08 05:00:00")), None, "past");
        assert_eq!(
            de.time_left(now, at("2026-07-08 05:00:00")),
            None,
            "far ahead"
        );
    }

    use super::*;

    #[test]
    fn placeholders_are_filled_once_each_and_values_are_not_read_again() {
        let de = Tr(Language::De);
        let text = de.f(
            "progress.next_tier",
            &[
                ("missing", "{unit}".to_string()),
                ("unit", "Stück".to_string()),
                ("min", "1.000".to_string()),
                ("price", "{}".to_string()),
            ],
        );
        assert!(text.contains("{unit}"), "a value stays as it is: {text}");
        assert!(text.contains("Stück") && text.contains("1.000"), "{text}");
        assert!(
            !text.contains("{min}") && !text.contains("{missing}"),
            "{text}"
        );
        // A key the catalogue lacks is shown with its braces; a missing value leaves the
        // placeholder, and an unclosed brace is text.
        assert_eq!(de.f("x.{n} {m} {", &[("n", "ü".into())]), "x.ü {m} {");
        assert_eq!(de.f("{n}{n}", &[("n", "1".into())]), "11");
    }

    #[test]
    fn both_catalogues_have_the_same_keys_and_are_not_empty() {
        let de = keys(Language::De);
        assert!(de.len() > 50, "the German catalogue did not load");
        assert_eq!(de, keys(Language::En));
    }

    #[test]
    fn every_key_used_in_templates_and_code_exists() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
        let mut sources = Vec::new();
        for dir in ["templates", "src"] {
            let mut stack = vec![root.join(dir)];
            while let Some(path) = stack.pop() {
                if path.is_dir() {
                    for entry in std::fs::read_dir(&path).into_iter().flatten().flatten() {
                        stack.push(entry.path());
                    }
                } else if let Ok(text) = std::fs::read_to_string(&path) {
                    sources.push((path, text));
                }
            }
        }
        let de = keys(Language::De);
        let mut missing = Vec::new();
        for (path, text) in &sources {
            for marker in [".t(\"", ".f(\"", "FieldError::new(\"", "flash_key = \""] {
                for part in text.split(marker).skip(1) {
                    let mut key = part.split('"').next().unwrap_or_default();
                    if marker.starts_with("FieldError") {
                        // FieldError::new("field", "key")
                        key = part.split('"').nth(2).unwrap_or_default();
                    }
                    if key.contains('.') && !key.contains(' ') && !de.contains(&key) {
                        missing.push(format!("{}: {key}", path.display()));
                    }
                }
            }
        }
        assert!(
            missing.is_empty(),
            "keys missing from the catalogue: {missing:#?}"
        );
    }

    #[test]
    fn times_are_shown_in_berlin() {
        let utc =
            NaiveDateTime::parse_from_str("2026-07-01T10:00", "%Y-%m-%dT%H:%M").unwrap_or_default();
        assert_eq!(Tr(Language::De).datetime(utc), "01.07.2026, 12:00 Uhr");
        assert_eq!(datetime_input_value(utc), "2026-07-01T12:00");
        assert_eq!(
            parse_datetime_input("2026-07-01T12:00").map(|t| t.naive_utc()),
            Some(utc)
        );
        assert_eq!(parse_datetime_input("2026-03-29T02:30"), None);
        assert_eq!(parse_datetime_input("gestern"), None);
    }
}
