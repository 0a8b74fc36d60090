//! The award of a lot of 100,000 order lines from 50 members with 10 quotes, through the
//! real operation on a real database: the engine run, every line's and member's result
//! stored, every email queued, in one transaction. Also the evaluation page's data.
//!
//! Run: `cargo bench --bench award` (`BENCH_DATABASE_URL` is not used: each award needs a
//! fresh copy of the evaluated lot, which is an SQLite file copy).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use chrono::{Duration, TimeZone, Utc};
use criterion::{criterion_group, criterion_main, BatchSize, Criterion};
use sammelkauf::app::award::{self, AwardRequest};
use sammelkauf::app::{Actor, Ctx};
use sammelkauf::db::procurement as store;
use sammelkauf::db::{self, lots, orders, orgs, quotes, users, Backend, DbConnection, Pool};
use sammelkauf::domain::account::Role;
use sammelkauf::domain::lot::{Category, LotStatus, LotTermsInput, OrderInput};
use sammelkauf::domain::money::{UnitPrice, VatRate};
use sammelkauf::domain::pricing::{PricingMode, Tier, TierTable};
use sammelkauf::domain::quote::QuoteInput;
use std::path::{Path, PathBuf};

const LINES: usize = 100_000;
const MEMBERS: usize = 50;
const QUOTES: usize = 10;

fn price(units: i64) -> UnitPrice {
    UnitPrice::from_ten_thousandths(units).expect("price")
}

fn open(path: &Path) -> Pool {
    let backend = Backend::Sqlite(path.to_string_lossy().into_owned());
    db::connect(&backend, db::default_pool_size(&backend)).expect("database")
}

/// An evaluated lot of LINES lines; answers its id, the staff actor and a quote to award.
fn seed(
    conn: &mut DbConnection,
) -> (
    sammelkauf::domain::ids::LotId,
    Actor,
    sammelkauf::domain::ids::QuoteId,
) {
    let now = Utc
        .with_ymd_and_hms(2026, 5, 1, 9, 0, 0)
        .single()
        .expect("time");
    let ts = now.naive_utc();
    db::transaction(conn, |conn| {
        let user = |conn: &mut DbConnection, email: &str, role: Role, member, supplier| {
            users::insert(
                conn,
                &users::NewUser {
                    email,
                    name: email,
                    password_hash: "!",
                    role: role.as_str(),
                    member_id: member,
                    supplier_id: supplier,
                    language: "de",
                    active: true,
                    created_at: ts,
                    updated_at: ts,
                },
            )
        };
        let staff = user(conn, "staff@coop.example", Role::Staff, None, None)?;
        let second = user(conn, "second@coop.example", Role::Staff, None, None)?;
        let mut members = Vec::new();
        for m in 0..MEMBERS {
            let member = orgs::insert_member(conn, &format!("Mitglied {m}"), "", "", ts)?;
            let site = orgs::insert_site(conn, member, "Schule", "", ts)?;
            let buyer = user(
                conn,
                &format!("b{m}@m.example"),
                Role::Buyer,
                Some(member),
                None,
            )?;
            members.push((member, site, buyer));
        }
        let mut suppliers = Vec::new();
        for s in 0..QUOTES {
            let supplier = orgs::insert_supplier(conn, &format!("Lieferant {s}"), "", ts)?;
            let person = user(
                conn,
                &format!("s{s}@l.example"),
                Role::Supplier,
                None,
                Some(supplier),
            )?;
            suppliers.push((supplier, person));
        }
        let terms = LotTermsInput {
            title: "Notebooks".into(),
            specification: String::new(),
            category: Category::Devices,
            unit: "Stück".into(),
            order_increment: 1,
            min_total_quantity: 0,
            list_unit_price: Some(price(9_990_000)),
            vat_rate: VatRate::STANDARD,
            demand_deadline: now + Duration::days(7),
            quote_deadline: now + Duration::days(14),
            standstill_days: 10,
            indicative_tiers: Vec::new(),
            framework: None,
        };
        let ids: Vec<sammelkauf::domain::ids::SupplierId> = suppliers.iter().map(|s| s.0).collect();
        let lot = lots::insert(conn, &terms, &ids, staff, ts)?;
        lots::transition(conn, lot, LotStatus::Draft, LotStatus::Open, ts)?;
        for i in 0..LINES {
            let (member, site, buyer) = members[i % MEMBERS];
            let input = OrderInput {
                quantity: 1 + (i as u64 * 7919) % 40,
                // Every tenth line has a limit some quotes do not meet.
                max_unit_price: (i % 10 == 0).then(|| price(8_500_000)),
                reference: String::new(),
            };
            let orders::Placed::New(_, change) = orders::insert(
                conn,
                &orders::NewLine {
                    lot,
                    member,
                    site,
                    input: &input,
                    idempotency_key: &format!("k{i}"),
                    placed_by: buyer,
                    now: ts,
                },
            )?
            else {
                panic!("every line has its own form key in an open lot");
            };
            assert!(orders::count_into_lot(conn, &change)?);
        }
        let mut quote_ids = Vec::new();
        for (s, (supplier, person)) in suppliers.iter().enumerate() {
            let base = 9_000_000 - s as i64 * 60_000;
            let tiers = (0..8)
                .map(|t| Tier {
                    min_quantity: 1 + t * 200_000,
                    unit_price: price(base - t as i64 * 150_000),
                })
                .collect();
            let input = QuoteInput {
                pricing: if s % 2 == 0 {
                    PricingMode::AllUnits
                } else {
                    PricingMode::Graduated
                },
                tiers: TierTable::new(tiers).expect("tiers"),
                max_quantity: None,
                lead_time_days: 21,
                valid_until: (now + Duration::days(90)).date_naive(),
                comment: String::new(),
            };
            quote_ids.push(quotes::insert_quote(
                conn,
                &quotes::NewQuote {
                    lot,
                    supplier: *supplier,
                    revision: 1,
                    input: &input,
                    receipt_number: &format!("SK-{lot}-{supplier}-R1-BENCH"),
                    digest: "",
                    submitted_by: *person,
                    now: ts,
                },
            )?);
        }
        lots::transition(conn, lot, LotStatus::Open, LotStatus::Closed, ts)?;
        store::request_opening(conn, lot, staff, ts)?;
        store::confirm_opening(conn, lot, second, ts)?;
        lots::transition(conn, lot, LotStatus::Closed, LotStatus::Evaluated, ts)?;
        let staff = users::find(conn, staff)?.expect("staff");
        Ok::<_, db::Error>((lot, Actor::from_account(&staff), quote_ids[QUOTES - 1]))
    })
    .expect("seed")
}

fn bench(c: &mut Criterion) {
    let dir: PathBuf =
        std::env::temp_dir().join(format!("sammelkauf-award-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("dir");
    let template = dir.join("evaluated.db");
    let (lot, staff, quote) = {
        let pool = open(&template);
        let mut conn = pool.get().expect("conn");
        let seeded = seed(&mut conn);
        diesel::connection::SimpleConnection::batch_execute(
            &mut *conn,
            "PRAGMA wal_checkpoint(TRUNCATE)",
        )
        .expect("checkpoint");
        seeded
    };
    let ctx = Ctx {
        now: Utc
            .with_ymd_and_hms(2026, 5, 20, 9, 0, 0)
            .single()
            .expect("time"),
        mail: sammelkauf::mail::MailContext {
            base_url: "http://127.0.0.1:8080".into(),
        },
    };
    let mut group = c.benchmark_group("lot of 100,000 lines, 50 members, 10 quotes");
    group.sample_size(10);
    {
        let pool = open(&template);
        group.bench_function("evaluation page data", |b| {
            b.iter(|| {
                let mut conn = pool.get().expect("conn");
                let data = award::evaluation(&mut conn, &staff, lot).expect("evaluation");
                assert!(data.can_award);
            })
        });
    }
    let mut copy = 0;
    group.bench_function("award: engine, results stored, emails queued", |b| {
        b.iter_batched(
            || {
                copy += 1;
                let path = dir.join(format!("award-{copy}.db"));
                std::fs::copy(&template, &path).expect("copy");
                open(&path)
            },
            |pool| {
                let mut conn = pool.get().expect("conn");
                let done = award::award(
                    &mut conn,
                    &ctx,
                    &staff,
                    lot,
                    &AwardRequest {
                        quote: quote.to_string(),
                        justification: "Benchmark: eine andere Wertung".into(),
                    },
                )
                .expect("award");
                assert!(matches!(done, award::Awarded::Awarded { .. }), "{done:?}");
            },
            BatchSize::PerIteration,
        )
    });
    group.finish();
    let _ = std::fs::remove_dir_all(&dir);
}

criterion_group!(benches, bench);
criterion_main!(benches);
