//! Framework agreements: call-offs priced on the cooperative's cumulative quantity, with
//! credits to every member when an all-units framework crosses a tier (`frameworks.md`).
//!
//! Pure and exact: amounts are whole cents, prices 1/10,000 €, rounding half away from zero.
//! The same [`Ledger`] prices the CLI's scenarios and every call-off on the web.

use super::money::{div_round_half_away, Money, UnitPrice, VatRate};
use super::pricing::{InvalidInput, PricingMode, TierTable, MAX_LINE_QUANTITY, MAX_LOT_QUANTITY};
use chrono::{DateTime, Utc};
use std::collections::{BTreeMap, HashSet};

/// At most this many call-offs in one scenario.
pub const MAX_CALLOFFS: usize = 100_000;
/// A framework runs 1 to 48 months (§21(6) VgV: at most four years).
pub const MAX_TERM_MONTHS: u32 = 48;

/// The agreed terms of a confirmed framework.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Framework {
    pub pricing: PricingMode,
    pub tiers: TierTable,
    pub vat_rate: VatRate,
    pub list_unit_price: Option<UnitPrice>,
    pub order_increment: u64,
    pub max_quantity: u64,
    pub start: DateTime<Utc>,
    pub end: DateTime<Utc>,
}

impl Framework {
    /// Checks the terms on their own (the initial lines are checked by [`Contract::new`]).
    pub fn check(&self) -> Result<(), InvalidInput> {
        if !(1..=MAX_LOT_QUANTITY).contains(&self.max_quantity) {
            return Err(InvalidInput::new(
                "max_quantity",
                format!("must be between 1 and {MAX_LOT_QUANTITY}"),
            ));
        }
        if !(1..=MAX_LINE_QUANTITY).contains(&self.order_increment) {
            return Err(InvalidInput::new(
                "order_increment",
                format!("must be between 1 and {MAX_LINE_QUANTITY}"),
            ));
        }
        if self.end <= self.start {
            return Err(InvalidInput::new("end", "must be after start"));
        }
        Ok(())
    }

    /// The moments at which [`Framework::runs_at`] may answer differently.
    pub fn turns(&self) -> [DateTime<Utc>; 2] {
        [self.start, self.end]
    }

    /// Whether a call-off at `at` falls within the term (start inclusive, end exclusive).
    pub fn runs_at(&self, at: DateTime<Utc>) -> bool {
        at >= self.start && at < self.end
    }

    /// The all-units price once the cumulative quantity is `quantity` (the tier it reached),
    /// or, for a graduated framework, the price of unit number `quantity`.
    pub fn tier_price(&self, quantity: u64) -> UnitPrice {
        let tiers = self.tiers.tiers();
        tiers
            .iter()
            .rev()
            .find(|t| t.min_quantity <= quantity)
            .unwrap_or(&tiers[0])
            .unit_price
    }

    /// The next tier above `quantity`: its minimum and price.
    pub fn next_tier(&self, quantity: u64) -> Option<(u64, UnitPrice)> {
        self.tiers
            .tiers()
            .iter()
            .find(|t| t.min_quantity > quantity)
            .map(|t| (t.min_quantity, t.unit_price))
    }

    /// The contract's rule for the next call-off of `quantity` at `at` when `cumulative`
    /// units are called off: refused, or its price and whether it lowers the all-units price
    /// (then every earlier line is re-priced and credited — see [`Ledger::apply`]).
    pub fn next_calloff(
        &self,
        cumulative: u64,
        quantity: u64,
        at: DateTime<Utc>,
    ) -> Result<NextCallOff, Refusal> {
        if !self.runs_at(at) {
            return Err(Refusal::OutsideTerm);
        }
        let after = cumulative + quantity;
        if after > self.max_quantity {
            return Err(Refusal::OverMaxQuantity);
        }
        let (unit_price, net) = match self.pricing {
            PricingMode::AllUnits => {
                let price = self.tier_price(after);
                (price, net_at(quantity, price))
            }
            PricingMode::Graduated => {
                let cost = |q| self.tiers.cost(PricingMode::Graduated, q).unwrap_or(0);
                let net = Money::round_from_ten_thousandths(cost(after) - cost(cumulative));
                let per_unit =
                    div_round_half_away(i128::from(net.cents()) * 100, i128::from(quantity.max(1)));
                let unit_price = i64::try_from(per_unit)
                    .ok()
                    .and_then(|p| UnitPrice::from_ten_thousandths(p).ok())
                    .unwrap_or_else(|| self.tier_price(after));
                (unit_price, net)
            }
        };
        Ok(NextCallOff {
            unit_price,
            net,
            vat: self.vat_rate.vat_on(net),
            cumulative_quantity: after,
            lowers_price: self.pricing == PricingMode::AllUnits
                && self.tier_price(after) < self.tier_price(cumulative),
        })
    }

    /// Checks one quantity against the order increment and the line limits.
    pub fn check_quantity(&self, quantity: u64) -> Result<(), InvalidInput> {
        if !(1..=MAX_LINE_QUANTITY).contains(&quantity) {
            return Err(InvalidInput::new(
                "quantity",
                format!("must be between 1 and {MAX_LINE_QUANTITY}"),
            ));
        }
        if !quantity.is_multiple_of(self.order_increment) {
            return Err(InvalidInput::new(
                "quantity",
                format!(
                    "must be a multiple of the order increment {}",
                    self.order_increment
                ),
            ));
        }
        Ok(())
    }
}

/// The price of the next call-off, before any credits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NextCallOff {
    pub unit_price: UnitPrice,
    pub net: Money,
    pub vat: Money,
    pub cumulative_quantity: u64,
    /// It takes an all-units framework into a cheaper tier: earlier lines are credited.
    pub lowers_price: bool,
}

/// A line of the initial call-off (the members' confirmed order lines), priced by the award.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InitialLine {
    pub id: String,
    pub member: String,
    pub quantity: u64,
    pub net: Money,
}

/// A member's call-off.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CallOff {
    pub id: String,
    pub member: String,
    pub quantity: u64,
    pub at: DateTime<Utc>,
}

/// A framework with its initial call-off, checked against every input rule.
#[derive(Debug, Clone)]
pub struct Contract {
    framework: Framework,
    initial: Vec<InitialLine>,
}

impl Contract {
    pub fn new(framework: Framework, initial: Vec<InitialLine>) -> Result<Self, InvalidInput> {
        framework.check().map_err(|e| e.within("framework"))?;
        if initial.is_empty() {
            return Err(InvalidInput::new(
                "initial",
                "at least one initial line is required",
            ));
        }
        let mut total = 0u64;
        for (i, line) in initial.iter().enumerate() {
            let at = |field: &str| format!("initial[{i}].{field}");
            check_name(&at("id"), &line.id)?;
            check_name(&at("member"), &line.member)?;
            framework
                .check_quantity(line.quantity)
                .map_err(|e| e.within(&format!("initial[{i}]")))?;
            if line.net.cents() <= 0 {
                return Err(InvalidInput::new(at("net"), "must be greater than 0"));
            }
            total += line.quantity;
        }
        if total < framework.tiers.first_min_quantity() {
            return Err(InvalidInput::new(
                "initial",
                format!(
                    "the initial total {total} is below the first tier's minimum quantity {}",
                    framework.tiers.first_min_quantity()
                ),
            ));
        }
        if total > framework.max_quantity {
            return Err(InvalidInput::new(
                "framework.max_quantity",
                format!(
                    "{} is below the initial total {total}",
                    framework.max_quantity
                ),
            ));
        }
        if framework.pricing == PricingMode::AllUnits {
            let price = framework.tier_price(total);
            for (i, line) in initial.iter().enumerate() {
                let expected = net_at(line.quantity, price);
                if line.net != expected {
                    return Err(InvalidInput::new(
                        format!("initial[{i}].net"),
                        format!(
                            "{} is not {expected}, the quantity {} at {price} (the price at the initial total {total})",
                            line.net, line.quantity
                        ),
                    ));
                }
            }
        }
        let mut ids = HashSet::new();
        for (i, line) in initial.iter().enumerate() {
            if !ids.insert(line.id.as_str()) {
                return Err(InvalidInput::new(
                    format!("initial[{i}].id"),
                    format!("{:?} is used twice", line.id),
                ));
            }
        }
        Ok(Contract { framework, initial })
    }

    pub fn framework(&self) -> &Framework {
        &self.framework
    }

    pub fn initial(&self) -> &[InitialLine] {
        &self.initial
    }

    /// Checks a scenario's call-offs (ids unique with the initial lines, quantities) and
    /// puts them in the contract's processing order: by `at`, then id (byte order).
    pub fn order_calloffs(&self, mut calloffs: Vec<CallOff>) -> Result<Vec<CallOff>, InvalidInput> {
        if calloffs.len() > MAX_CALLOFFS {
            return Err(InvalidInput::new(
                "calloffs",
                format!("at most {MAX_CALLOFFS} call-offs are allowed"),
            ));
        }
        let mut ids: HashSet<&str> = self.initial.iter().map(|l| l.id.as_str()).collect();
        for (i, c) in calloffs.iter().enumerate() {
            check_name(&format!("calloffs[{i}].id"), &c.id)?;
            check_name(&format!("calloffs[{i}].member"), &c.member)?;
            if !ids.insert(c.id.as_str()) {
                return Err(InvalidInput::new(
                    format!("calloffs[{i}].id"),
                    format!("{:?} is used twice", c.id),
                ));
            }
            self.framework
                .check_quantity(c.quantity)
                .map_err(|e| e.within(&format!("calloffs[{i}]")))?;
        }
        calloffs.sort_by(|a, b| {
            a.at.cmp(&b.at)
                .then_with(|| a.id.as_bytes().cmp(b.id.as_bytes()))
        });
        Ok(calloffs)
    }
}

fn check_name(path: &str, text: &str) -> Result<(), InvalidInput> {
    if text.is_empty() || text.len() > 200 || text.chars().any(char::is_control) {
        return Err(InvalidInput::new(
            path,
            "must be 1 to 200 characters without control characters",
        ));
    }
    Ok(())
}

/// `round(quantity × price)` in cents.
pub fn net_at(quantity: u64, price: UnitPrice) -> Money {
    Money::round_from_ten_thousandths(i128::from(quantity) * i128::from(price.ten_thousandths()))
}

/// Why a call-off was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    OutsideTerm,
    OverMaxQuantity,
}

impl Refusal {
    pub fn as_str(self) -> &'static str {
        match self {
            Refusal::OutsideTerm => "outside_term",
            Refusal::OverMaxQuantity => "over_max_quantity",
        }
    }
}

/// What one member gets back when a call-off lowers the all-units price.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Credit {
    pub member: String,
    pub net: Money,
    pub vat: Money,
    pub gross: Money,
}

/// The price of an accepted call-off and the credits it causes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Priced {
    pub unit_price: UnitPrice,
    pub net: Money,
    pub vat: Money,
    pub gross: Money,
    /// Sorted by member (byte order); members with nothing to credit are left out.
    pub credits: Vec<Credit>,
    /// The cumulative quantity with this call-off.
    pub cumulative_quantity: u64,
}

/// One call-off as processed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CallOffResult {
    pub id: String,
    pub member: String,
    pub quantity: u64,
    pub outcome: Result<Priced, Refusal>,
    /// The cumulative quantity after this call-off (unchanged when refused).
    pub cumulative_quantity: u64,
}

/// A member's position in the framework.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MemberStatement {
    pub member: String,
    pub quantity: u64,
    pub net: Money,
    pub vat: Money,
    pub gross: Money,
    pub credited_net: Money,
    pub credited_gross: Money,
    pub saving_vs_list: Option<Money>,
}

/// The framework as a whole.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Summary {
    pub cumulative_quantity: u64,
    pub remaining_quantity: u64,
    pub current_unit_price: UnitPrice,
    pub total_net: Money,
    pub total_vat: Money,
    pub total_gross: Money,
    pub credited_net: Money,
}

#[derive(Debug, Clone, Copy)]
struct Line {
    member: usize,
    quantity: u64,
    net: Money,
    vat: Money,
}

#[derive(Debug, Clone, Default)]
struct MemberBook {
    quantity: u64,
    net: i64,
    vat: i64,
    credited_net: i64,
    credited_vat: i64,
}

/// Every accepted line of a framework and what each member has been credited: call-offs
/// are applied to it one by one in the contract's order.
#[derive(Debug, Clone)]
pub struct Ledger {
    framework: Framework,
    lines: Vec<Line>,
    /// Member names and their books, by name (byte order).
    names: Vec<String>,
    index: BTreeMap<String, usize>,
    books: Vec<MemberBook>,
    cumulative: u64,
}

impl Ledger {
    /// The framework right after its confirmation: the initial call-off.
    pub fn open(contract: &Contract) -> Self {
        let framework = contract.framework.clone();
        let mut ledger = Ledger {
            framework,
            lines: Vec::with_capacity(contract.initial.len()),
            names: Vec::new(),
            index: BTreeMap::new(),
            books: Vec::new(),
            cumulative: 0,
        };
        for line in &contract.initial {
            let vat = ledger.framework.vat_rate.vat_on(line.net);
            ledger.push(&line.member, line.quantity, line.net, vat);
        }
        ledger
    }

    pub fn framework(&self) -> &Framework {
        &self.framework
    }

    pub fn cumulative_quantity(&self) -> u64 {
        self.cumulative
    }

    fn member_index(&mut self, member: &str) -> usize {
        if let Some(&i) = self.index.get(member) {
            return i;
        }
        let i = self.names.len();
        self.names.push(member.to_string());
        self.books.push(MemberBook::default());
        self.index.insert(member.to_string(), i);
        i
    }

    fn push(&mut self, member: &str, quantity: u64, net: Money, vat: Money) {
        let m = self.member_index(member);
        self.lines.push(Line {
            member: m,
            quantity,
            net,
            vat,
        });
        let book = &mut self.books[m];
        book.quantity += quantity;
        book.net += net.cents();
        book.vat += vat.cents();
        self.cumulative += quantity;
    }

    /// What a call-off of `quantity` at `at` would get, without changing anything: the
    /// preview a buyer sees before confirming, and the first half of [`Ledger::apply`].
    pub fn price(&self, quantity: u64, at: DateTime<Utc>) -> Result<Priced, Refusal> {
        let next = self.framework.next_calloff(self.cumulative, quantity, at)?;
        let credits = if next.lowers_price {
            self.credits_at(next.cumulative_quantity)
        } else {
            Vec::new()
        };
        Ok(Priced {
            unit_price: next.unit_price,
            net: next.net,
            vat: next.vat,
            gross: Money::from_cents(next.net.cents() + next.vat.cents()),
            credits,
            cumulative_quantity: next.cumulative_quantity,
        })
    }

    /// The credits every member gets when the all-units price falls to the tier of `after`.
    fn credits_at(&self, after: u64) -> Vec<Credit> {
        let f = &self.framework;
        if f.pricing != PricingMode::AllUnits {
            return Vec::new();
        }
        let new_price = f.tier_price(after);
        if new_price >= f.tier_price(self.cumulative) {
            return Vec::new();
        }
        let mut per_member = vec![(0i64, 0i64); self.names.len()];
        for line in &self.lines {
            let net = net_at(line.quantity, new_price);
            let vat = f.vat_rate.vat_on(net);
            let sums = &mut per_member[line.member];
            sums.0 += line.net.cents() - net.cents();
            sums.1 += line.vat.cents() - vat.cents();
        }
        // `index` iterates by name: the credits come out sorted by member.
        self.index
            .iter()
            .filter_map(|(name, &i)| {
                let (net, vat) = per_member[i];
                (net != 0 || vat != 0).then(|| Credit {
                    member: name.clone(),
                    net: Money::from_cents(net),
                    vat: Money::from_cents(vat),
                    gross: Money::from_cents(net + vat),
                })
            })
            .collect()
    }

    /// Prices a call-off and, when accepted, books it with its credits.
    pub fn apply(&mut self, calloff: &CallOff) -> CallOffResult {
        let outcome = self.price(calloff.quantity, calloff.at);
        if let Ok(priced) = &outcome {
            let f = &self.framework;
            let new_price = f.tier_price(priced.cumulative_quantity);
            if f.pricing == PricingMode::AllUnits && new_price < f.tier_price(self.cumulative) {
                self.reprice_all(new_price);
                for credit in &priced.credits {
                    let m = self.index[&credit.member];
                    self.books[m].credited_net += credit.net.cents();
                    self.books[m].credited_vat += credit.vat.cents();
                }
            }
            self.push(&calloff.member, calloff.quantity, priced.net, priced.vat);
        }
        CallOffResult {
            id: calloff.id.clone(),
            member: calloff.member.clone(),
            quantity: calloff.quantity,
            outcome,
            cumulative_quantity: self.cumulative,
        }
    }

    /// Every earlier line at the new all-units price.
    fn reprice_all(&mut self, price: UnitPrice) {
        let rate = self.framework.vat_rate;
        for book in &mut self.books {
            book.net = 0;
            book.vat = 0;
        }
        for line in &mut self.lines {
            line.net = net_at(line.quantity, price);
            line.vat = rate.vat_on(line.net);
            let book = &mut self.books[line.member];
            book.net += line.net.cents();
            book.vat += line.vat.cents();
        }
    }

    /// Every member with an accepted line, by name (byte order).
    pub fn members(&self) -> Vec<MemberStatement> {
        let list = self.framework.list_unit_price;
        self.index
            .iter()
            .map(|(name, &i)| {
                let b = &self.books[i];
                MemberStatement {
                    member: name.clone(),
                    quantity: b.quantity,
                    net: Money::from_cents(b.net),
                    vat: Money::from_cents(b.vat),
                    gross: Money::from_cents(b.net + b.vat),
                    credited_net: Money::from_cents(b.credited_net),
                    credited_gross: Money::from_cents(b.credited_net + b.credited_vat),
                    saving_vs_list: list.map(|p| {
                        super::spend::saving_vs_list(p, b.quantity, Money::from_cents(b.net))
                    }),
                }
            })
            .collect()
    }

    pub fn member(&self, member: &str) -> Option<MemberStatement> {
        self.members().into_iter().find(|m| m.member == member)
    }

    pub fn summary(&self) -> Summary {
        let f = &self.framework;
        let (net, vat, credited) = self.books.iter().fold((0, 0, 0), |acc, b| {
            (acc.0 + b.net, acc.1 + b.vat, acc.2 + b.credited_net)
        });
        let current_unit_price = match f.pricing {
            PricingMode::AllUnits => f.tier_price(self.cumulative),
            PricingMode::Graduated => f.tier_price(self.cumulative + 1),
        };
        Summary {
            cumulative_quantity: self.cumulative,
            remaining_quantity: f.max_quantity.saturating_sub(self.cumulative),
            current_unit_price,
            total_net: Money::from_cents(net),
            total_vat: Money::from_cents(vat),
            total_gross: Money::from_cents(net + vat),
            credited_net: Money::from_cents(credited),
        }
    }

    /// The current net of every accepted line, in the order they were booked.
    pub fn line_nets(&self) -> impl Iterator<Item = (u64, Money, Money)> + '_ {
        self.lines.iter().map(|l| (l.quantity, l.net, l.vat))
    }
}

/// Runs a whole scenario: the call-offs in the contract's order on a fresh ledger.
pub fn run(
    contract: &Contract,
    calloffs: Vec<CallOff>,
) -> Result<(Vec<CallOffResult>, Ledger), InvalidInput> {
    let ordered = contract.order_calloffs(calloffs)?;
    let mut ledger = Ledger::open(contract);
    let results = ordered.iter().map(|c| ledger.apply(c)).collect();
    Ok((results, ledger))
}
