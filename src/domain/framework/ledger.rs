//! The ledger of a running framework: every accepted line at its current price, each
//! member's book and credits, and the call-offs applied to it one by one.

use super::{net_at, CallOff, Contract, Framework, Refusal};
use crate::domain::money::{Money, UnitPrice};
use crate::domain::pricing::{InvalidInput, PricingMode};
use chrono::{DateTime, Utc};
use std::collections::BTreeMap;

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
                        crate::domain::spend::saving_vs_list(
                            p,
                            b.quantity,
                            Money::from_cents(b.net),
                        )
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
