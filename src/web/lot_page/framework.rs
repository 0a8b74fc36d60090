//! A framework on its lot's page: terms, the running state, a member's own call-offs and
//! credits, every value formatted.

use crate::app::frameworks::FrameworkState;
use crate::db::frameworks::contract_id;
use crate::domain::lot::FrameworkTerms;
use crate::i18n::Tr;
use crate::web::session;

/// One of the member's call-offs or credits as the page lists it.
pub struct CallOffLine {
    pub number: String,
    pub at: String,
    pub site: String,
    pub reference: String,
    pub quantity: String,
    pub unit_price: String,
    pub net: String,
    pub gross: String,
}

pub struct CreditLine {
    pub calloff: String,
    pub net: String,
    pub vat: String,
    pub gross: String,
}

/// The member's own position in the framework, after every credit.
pub struct OwnPosition {
    pub quantity: String,
    pub net: String,
    pub gross: String,
    pub credited: String,
}

/// A framework on its lot's page.
pub struct FrameworkView {
    /// "24 Monate ab der Bestätigung, höchstens 5.000 Stück" before the confirmation.
    pub summary: String,
    pub running_state: Option<RunningView>,
}

pub struct RunningView {
    pub term: String,
    pub ended: Option<String>,
    pub running: bool,
    pub pricing: String,
    pub cumulative: String,
    pub max: String,
    pub left: String,
    pub price: String,
    pub next_tier: Option<String>,
    pub next_percent: u64,
    pub own: Option<OwnPosition>,
    pub calloffs: Vec<CallOffLine>,
    pub credits: Vec<CreditLine>,
    pub can_call_off: bool,
    pub sites: Vec<crate::web::Choice<crate::domain::ids::SiteId>>,
    pub idempotency_key: String,
}

impl FrameworkView {
    pub fn new(
        tr: Tr,
        unit: &str,
        terms: Option<FrameworkTerms>,
        state: Option<&FrameworkState>,
    ) -> Option<Self> {
        let terms = terms?;
        let summary = tr.f(
            "framework.summary",
            &[
                ("months", terms.term_months.to_string()),
                ("max", tr.quantity(terms.max_quantity)),
                ("unit", unit.to_string()),
            ],
        );
        let running_state = state.map(|s| {
            let with_unit = |q: u64| format!("{} {unit}", tr.quantity(q));
            let next_percent = s.next_tier.map_or(100, |(min, _)| {
                (s.cumulative.saturating_mul(100) / min.max(1)).min(100)
            });
            RunningView {
                term: tr.f(
                    "framework.term",
                    &[
                        ("months", s.terms.term_months.to_string()),
                        ("start", crate::i18n::date(tr, s.start.naive_utc())),
                        ("end", crate::i18n::date(tr, s.end.naive_utc())),
                    ],
                ),
                ended: s.ended.as_ref().map(|(at, reason)| {
                    let why = if reason == "term_over" {
                        tr.t("framework.term_over").to_string()
                    } else {
                        reason.clone()
                    };
                    tr.f(
                        "framework.ended",
                        &[("at", crate::i18n::date(tr, *at)), ("reason", why)],
                    )
                }),
                running: s.running,
                pricing: tr.t(&format!("pricing.{}", s.pricing.as_str())).to_string(),
                cumulative: with_unit(s.cumulative),
                max: with_unit(s.max_quantity),
                left: with_unit(s.max_quantity.saturating_sub(s.cumulative)),
                price: tr.price(s.current_price),
                next_tier: s.next_tier.map(|(min, p)| {
                    tr.f(
                        "framework.next_tier",
                        &[
                            ("price", tr.price(p)),
                            ("min", with_unit(min)),
                            ("missing", with_unit(min.saturating_sub(s.cumulative))),
                        ],
                    )
                }),
                next_percent,
                own: s.own.map(|p| OwnPosition {
                    quantity: with_unit(p.quantity),
                    net: tr.money(p.net),
                    gross: tr.money(p.net + p.vat),
                    credited: tr.money(p.credited_net + p.credited_vat),
                }),
                calloffs: s
                    .own_calloffs
                    .iter()
                    .map(|named| (&named.calloff, &named.site))
                    .map(|(c, site)| CallOffLine {
                        number: c.contract_id(),
                        at: tr.datetime(c.at),
                        site: site.clone(),
                        reference: c.reference.clone(),
                        quantity: tr.quantity(c.quantity.max(0) as u64),
                        unit_price: tr.price(c.unit_price()),
                        net: tr.money(crate::domain::money::Money::from_cents(c.net)),
                        gross: tr.money(crate::domain::money::Money::from_cents(c.gross)),
                    })
                    .collect(),
                credits: s
                    .own_credits
                    .iter()
                    .map(
                        |crate::db::frameworks::CreditRow {
                             calloff,
                             net,
                             vat,
                             gross,
                             ..
                         }| CreditLine {
                            calloff: contract_id(*calloff),
                            net: tr.money(crate::domain::money::Money::from_cents(*net)),
                            vat: tr.money(crate::domain::money::Money::from_cents(*vat)),
                            gross: tr.money(crate::domain::money::Money::from_cents(*gross)),
                        },
                    )
                    .collect(),
                can_call_off: s.can_call_off,
                sites: s
                    .sites
                    .iter()
                    .map(|site| crate::web::Choice::new(site.id, site.name.clone()))
                    .collect(),
                idempotency_key: session::idempotency_key(),
            }
        });
        Some(FrameworkView {
            summary,
            running_state,
        })
    }
}
