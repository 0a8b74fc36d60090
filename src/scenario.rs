//! The JSON form of a pricing scenario and its result, as read and printed by
//! `sammelkauf price`. It only maps: every rule lives in `domain::pricing`.

use crate::domain::money::{DecimalError, UnitPrice, VatRate};
use crate::domain::pricing::{
    evaluate, Evaluation, InvalidInput, LotTerms, OrderLine, PricingMode, Quote, Scenario, Tier,
    TierTable,
};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

#[derive(Deserialize)]
struct ScenarioJson {
    lot: LotJson,
    #[serde(default)]
    quotes: Vec<QuoteJson>,
    #[serde(default)]
    orders: Vec<OrderJson>,
}

#[derive(Deserialize)]
struct LotJson {
    #[serde(default)]
    min_total_quantity: Option<i64>,
    #[serde(default)]
    order_increment: Option<i64>,
    vat_rate: String,
    #[serde(default)]
    list_unit_price: Option<String>,
}

#[derive(Deserialize)]
struct QuoteJson {
    supplier: String,
    submitted_at: String,
    pricing: String,
    #[serde(default)]
    max_quantity: Option<i64>,
    tiers: Vec<TierJson>,
}

#[derive(Deserialize)]
struct TierJson {
    min_quantity: i64,
    unit_price: String,
}

#[derive(Deserialize)]
struct OrderJson {
    id: String,
    member: String,
    quantity: i64,
    #[serde(default)]
    max_unit_price: Option<String>,
    placed_at: String,
}

/// Reads a JSON document, naming the path of the first thing that does not fit.
pub(crate) fn read_document<T: serde::de::DeserializeOwned>(json: &str) -> Result<T, InvalidInput> {
    let mut deserializer = serde_json::Deserializer::from_str(json);
    let raw: T = serde_path_to_error::deserialize(&mut deserializer).map_err(|e| {
        let path = e.path().to_string();
        let path = if path == "." {
            "input".to_string()
        } else {
            path
        };
        InvalidInput::new(path, e.into_inner().to_string())
    })?;
    deserializer
        .end()
        .map_err(|e| InvalidInput::new("input", e.to_string()))?;
    Ok(raw)
}

/// Parses a scenario document into a validated [`Scenario`].
pub fn parse_scenario(json: &str) -> Result<Scenario, InvalidInput> {
    read_document::<ScenarioJson>(json)?.into_domain()
}

fn price(path: &str, text: &str) -> Result<UnitPrice, InvalidInput> {
    UnitPrice::parse(text).map_err(|e| decimal_error(path, text, e))
}

pub(crate) fn decimal_error(path: &str, text: &str, error: DecimalError) -> InvalidInput {
    InvalidInput::new(path, format!("{text:?} {error}"))
}

pub(crate) fn quantity(path: &str, value: i64, min: i64, max: i64) -> Result<u64, InvalidInput> {
    if value < min || value > max {
        return Err(InvalidInput::new(
            path,
            format!("{value} must be between {min} and {max}"),
        ));
    }
    u64::try_from(value).map_err(|_| InvalidInput::new(path, "must not be negative"))
}

pub(crate) fn timestamp(path: &str, text: &str) -> Result<DateTime<Utc>, InvalidInput> {
    DateTime::parse_from_rfc3339(text)
        .map(|t| t.with_timezone(&Utc))
        .map_err(|e| {
            InvalidInput::new(path, format!("{text:?} is not an RFC 3339 timestamp ({e})"))
        })
}

impl ScenarioJson {
    fn into_domain(self) -> Result<Scenario, InvalidInput> {
        let lot = &self.lot;
        let vat_rate = VatRate::parse(&lot.vat_rate)
            .map_err(|e| decimal_error("lot.vat_rate", &lot.vat_rate, e))?;
        let list_unit_price = lot
            .list_unit_price
            .as_deref()
            .map(|p| price("lot.list_unit_price", p))
            .transpose()?;
        let terms = LotTerms::new(
            quantity(
                "lot.min_total_quantity",
                lot.min_total_quantity.unwrap_or(0),
                0,
                i64::MAX,
            )?,
            quantity(
                "lot.order_increment",
                lot.order_increment.unwrap_or(1),
                1,
                i64::MAX,
            )?,
            vat_rate,
            list_unit_price,
        )
        .map_err(|e| e.within("lot"))?;

        let quotes = self
            .quotes
            .into_iter()
            .enumerate()
            .map(|(i, q)| {
                q.into_domain()
                    .map_err(|e| e.within(&format!("quotes[{i}]")))
            })
            .collect::<Result<Vec<_>, _>>()?;
        let orders = self
            .orders
            .into_iter()
            .enumerate()
            .map(|(i, o)| {
                o.into_domain()
                    .map_err(|e| e.within(&format!("orders[{i}]")))
            })
            .collect::<Result<Vec<_>, _>>()?;
        Scenario::new(terms, quotes, orders)
    }
}

impl QuoteJson {
    fn into_domain(self) -> Result<Quote, InvalidInput> {
        let pricing = PricingMode::parse(&self.pricing).ok_or_else(|| {
            InvalidInput::new(
                "pricing",
                format!(
                    "unknown pricing mode {:?} (expected \"all_units\" or \"graduated\")",
                    self.pricing
                ),
            )
        })?;
        let tiers = self
            .tiers
            .iter()
            .enumerate()
            .map(|(i, t)| {
                Ok(Tier {
                    min_quantity: quantity(
                        &format!("tiers[{i}].min_quantity"),
                        t.min_quantity,
                        1,
                        i64::MAX,
                    )?,
                    unit_price: price(&format!("tiers[{i}].unit_price"), &t.unit_price)?,
                })
            })
            .collect::<Result<Vec<_>, InvalidInput>>()?;
        let tiers = TierTable::new(tiers).map_err(|e| e.within("tiers"))?;
        Ok(Quote {
            submitted_at: timestamp("submitted_at", &self.submitted_at)?,
            supplier: self.supplier,
            pricing,
            max_quantity: self
                .max_quantity
                .map(|m| quantity("max_quantity", m, 0, i64::MAX))
                .transpose()?,
            tiers,
        })
    }
}

impl OrderJson {
    fn into_domain(self) -> Result<OrderLine, InvalidInput> {
        Ok(OrderLine {
            quantity: quantity("quantity", self.quantity, 1, 1_000_000)?,
            max_unit_price: self
                .max_unit_price
                .as_deref()
                .map(|p| price("max_unit_price", p))
                .transpose()?,
            placed_at: timestamp("placed_at", &self.placed_at)?,
            id: self.id,
            member: self.member,
        })
    }
}

#[derive(Serialize)]
struct ResultJson<'a> {
    status: &'static str,
    reason: Option<&'static str>,
    evaluation_quantity: u64,
    ranking: Vec<RankingJson<'a>>,
    award: Option<AwardJson<'a>>,
    lines: Vec<LineJson<'a>>,
    members: Vec<MemberJson<'a>>,
}

#[derive(Serialize)]
struct RankingJson<'a> {
    supplier: &'a str,
    eligible: bool,
    ineligible_reason: Option<&'static str>,
    evaluation_total_net: Option<String>,
}

#[derive(Serialize)]
struct AwardJson<'a> {
    supplier: &'a str,
    pricing: &'static str,
    quantity: u64,
    unit_price: String,
    total_net: String,
    total_vat: String,
    total_gross: String,
}

#[derive(Serialize)]
struct LineJson<'a> {
    order: &'a str,
    member: &'a str,
    status: &'static str,
    quantity: u64,
    unit_price: Option<String>,
    net: Option<String>,
    vat: Option<String>,
    gross: Option<String>,
}

#[derive(Serialize)]
struct MemberJson<'a> {
    member: &'a str,
    quantity: u64,
    net: String,
    vat: String,
    gross: String,
    saving_vs_list: Option<String>,
    saving_vs_alone: Option<String>,
}

/// Renders an evaluation as the result document (pretty-printed JSON).
pub fn render_result(evaluation: &Evaluation) -> String {
    let doc = ResultJson {
        status: if evaluation.awarded() {
            "awarded"
        } else {
            "failed"
        },
        reason: evaluation.failure.map(|f| f.as_str()),
        evaluation_quantity: evaluation.evaluation_quantity,
        ranking: evaluation
            .ranking
            .iter()
            .map(|r| RankingJson {
                supplier: &r.supplier,
                eligible: r.eligible(),
                ineligible_reason: r.ineligible.map(|i| i.as_str()),
                evaluation_total_net: r.evaluation_total_net.map(|m| m.to_string()),
            })
            .collect(),
        award: evaluation.award.as_ref().map(|a| AwardJson {
            supplier: &a.supplier,
            pricing: a.pricing.as_str(),
            quantity: a.quantity,
            unit_price: a.unit_price.to_string(),
            total_net: a.total_net.to_string(),
            total_vat: a.total_vat.to_string(),
            total_gross: a.total_gross.to_string(),
        }),
        lines: evaluation
            .lines
            .iter()
            .map(|l| LineJson {
                order: &l.order,
                member: &l.member,
                status: l.status.as_str(),
                quantity: l.quantity,
                unit_price: l.price.map(|p| p.unit_price.to_string()),
                net: l.price.map(|p| p.net.to_string()),
                vat: l.price.map(|p| p.vat.to_string()),
                gross: l.price.map(|p| p.gross.to_string()),
            })
            .collect(),
        members: evaluation
            .members
            .iter()
            .map(|m| MemberJson {
                member: &m.member,
                quantity: m.quantity,
                net: m.net.to_string(),
                vat: m.vat.to_string(),
                gross: m.gross.to_string(),
                saving_vs_list: m.saving_vs_list.map(|s| s.to_string()),
                saving_vs_alone: m.saving_vs_alone.map(|s| s.to_string()),
            })
            .collect(),
    };
    // Serialising plain strings and numbers cannot fail.
    serde_json::to_string_pretty(&doc).unwrap_or_default()
}

/// Parses, evaluates and renders in one step: what `sammelkauf price` does.
pub fn price_scenario(json: &str) -> Result<String, InvalidInput> {
    let scenario = parse_scenario(json)?;
    Ok(render_result(&evaluate(&scenario)))
}
