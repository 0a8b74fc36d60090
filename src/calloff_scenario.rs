//! The JSON form of a framework's call-off scenario and its result, as read and printed by
//! `sammelkauf calloffs`. It only maps: every rule lives in `domain::framework`.

use crate::domain::framework::{
    run, CallOff, CallOffResult, Contract, Framework, InitialLine, Ledger,
};
use crate::domain::money::{Money, UnitPrice, VatRate};
use crate::domain::pricing::{InvalidInput, PricingMode, Tier, TierTable};
use crate::scenario::{decimal_error, quantity, read_document, timestamp};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

#[derive(Deserialize)]
struct ScenarioJson {
    framework: FrameworkJson,
    initial: Vec<InitialJson>,
    #[serde(default)]
    calloffs: Vec<CallOffJson>,
}

#[derive(Deserialize)]
struct FrameworkJson {
    pricing: String,
    tiers: Vec<TierJson>,
    vat_rate: String,
    #[serde(default)]
    list_unit_price: Option<String>,
    #[serde(default)]
    order_increment: Option<i64>,
    max_quantity: i64,
    start: String,
    end: String,
}

#[derive(Deserialize)]
struct TierJson {
    min_quantity: i64,
    unit_price: String,
}

#[derive(Deserialize)]
struct InitialJson {
    id: String,
    member: String,
    quantity: i64,
    net: String,
}

#[derive(Deserialize)]
struct CallOffJson {
    id: String,
    member: String,
    quantity: i64,
    at: String,
}

/// An amount in euros with at most two decimals, greater than zero.
fn amount(path: &str, text: &str) -> Result<Money, InvalidInput> {
    let bad = |what: &str| InvalidInput::new(path, format!("{text:?} {what}"));
    let trimmed = text.trim();
    if trimmed.is_empty()
        || trimmed.len() > 24
        || !trimmed.chars().all(|c| c.is_ascii_digit() || c == '.')
    {
        return Err(bad("is not a decimal number"));
    }
    let value: Decimal = trimmed
        .parse()
        .map_err(|_| bad("is not a decimal number"))?;
    if value.scale() > 2 {
        return Err(bad("has more than 2 decimal places"));
    }
    if value <= Decimal::ZERO {
        return Err(bad("must be greater than 0"));
    }
    let cents = (value * Decimal::from(100))
        .trunc()
        .to_string()
        .parse::<i64>()
        .ok()
        .filter(|c| *c <= 1_000_000_000_000_000)
        .ok_or_else(|| bad("is too large"))?;
    Ok(Money::from_cents(cents))
}

fn unit_price(path: &str, text: &str) -> Result<UnitPrice, InvalidInput> {
    UnitPrice::parse(text).map_err(|e| decimal_error(path, text, e))
}

impl ScenarioJson {
    fn into_domain(self) -> Result<(Contract, Vec<CallOff>), InvalidInput> {
        let f = &self.framework;
        let pricing = PricingMode::parse(&f.pricing).ok_or_else(|| {
            InvalidInput::new(
                "framework.pricing",
                format!(
                    "unknown pricing mode {:?} (expected \"all_units\" or \"graduated\")",
                    f.pricing
                ),
            )
        })?;
        let tiers = f
            .tiers
            .iter()
            .enumerate()
            .map(|(i, t)| {
                Ok(Tier {
                    min_quantity: quantity(
                        &format!("framework.tiers[{i}].min_quantity"),
                        t.min_quantity,
                        1,
                        i64::MAX,
                    )?,
                    unit_price: unit_price(
                        &format!("framework.tiers[{i}].unit_price"),
                        &t.unit_price,
                    )?,
                })
            })
            .collect::<Result<Vec<_>, InvalidInput>>()?;
        let framework = Framework {
            pricing,
            tiers: TierTable::new(tiers).map_err(|e| e.within("framework.tiers"))?,
            vat_rate: VatRate::parse(&f.vat_rate)
                .map_err(|e| decimal_error("framework.vat_rate", &f.vat_rate, e))?,
            list_unit_price: f
                .list_unit_price
                .as_deref()
                .map(|p| unit_price("framework.list_unit_price", p))
                .transpose()?,
            order_increment: quantity(
                "framework.order_increment",
                f.order_increment.unwrap_or(1),
                1,
                i64::MAX,
            )?,
            max_quantity: quantity("framework.max_quantity", f.max_quantity, 1, i64::MAX)?,
            start: timestamp("framework.start", &f.start)?,
            end: timestamp("framework.end", &f.end)?,
        };
        let initial = self
            .initial
            .into_iter()
            .enumerate()
            .map(|(i, l)| {
                Ok(InitialLine {
                    quantity: quantity(&format!("initial[{i}].quantity"), l.quantity, 1, i64::MAX)?,
                    net: amount(&format!("initial[{i}].net"), &l.net)?,
                    id: l.id,
                    member: l.member,
                })
            })
            .collect::<Result<Vec<_>, InvalidInput>>()?;
        let contract = Contract::new(framework, initial)?;
        let calloffs = self
            .calloffs
            .into_iter()
            .enumerate()
            .map(|(i, c)| {
                Ok(CallOff {
                    quantity: quantity(
                        &format!("calloffs[{i}].quantity"),
                        c.quantity,
                        1,
                        i64::MAX,
                    )?,
                    at: timestamp(&format!("calloffs[{i}].at"), &c.at)?,
                    id: c.id,
                    member: c.member,
                })
            })
            .collect::<Result<Vec<_>, InvalidInput>>()?;
        Ok((contract, calloffs))
    }
}

/// Parses a call-off scenario into its checked contract and call-offs.
pub fn parse(json: &str) -> Result<(Contract, Vec<CallOff>), InvalidInput> {
    read_document::<ScenarioJson>(json)?.into_domain()
}

#[derive(Serialize)]
struct ResultJson<'a> {
    calloffs: Vec<CallOffJsonOut<'a>>,
    members: Vec<MemberJson>,
    framework: SummaryJson,
}

#[derive(Serialize)]
struct CallOffJsonOut<'a> {
    id: &'a str,
    member: &'a str,
    quantity: u64,
    status: &'static str,
    reason: Option<&'static str>,
    unit_price: Option<String>,
    net: Option<String>,
    vat: Option<String>,
    gross: Option<String>,
    cumulative_quantity: u64,
    credits: Vec<CreditJson>,
}

#[derive(Serialize)]
struct CreditJson {
    member: String,
    net: String,
    vat: String,
    gross: String,
}

#[derive(Serialize)]
struct MemberJson {
    member: String,
    quantity: u64,
    net: String,
    vat: String,
    gross: String,
    credited_net: String,
    credited_gross: String,
    saving_vs_list: Option<String>,
}

#[derive(Serialize)]
struct SummaryJson {
    cumulative_quantity: u64,
    remaining_quantity: u64,
    current_unit_price: String,
    total_net: String,
    total_vat: String,
    total_gross: String,
    credited_net: String,
}

/// Renders processed call-offs and the ledger after them (pretty-printed JSON).
pub fn render(results: &[CallOffResult], ledger: &Ledger) -> String {
    let summary = ledger.summary();
    let doc = ResultJson {
        calloffs: results
            .iter()
            .map(|r| {
                let priced = r.outcome.as_ref().ok();
                CallOffJsonOut {
                    id: &r.id,
                    member: &r.member,
                    quantity: r.quantity,
                    status: if priced.is_some() {
                        "accepted"
                    } else {
                        "refused"
                    },
                    reason: r.outcome.as_ref().err().map(|e| e.as_str()),
                    unit_price: priced.map(|p| p.unit_price.to_string()),
                    net: priced.map(|p| p.net.to_string()),
                    vat: priced.map(|p| p.vat.to_string()),
                    gross: priced.map(|p| p.gross.to_string()),
                    cumulative_quantity: r.cumulative_quantity,
                    credits: priced
                        .map(|p| {
                            p.credits
                                .iter()
                                .map(|c| CreditJson {
                                    member: c.member.clone(),
                                    net: c.net.to_string(),
                                    vat: c.vat.to_string(),
                                    gross: c.gross.to_string(),
                                })
                                .collect()
                        })
                        .unwrap_or_default(),
                }
            })
            .collect(),
        members: ledger
            .members()
            .into_iter()
            .map(|m| MemberJson {
                member: m.member,
                quantity: m.quantity,
                net: m.net.to_string(),
                vat: m.vat.to_string(),
                gross: m.gross.to_string(),
                credited_net: m.credited_net.to_string(),
                credited_gross: m.credited_gross.to_string(),
                saving_vs_list: m.saving_vs_list.map(|s| s.to_string()),
            })
            .collect(),
        framework: SummaryJson {
            cumulative_quantity: summary.cumulative_quantity,
            remaining_quantity: summary.remaining_quantity,
            current_unit_price: summary.current_unit_price.to_string(),
            total_net: summary.total_net.to_string(),
            total_vat: summary.total_vat.to_string(),
            total_gross: summary.total_gross.to_string(),
            credited_net: summary.credited_net.to_string(),
        },
    };
    // Serialising plain strings and numbers cannot fail.
    serde_json::to_string_pretty(&doc).unwrap_or_default()
}

/// Parses, prices and renders in one step: what `sammelkauf calloffs` does.
pub fn price_calloffs(json: &str) -> Result<String, InvalidInput> {
    let (contract, calloffs) = parse(json)?;
    let (results, ledger) = run(&contract, calloffs)?;
    Ok(render(&results, &ledger))
}

#[derive(Serialize)]
struct ScenarioOut<'a> {
    framework: FrameworkOut,
    initial: Vec<InitialOut<'a>>,
    calloffs: Vec<CallOffOut<'a>>,
}

#[derive(Serialize)]
struct FrameworkOut {
    pricing: &'static str,
    tiers: Vec<TierOut>,
    vat_rate: String,
    list_unit_price: Option<String>,
    order_increment: u64,
    max_quantity: u64,
    start: String,
    end: String,
}

#[derive(Serialize)]
struct TierOut {
    min_quantity: u64,
    unit_price: String,
}

#[derive(Serialize)]
struct InitialOut<'a> {
    id: &'a str,
    member: &'a str,
    quantity: u64,
    net: String,
}

#[derive(Serialize)]
struct CallOffOut<'a> {
    id: &'a str,
    member: &'a str,
    quantity: u64,
    at: String,
}

fn rfc3339(t: chrono::DateTime<chrono::Utc>) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true)
}

/// A contract and its call-offs as a scenario document, the input `sammelkauf calloffs` reads.
pub fn render_scenario(contract: &Contract, calloffs: &[CallOff]) -> String {
    let f = contract.framework();
    let doc = ScenarioOut {
        framework: FrameworkOut {
            pricing: f.pricing.as_str(),
            tiers: f
                .tiers
                .tiers()
                .iter()
                .map(|t| TierOut {
                    min_quantity: t.min_quantity,
                    unit_price: t.unit_price.to_string(),
                })
                .collect(),
            vat_rate: Decimal::new(f.vat_rate.ten_thousandths(), 4).to_string(),
            list_unit_price: f.list_unit_price.map(|p| p.to_string()),
            order_increment: f.order_increment,
            max_quantity: f.max_quantity,
            start: rfc3339(f.start),
            end: rfc3339(f.end),
        },
        initial: contract
            .initial()
            .iter()
            .map(|l| InitialOut {
                id: &l.id,
                member: &l.member,
                quantity: l.quantity,
                net: l.net.to_string(),
            })
            .collect(),
        calloffs: calloffs
            .iter()
            .map(|c| CallOffOut {
                id: &c.id,
                member: &c.member,
                quantity: c.quantity,
                at: rfc3339(c.at),
            })
            .collect(),
    };
    serde_json::to_string_pretty(&doc).unwrap_or_default()
}
