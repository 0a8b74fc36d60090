//! A realistic demo cooperative for an empty database: staff, members with delivery sites
//! and buyers, suppliers, and lots in every state that exists so far.

mod cooperative;
mod people;

use crate::app::{award, lot_admin, opening, ordering, quotes, Actor, Ctx};
use crate::db::{self, lots, users, DbConnection};
use crate::domain::ids::{LotId, SupplierId};
use crate::domain::lot::{Category, IndicativeTier, LotTermsInput};
use crate::domain::money::{UnitPrice, VatRate};
use crate::domain::pricing::PricingMode;
use crate::domain::quote::QuoteForm;
use crate::password;
use chrono::{DateTime, Duration, Utc};

/// The password of every demo account.
pub const DEMO_PASSWORD: &str = "sammelkauf-demo";

/// One demo account, to print for the person trying the site.
#[derive(Debug, Clone)]
pub struct DemoAccount {
    pub email: String,
    pub role: &'static str,
    pub organisation: String,
}

#[derive(Debug, thiserror::Error)]
pub enum DemoError {
    #[error("the database already holds accounts; the demo only fills an empty database")]
    NotEmpty,
    #[error("database: {0}")]
    Database(#[from] diesel::result::Error),
    #[error("password hashing: {0}")]
    Hash(String),
    #[error("procurement: {0}")]
    Procurement(String),
}

impl From<crate::db::Error> for DemoError {
    fn from(e: crate::db::Error) -> Self {
        match e {
            crate::db::Error::Query(d) => DemoError::Database(d),
            other => DemoError::Procurement(other.to_string()),
        }
    }
}

impl From<crate::app::StoreError> for DemoError {
    fn from(e: crate::app::StoreError) -> Self {
        DemoError::Procurement(e.to_string())
    }
}

impl From<crate::app::award::AwardError> for DemoError {
    fn from(e: crate::app::award::AwardError) -> Self {
        DemoError::Procurement(e.to_string())
    }
}

impl db::AsDbError for DemoError {
    fn as_db_error(&self) -> Option<&diesel::result::Error> {
        match self {
            DemoError::Database(e) => Some(e),
            _ => None,
        }
    }
}

fn price(text: &str) -> Result<UnitPrice, DemoError> {
    UnitPrice::parse(text).map_err(|e| DemoError::Hash(format!("demo price {text}: {e}")))
}

fn tiers(rows: &[(u64, &str)]) -> Result<Vec<IndicativeTier>, DemoError> {
    rows.iter()
        .map(|&(min_quantity, p)| {
            Ok(IndicativeTier {
                min_quantity,
                unit_price: price(p)?,
            })
        })
        .collect()
}

fn slug(name: &str) -> String {
    let mut s: String = name
        .to_lowercase()
        .replace('ä', "ae")
        .replace('ö', "oe")
        .replace('ü', "ue")
        .replace('ß', "ss")
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
        .collect();
    while s.contains("--") {
        s = s.replace("--", "-");
    }
    s.trim_matches('-').to_string()
}

/// Fills an empty database; returns the accounts created.
pub fn seed(
    conn: &mut DbConnection,
    mail: &crate::mail::MailContext,
    now: DateTime<Utc>,
) -> Result<Vec<DemoAccount>, DemoError> {
    if users::count(conn)? > 0 {
        return Err(DemoError::NotEmpty);
    }
    // Hashing is slow on purpose: once for every demo account, before the transaction.
    let hash = password::hash(DEMO_PASSWORD).map_err(DemoError::Hash)?;
    db::transaction(conn, |conn| seed_in_transaction(conn, mail, now, &hash))
}

fn seed_in_transaction(
    conn: &mut DbConnection,
    mail: &crate::mail::MailContext,
    now: DateTime<Utc>,
    hash: &str,
) -> Result<Vec<DemoAccount>, DemoError> {
    let people = people::create(conn, now, hash)?;

    let lot = |title: &str,
               spec: &str,
               category: Category,
               unit: &str,
               increment: u64,
               min_total: u64,
               list: Option<&str>,
               demand_in: Duration,
               quote_in: Duration,
               tier_rows: &[(u64, &str)]|
     -> Result<LotTermsInput, DemoError> {
        Ok(LotTermsInput {
            title: title.into(),
            specification: spec.into(),
            category,
            unit: unit.into(),
            order_increment: increment,
            min_total_quantity: min_total,
            list_unit_price: list.map(price).transpose()?,
            vat_rate: VatRate::STANDARD,
            demand_deadline: now + demand_in,
            quote_deadline: now + quote_in,
            standstill_days: 10,
            indicative_tiers: tiers(tier_rows)?,
            framework: None,
        })
    };
    let notebooks = lot(
        "Notebooks 14 Zoll für Schulen",
        "14-Zoll-Notebook, Intel Core Ultra 5 oder gleichwertig, 16 GB RAM, 512 GB SSD, \
         Windows 11 Education, 4 Jahre Vor-Ort-Garantie, Lieferung frei Verwendungsstelle.",
        Category::Devices,
        "Stück",
        1,
        500,
        Some("999.00"),
        Duration::days(14),
        Duration::days(21),
        &[
            (100, "899.00"),
            (500, "849.00"),
            (1000, "799.00"),
            (2500, "759.00"),
        ],
    )?;
    let displays = lot(
        "Interaktive Touch-Displays 75 Zoll",
        "75-Zoll-Touch-Display, 4K, 20 Berührungspunkte, Wandhalterung, Installation vor Ort.",
        Category::Devices,
        "Stück",
        1,
        1000,
        Some("3190.00"),
        Duration::days(30),
        Duration::days(40),
        &[(500, "2990.00"), (2000, "2790.00"), (10000, "2490.00")],
    )?;
    let licences = lot(
        "Office-Lizenzen für Verwaltungsarbeitsplätze",
        "Abonnement-Lizenzen für Büroanwendungen, Laufzeit 36 Monate, in Paketen zu 5 Lizenzen.",
        Category::Licences,
        "Lizenz",
        5,
        0,
        Some("19.99"),
        Duration::days(7),
        Duration::days(14),
        &[(1000, "17.49"), (5000, "15.00")],
    )?;
    let firewalls = lot(
        "Firewall-Cluster für Rechenzentren",
        "Hochverfügbares Firewall-Cluster (2 Knoten), 40 Gbit/s, 5 Jahre Herstellersupport.",
        Category::Network,
        "Stück",
        2,
        10,
        None,
        Duration::days(-2),
        Duration::days(5),
        &[],
    )?;
    let ipads = lot(
        "Tablets 10,9 Zoll mit Hülle",
        "Tablet 10,9 Zoll, 64 GB, WLAN, mit Schutzhülle und Eingabestift, MDM-fähig.",
        Category::Devices,
        "Stück",
        1,
        1000,
        Some("479.00"),
        Duration::days(45),
        Duration::days(60),
        &[(1000, "449.00"), (5000, "429.00"), (12000, "409.00")],
    )?;
    let demo = Seeder {
        mail: mail.clone(),
        now,
        staff: people.staff,
        second_staff: people.second_staff,
        members: people.members,
        suppliers: people.suppliers,
    };
    let all: Vec<usize> = (0..demo.suppliers.len()).collect();

    // Open lots: members are ordering now.
    let notebooks_id = demo.lot(conn, Duration::days(-3), &notebooks, &all)?;
    let displays_id = demo.lot(conn, Duration::days(-2), &displays, &all[..3])?;
    let licences_id = demo.lot(conn, Duration::days(-1), &licences, &all[1..])?;
    let firewalls_id = demo.lot(conn, Duration::days(-10), &firewalls, &all[..2])?;
    demo.draft(conn, Duration::zero(), &ipads, &all)?;
    let day = Duration::days(-1);
    demo.order(conn, day, notebooks_id, 0, 0, 120, "", "KST 4711")?;
    demo.order(
        conn,
        day,
        notebooks_id,
        0,
        2,
        60,
        "880,00",
        "Schulträger Lemgo",
    )?;
    demo.order(conn, day, notebooks_id, 2, 2, 150, "", "")?;
    demo.order(conn, day, notebooks_id, 4, 0, 40, "", "991-12345-67")?;
    demo.order(conn, day, notebooks_id, 7, 1, 10, "860,00", "")?;
    demo.order(conn, day, displays_id, 4, 2, 300, "", "DigitalPakt")?;
    demo.order(conn, day, displays_id, 5, 0, 120, "2900,00", "")?;
    demo.order(conn, day, licences_id, 1, 0, 250, "", "")?;
    demo.order(conn, day, licences_id, 6, 1, 75, "", "")?;
    let early = Duration::days(-5);
    demo.order(conn, early, firewalls_id, 4, 0, 4, "", "")?;
    demo.order(conn, early, firewalls_id, 9, 1, 2, "", "")?;

    // Lots further on: one confirmed, one in its standstill period, one cancelled.
    let headsets = lot(
        "Headsets für Homeoffice-Arbeitsplätze",
        "Schnurloses Headset, USB-C-Dongle, zertifiziert für gängige Konferenzsysteme.",
        Category::Devices,
        "Stück",
        10,
        200,
        Some("129.00"),
        Duration::days(-30),
        Duration::days(-25),
        &[(500, "99.00"), (1000, "89.00")],
    )?;
    // The headsets are a framework agreement: members call off more for two years.
    let headsets = LotTermsInput {
        framework: Some(crate::domain::lot::FrameworkTerms {
            term_months: 24,
            max_quantity: 5000,
        }),
        ..headsets
    };
    let docks = lot(
        "USB-C-Dockingstationen",
        "Dockingstation USB-C, 2 × DisplayPort, Gigabit-LAN, 100 W Power Delivery.",
        Category::Devices,
        "Stück",
        1,
        100,
        Some("219.00"),
        Duration::days(-10),
        Duration::days(-5),
        &[],
    )?;
    let beamer = lot(
        "Beamer für Klassenräume",
        "Kurzdistanz-Beamer, 4.000 ANSI-Lumen, WXGA.",
        Category::Devices,
        "Stück",
        1,
        300,
        Some("899.00"),
        Duration::days(20),
        Duration::days(30),
        &[],
    )?;
    let headsets_id = demo.lot(conn, Duration::days(-45), &headsets, &all[..3])?;
    let docks_id = demo.lot(conn, Duration::days(-20), &docks, &all)?;
    let beamer_id = demo.lot(conn, Duration::days(-4), &beamer, &all)?;
    let month = Duration::days(-40);
    demo.order(conn, month, headsets_id, 1, 0, 400, "", "Homeoffice 2026")?;
    demo.order(conn, month, headsets_id, 3, 1, 250, "95,00", "")?;
    demo.order(conn, month, headsets_id, 5, 2, 180, "", "")?;
    demo.order(conn, month, headsets_id, 8, 0, 60, "80,00", "")?;
    let weeks = Duration::days(-15);
    demo.order(conn, weeks, docks_id, 2, 0, 90, "", "")?;
    demo.order(conn, weeks, docks_id, 10, 1, 45, "199,00", "")?;
    demo.order(conn, Duration::days(-3), beamer_id, 6, 0, 20, "", "")?;

    use PricingMode::{AllUnits, Graduated};
    let headsets_quotes: [(usize, PricingMode, TierRows, i64); 3] = [
        (
            0,
            AllUnits,
            &[("10", "109.00"), ("500", "94.00"), ("800", "86.50")],
            -27,
        ),
        (
            1,
            Graduated,
            &[("10", "105.00"), ("300", "92.00"), ("600", "84.00")],
            -26,
        ),
        (2, AllUnits, &[("100", "99.00")], -26),
    ];
    for (supplier, pricing, rows, days) in headsets_quotes {
        demo.quote(
            conn,
            Duration::days(days),
            headsets_id,
            supplier,
            pricing,
            rows,
        )?;
    }
    let docks_quotes: [(usize, TierRows, i64); 2] = [
        (0, &[("1", "205.00"), ("100", "189.00")], -7),
        (3, &[("1", "199.00"), ("120", "179.00")], -6),
    ];
    for (supplier, rows, days) in docks_quotes {
        demo.quote(
            conn,
            Duration::days(days),
            docks_id,
            supplier,
            AllUnits,
            rows,
        )?;
    }
    demo.open_and_award(conn, Duration::days(-20), headsets_id)?;
    demo.open_and_award(conn, Duration::days(-3), docks_id)?;
    // What the server does by itself: confirm after the standstill, close past deadlines.
    let ctx = demo.ctx(Duration::zero());
    crate::app::closing::confirm_due_lots(conn, &ctx)?;
    demo.calloff(conn, headsets_id, 5, 1, 50, "Nachbestellung Homeoffice")?;
    crate::app::closing::close_due_lots(conn, now).map_err(failed)?;
    crate::app::closing::with_reason(
        conn,
        &ctx,
        &demo.staff,
        beamer_id,
        crate::app::closing::WithReason::Cancel,
        "Der Bedarf wird über den Landesrahmenvertrag gedeckt.",
    )
    .map_err(failed)?;
    Ok(people.accounts)
}

/// A quote's tiers as typed into the form: (from quantity, unit price).
type TierRows = &'static [(&'static str, &'static str)];

fn failed(e: impl std::fmt::Display) -> DemoError {
    DemoError::Procurement(e.to_string())
}

/// Seeds lots through the product's own operations, each at its moment in the demo's past,
/// so what the demo shows is what those operations produce (receipts, audit entries,
/// emails).
struct Seeder {
    mail: crate::mail::MailContext,
    now: DateTime<Utc>,
    staff: Actor,
    second_staff: Actor,
    members: Vec<people::DemoMember>,
    suppliers: Vec<people::DemoSupplier>,
}

impl Seeder {
    /// The operations' context at `offset` from now.
    fn ctx(&self, offset: Duration) -> Ctx {
        Ctx {
            now: self.now + offset,
            mail: self.mail.clone(),
        }
    }

    fn draft(
        &self,
        conn: &mut DbConnection,
        at: Duration,
        terms: &LotTermsInput,
        invited: &[usize],
    ) -> Result<LotId, DemoError> {
        let invited: Vec<SupplierId> = invited.iter().map(|i| self.suppliers[*i].id).collect();
        lot_admin::create(conn, &self.ctx(at), &self.staff, terms, &invited, None).map_err(failed)
    }

    /// A lot created and opened for orders at `at`.
    fn lot(
        &self,
        conn: &mut DbConnection,
        at: Duration,
        terms: &LotTermsInput,
        invited: &[usize],
    ) -> Result<LotId, DemoError> {
        let id = self.draft(conn, at, terms, invited)?;
        lot_admin::open(conn, &self.ctx(at), &self.staff, id).map_err(failed)?;
        Ok(id)
    }

    #[allow(clippy::too_many_arguments)]
    fn order(
        &self,
        conn: &mut DbConnection,
        at: Duration,
        lot: LotId,
        member: usize,
        site: usize,
        quantity: u64,
        limit: &str,
        reference: &str,
    ) -> Result<(), DemoError> {
        let people::DemoMember { buyer, sites, .. } = &self.members[member];
        let request = ordering::OrderRequest {
            quantity: quantity.to_string(),
            site: sites[site % sites.len()].to_string(),
            max_unit_price: limit.to_string(),
            reference: reference.to_string(),
        };
        let key = format!("demo-{lot}-{member}-{site}");
        let order = ordering::prepare(conn, &self.ctx(at), buyer, lot, &request, &key);
        order
            .and_then(|order| ordering::store(conn, &order))
            .map_err(failed)
    }

    fn calloff(
        &self,
        conn: &mut DbConnection,
        lot: LotId,
        member: usize,
        site: usize,
        quantity: u64,
        reference: &str,
    ) -> Result<(), DemoError> {
        let people::DemoMember { buyer, sites, .. } = &self.members[member];
        let request = crate::app::frameworks::CallOffRequest {
            quantity: quantity.to_string(),
            site: sites[site % sites.len()].to_string(),
            reference: reference.to_string(),
        };
        let key = format!("demo-calloff-{lot}-{member}-{site}");
        crate::app::frameworks::place(
            conn,
            &self.ctx(Duration::zero()),
            buyer,
            lot,
            &request,
            &key,
        )
        .map(|_| ())
        .map_err(failed)
    }

    fn quote(
        &self,
        conn: &mut DbConnection,
        at: Duration,
        lot: LotId,
        supplier: usize,
        pricing: PricingMode,
        rows: &[(&str, &str)],
    ) -> Result<(), DemoError> {
        let valid_until = (self.now + Duration::days(90)).date_naive().to_string();
        let form = QuoteForm {
            pricing: pricing.as_str(),
            rows: rows.to_vec(),
            csv: "",
            file: "",
            max_quantity: "",
            lead_time_days: "21",
            valid_until: &valid_until,
            comment: "",
        };
        quotes::submit(
            conn,
            &self.ctx(at),
            &self.suppliers[supplier].user,
            lot,
            &form,
        )
        .map(|_| ())
        .map_err(failed)
    }

    /// Two staff members open the quotes; the first awards the top-ranked one.
    fn open_and_award(
        &self,
        conn: &mut DbConnection,
        at: Duration,
        lot: LotId,
    ) -> Result<(), DemoError> {
        let ctx = self.ctx(at);
        for staff in [&self.staff, &self.second_staff] {
            opening::open_quotes(conn, &ctx, staff, lot).map_err(failed)?;
        }
        let Some(row) = lots::find(conn, lot)? else {
            return Err(failed(format!("lot {lot} missing")));
        };
        let built = crate::app::scenario::lot_scenario(conn, &row, None)?;
        let top = crate::domain::pricing::evaluate(&built.scenario)
            .award
            .and_then(|a| built.quotes.get(a.quote).map(|q| q.quote))
            .ok_or_else(|| failed(format!("lot {lot} has no quote to award")))?;
        award::award(
            conn,
            &ctx,
            &self.staff,
            lot,
            &award::AwardRequest {
                quote: top.to_string(),
                justification: String::new(),
            },
        )?;
        Ok(())
    }
}
