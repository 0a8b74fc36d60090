//! A realistic demo cooperative for an empty database: staff, members with delivery sites
//! and buyers, suppliers, and lots in every state that exists so far.

use crate::db::procurement as procurement_store;
use crate::db::{self, lots, orders, orgs, users, DbConnection};
use crate::domain::account::{Language, Role};
use crate::domain::lot::{Category, IndicativeTier, LotStatus, LotTermsInput, OrderInput};
use crate::domain::money::{UnitPrice, VatRate};
use crate::domain::pricing::{PricingMode, Tier, TierTable};
use crate::domain::quote::{sha256_hex, QuoteInput};
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

const MEMBERS: [(&str, &str, &[&str]); 12] = [
    (
        "KRZ Minden-Ravensberg/Lippe",
        "Lemgo",
        &[
            "Kreishaus Detmold",
            "Stadt Bad Salzuflen",
            "Gesamtschule Lemgo",
        ],
    ),
    (
        "ITK Rheinland",
        "Neuss",
        &[
            "Stadtverwaltung Neuss",
            "Stadt Dormagen",
            "Berufskolleg Neuss",
        ],
    ),
    (
        "regio iT Aachen",
        "Aachen",
        &[
            "Stadt Aachen",
            "StädteRegion Aachen",
            "Schulzentrum Eschweiler",
            "Stadt Gütersloh",
        ],
    ),
    (
        "Südwestfalen-IT",
        "Hemer",
        &["Kreis Soest", "Stadt Iserlohn", "Märkischer Kreis"],
    ),
    (
        "Dataport",
        "Altenholz",
        &[
            "Freie und Hansestadt Hamburg",
            "Land Schleswig-Holstein",
            "Bremen Schulen",
            "Sachsen-Anhalt",
        ],
    ),
    (
        "ekom21 Hessen",
        "Gießen",
        &["Landkreis Gießen", "Stadt Kassel", "Stadt Darmstadt"],
    ),
    (
        "AKDB Bayern",
        "München",
        &["Landratsamt Rosenheim", "Stadt Landshut"],
    ),
    (
        "Komm.ONE",
        "Stuttgart",
        &[
            "Stadt Heilbronn",
            "Landkreis Esslingen",
            "Stadt Freiburg",
            "Ortenaukreis",
            "Stadt Ulm",
        ],
    ),
    (
        "KDO Oldenburg",
        "Oldenburg",
        &["Stadt Oldenburg", "Landkreis Ammerland"],
    ),
    (
        "civitec Siegburg",
        "Siegburg",
        &["Rhein-Sieg-Kreis", "Stadt Troisdorf"],
    ),
    (
        "GKD Recklinghausen",
        "Recklinghausen",
        &["Kreis Recklinghausen", "Stadt Marl", "Stadt Dorsten"],
    ),
    ("KAAW Unna", "Unna", &["Kreis Unna", "Stadt Kamen"]),
];

const SUPPLIERS: [&str; 4] = [
    "Bechtle Öffentliche Auftraggeber GmbH",
    "Cancom Public GmbH",
    "Computacenter Public Sector AG",
    "Dr. Schönfeld Systemhaus GmbH",
];

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
    // Hashing is slow on purpose: do it before the transaction, once per account.
    db::transaction(conn, |conn| seed_in_transaction(conn, mail, now))
}

fn seed_in_transaction(
    conn: &mut DbConnection,
    mail: &crate::mail::MailContext,
    now: DateTime<Utc>,
) -> Result<Vec<DemoAccount>, DemoError> {
    let ts = now.naive_utc();
    let mut accounts = Vec::new();
    let mut add_user = |conn: &mut DbConnection,
                        email: String,
                        name: &str,
                        role: Role,
                        member_id: Option<i64>,
                        supplier_id: Option<i64>,
                        organisation: &str|
     -> Result<i64, DemoError> {
        let hash = password::hash(DEMO_PASSWORD).map_err(DemoError::Hash)?;
        let id = users::insert(
            conn,
            &users::NewUser {
                email: &email,
                name,
                password_hash: &hash,
                role: role.as_str(),
                member_id,
                supplier_id,
                language: Language::De.as_str(),
                active: true,
                created_at: ts,
                updated_at: ts,
            },
        )?;
        accounts.push(DemoAccount {
            email,
            role: role.as_str(),
            organisation: organisation.to_string(),
        });
        Ok(id)
    };

    let staff = add_user(
        conn,
        "einkauf@sammelkauf.example".into(),
        "Petra Vogel",
        Role::Staff,
        None,
        None,
        "Genossenschaft",
    )?;
    let second_staff = add_user(
        conn,
        "vergabe@sammelkauf.example".into(),
        "Jonas Brandt",
        Role::Staff,
        None,
        None,
        "Genossenschaft",
    )?;

    let mut members = Vec::new();
    for (i, (name, city, sites)) in MEMBERS.iter().enumerate() {
        let domain = format!("{}.example", slug(name));
        let member = orgs::insert_member(conn, name, city, &format!("beschaffung@{domain}"), ts)?;
        let mut site_ids = Vec::new();
        for site in *sites {
            site_ids.push(orgs::insert_site(conn, member, site, city, ts)?);
        }
        let buyer = add_user(
            conn,
            format!("einkauf@{domain}"),
            "Einkauf",
            Role::Buyer,
            Some(member),
            None,
            name,
        )?;
        if i % 3 == 0 {
            add_user(
                conn,
                format!("it-beschaffung@{domain}"),
                "IT-Beschaffung",
                Role::Buyer,
                Some(member),
                None,
                name,
            )?;
        }
        members.push((member, buyer, site_ids));
    }
    let mut suppliers = Vec::new();
    for name in SUPPLIERS {
        let domain = format!("{}.example", slug(name));
        let supplier = orgs::insert_supplier(conn, name, &format!("angebote@{domain}"), ts)?;
        add_user(
            conn,
            format!("vertrieb@{domain}"),
            "Vertrieb",
            Role::Supplier,
            None,
            Some(supplier),
            name,
        )?;
        suppliers.push(supplier);
    }

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
    let all_suppliers: Vec<i64> = suppliers.clone();
    let notebooks_id = lots::insert(conn, &notebooks, &all_suppliers, staff, ts)?;
    let displays_id = lots::insert(conn, &displays, &all_suppliers[..3], staff, ts)?;
    let licences_id = lots::insert(conn, &licences, &all_suppliers[1..], staff, ts)?;
    let firewalls_id = lots::insert(conn, &firewalls, &all_suppliers[..2], staff, ts)?;
    lots::insert(conn, &ipads, &all_suppliers, staff, ts)?;
    for id in [notebooks_id, displays_id, licences_id, firewalls_id] {
        lots::transition(conn, id, LotStatus::Draft, LotStatus::Open, ts)?;
    }

    let place = |conn: &mut DbConnection,
                 lot: i64,
                 m: usize,
                 site: usize,
                 quantity: u64,
                 limit: Option<&str>,
                 reference: &str|
     -> Result<(), DemoError> {
        let (member, buyer, sites) = &members[m];
        let input = OrderInput {
            quantity,
            max_unit_price: limit.map(price).transpose()?,
            reference: reference.into(),
        };
        let key = format!("demo-{lot}-{m}-{site}");
        orders::insert(
            conn,
            &orders::NewLine {
                lot,
                member: *member,
                site: sites[site % sites.len()],
                input: &input,
                idempotency_key: &key,
                placed_by: *buyer,
                now: ts,
            },
        )?;
        Ok(())
    };
    place(conn, notebooks_id, 0, 0, 120, None, "KST 4711")?;
    place(
        conn,
        notebooks_id,
        0,
        2,
        60,
        Some("880.00"),
        "Schulträger Lemgo",
    )?;
    place(conn, notebooks_id, 2, 2, 150, None, "")?;
    place(conn, notebooks_id, 4, 0, 40, None, "991-12345-67")?;
    place(conn, notebooks_id, 7, 1, 10, Some("860.00"), "")?;
    place(conn, displays_id, 4, 2, 300, None, "DigitalPakt")?;
    place(conn, displays_id, 5, 0, 120, Some("2900.00"), "")?;
    place(conn, licences_id, 1, 0, 250, None, "")?;
    place(conn, licences_id, 6, 1, 75, None, "")?;
    place(conn, firewalls_id, 4, 0, 4, None, "")?;
    place(conn, firewalls_id, 9, 1, 2, None, "")?;
    // The firewall lot's demand deadline has passed: it is closed.
    lots::transition(conn, firewalls_id, LotStatus::Open, LotStatus::Closed, ts)?;

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
    let headsets_id = lots::insert(conn, &headsets, &all_suppliers[..3], staff, ts)?;
    let docks_id = lots::insert(conn, &docks, &all_suppliers, staff, ts)?;
    let beamer_id = lots::insert(conn, &beamer, &all_suppliers, staff, ts)?;
    for id in [headsets_id, docks_id, beamer_id] {
        lots::transition(conn, id, LotStatus::Draft, LotStatus::Open, ts)?;
    }
    place(conn, headsets_id, 1, 0, 400, None, "Homeoffice 2026")?;
    place(conn, headsets_id, 3, 1, 250, Some("95.00"), "")?;
    place(conn, headsets_id, 5, 2, 180, None, "")?;
    place(conn, headsets_id, 8, 0, 60, Some("80.00"), "")?;
    place(conn, docks_id, 2, 0, 90, None, "")?;
    place(conn, docks_id, 10, 1, 45, Some("199.00"), "")?;
    place(conn, beamer_id, 6, 0, 20, None, "")?;

    let quote = |conn: &mut DbConnection,
                 lot: i64,
                 supplier_index: usize,
                 pricing: PricingMode,
                 rows: &[(u64, &str)],
                 at: DateTime<Utc>|
     -> Result<(), DemoError> {
        let supplier = suppliers[supplier_index];
        let tiers = rows
            .iter()
            .map(|&(min_quantity, p)| {
                Ok(Tier {
                    min_quantity,
                    unit_price: price(p)?,
                })
            })
            .collect::<Result<Vec<_>, DemoError>>()?;
        let input = QuoteInput {
            pricing,
            tiers: TierTable::new(tiers).map_err(|e| DemoError::Procurement(e.to_string()))?,
            max_quantity: None,
            lead_time_days: 21,
            valid_until: (now + Duration::days(90)).date_naive(),
            comment: String::new(),
        };
        let revision = procurement_store::next_revision(conn, lot, supplier)?;
        let digest = sha256_hex(&input.canonical(lot, supplier, revision, at));
        procurement_store::insert_quote(
            conn,
            &procurement_store::NewQuote {
                lot,
                supplier,
                revision,
                input: &input,
                receipt_number: &format!("SK-{lot}-{supplier}-R{revision}-DEMO"),
                digest: &digest,
                submitted_by: staff,
                now: at.naive_utc(),
            },
        )?;
        Ok(())
    };
    quote(
        conn,
        headsets_id,
        0,
        PricingMode::AllUnits,
        &[(10, "109.00"), (500, "94.00"), (800, "86.50")],
        now - Duration::days(27),
    )?;
    quote(
        conn,
        headsets_id,
        1,
        PricingMode::Graduated,
        &[(10, "105.00"), (300, "92.00"), (600, "84.00")],
        now - Duration::days(26),
    )?;
    quote(
        conn,
        headsets_id,
        2,
        PricingMode::AllUnits,
        &[(100, "99.00")],
        now - Duration::days(26),
    )?;
    quote(
        conn,
        docks_id,
        0,
        PricingMode::AllUnits,
        &[(1, "205.00"), (100, "189.00")],
        now - Duration::days(7),
    )?;
    quote(
        conn,
        docks_id,
        3,
        PricingMode::AllUnits,
        &[(1, "199.00"), (120, "179.00")],
        now - Duration::days(6),
    )?;

    for (lot_id, awarded_at) in [
        (headsets_id, now - Duration::days(20)),
        (docks_id, now - Duration::days(3)),
    ] {
        let at = awarded_at.naive_utc();
        lots::transition(conn, lot_id, LotStatus::Open, LotStatus::Closed, at)?;
        procurement_store::request_opening(conn, lot_id, staff, at)?;
        procurement_store::confirm_opening(conn, lot_id, second_staff, at)?;
        lots::transition(conn, lot_id, LotStatus::Closed, LotStatus::Evaluated, at)?;
        let Some(row) = lots::find(conn, lot_id)? else {
            continue;
        };
        let built = crate::app::scenario::lot_scenario(conn, &row, None)?;
        let top = crate::domain::pricing::evaluate(&built.scenario)
            .award
            .and_then(|a| built.quotes.get(a.quote).map(|(id, _)| *id));
        if let Some(top) = top {
            let ctx = crate::app::Ctx {
                now: awarded_at,
                mail: mail.clone(),
            };
            let actor = users::find(conn, staff)?
                .map(|u| crate::app::Actor::from_account(&u))
                .ok_or_else(|| DemoError::Procurement("staff account missing".into()))?;
            crate::app::award::award(
                conn,
                &ctx,
                &actor,
                lot_id,
                &crate::app::award::AwardRequest {
                    quote: top.to_string(),
                    justification: String::new(),
                },
            )?;
        }
    }
    // The headsets' standstill has ended: confirmed as the server would.
    crate::app::closing::confirm_due_lots(
        conn,
        &crate::app::Ctx {
            now,
            mail: mail.clone(),
        },
    )?;
    lots::transition(conn, beamer_id, LotStatus::Open, LotStatus::Cancelled, ts)?;
    procurement_store::set_outcome_reason(
        conn,
        beamer_id,
        "Der Bedarf wird über den Landesrahmenvertrag gedeckt.",
    )?;
    Ok(accounts)
}
