//! Generated hostile form submissions over every POST route, as every role and with valid
//! form tokens (so validation is reached): no answer is a server error, and a refused
//! request changes no lot's bundle. `FUZZ_CASES` sets how many (default 1,500).

use crate::helpers::*;
use crate::procurement::ordered_lot;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use sammelkauf::db::lots;

/// Values that have broken forms before, or could: empty, huge, negative, not numbers,
/// control characters, markup, other people's ids, very long text.
fn hostile(rng: &mut StdRng, ids: &[i64]) -> String {
    let id = ids[rng.gen_range(0..ids.len())].to_string();
    let choices: [&dyn Fn(&mut StdRng) -> String; 18] = [
        &|_| String::new(),
        &|_| "0".into(),
        &|_| "-1".into(),
        &|_| "79228162514264337593543950335".into(),
        &|_| "99999999999999999999999999999999999999".into(),
        &|_| "1e308".into(),
        &|_| "NaN".into(),
        &|_| "1.000.000,0001".into(),
        &|_| "0,00001".into(),
        &|_| "  12  ".into(),
        &|_| "<script>alert(1)</script>".into(),
        &|_| "'; DROP TABLE lots; --".into(),
        &|_| "=HYPERLINK(\"http://x\")".into(),
        &|_| "Zeile\r\nBcc: x@y.example".into(),
        &|_| "ÄÖÜß€ 😀".into(),
        &|rng| "x".repeat(rng.gen_range(1_000..100_000)),
        &|_| "2026-13-45T25:61".into(),
        &|rng| rng.gen_range(-5i64..10_000).to_string(),
    ];
    if rng.gen_bool(0.15) {
        return id;
    }
    choices[rng.gen_range(0..choices.len())](rng)
}

/// Every POST route with the fields its form has; `{lot}`, `{line}` and `{id}` are filled
/// with real and foreign ids.
const ROUTES: &[(&str, &[&str])] = &[
    ("/login", &["email", "password"]),
    ("/language", &["lang", "back"]),
    ("/password-reset", &["email"]),
    ("/password/{token}", &["password", "repeat"]),
    (
        "/lots/{lot}/orders",
        &[
            "quantity",
            "site",
            "max_unit_price",
            "reference",
            "idempotency_key",
        ],
    ),
    (
        "/lots/{lot}/orders/{line}",
        &["quantity", "site", "max_unit_price", "reference"],
    ),
    ("/lots/{lot}/orders/{line}/cancel", &[]),
    (
        "/admin/lots",
        &[
            "title",
            "specification",
            "category",
            "unit",
            "order_increment",
            "min_total_quantity",
            "list_unit_price",
            "vat_rate",
            "demand_deadline",
            "quote_deadline",
            "standstill_days",
            "invite",
            "tier_min",
            "tier_price",
            "kind",
            "term_months",
            "max_quantity",
        ],
    ),
    (
        "/admin/lots/{lot}",
        &[
            "title",
            "order_increment",
            "list_unit_price",
            "vat_rate",
            "demand_deadline",
            "quote_deadline",
            "standstill_days",
            "tier_min",
            "tier_price",
        ],
    ),
    ("/admin/lots/{lot}/open", &[]),
    ("/admin/lots/{lot}/invite", &["invite"]),
    (
        "/lots/{lot}/quotes",
        &[
            "pricing",
            "tier_min",
            "tier_price",
            "csv",
            "max_quantity",
            "lead_time_days",
            "valid_until",
            "comment",
        ],
    ),
    ("/admin/lots/{lot}/opening", &[]),
    ("/admin/lots/{lot}/award", &["quote", "justification"]),
    ("/admin/lots/{lot}/revoke", &["reason"]),
    ("/admin/lots/{lot}/cancel", &["reason"]),
    ("/admin/members", &["name", "city", "contact_email"]),
    ("/admin/members/{id}", &["name", "city", "contact_email"]),
    ("/admin/members/{id}/sites", &["name", "address", "active"]),
    ("/admin/sites/{id}", &["name", "address", "active"]),
    ("/admin/suppliers", &["name", "contact_email"]),
    ("/admin/suppliers/{id}", &["name", "contact_email"]),
    (
        "/admin/users",
        &[
            "email",
            "name",
            "role",
            "organisation",
            "language",
            "active",
        ],
    ),
    (
        "/admin/users/{id}",
        &[
            "email",
            "name",
            "role",
            "organisation",
            "language",
            "active",
        ],
    ),
    ("/admin/users/{id}/confirm-staff", &[]),
    ("/admin/outbox/{id}/resend", &[]),
    (
        "/lots/{lot}/calloffs/preview",
        &["quantity", "site", "reference", "idempotency_key"],
    ),
    (
        "/lots/{lot}/calloffs",
        &["quantity", "site", "reference", "idempotency_key"],
    ),
    ("/admin/lots/{lot}/framework/end", &["reason"]),
    ("/account/calendar", &[]),
    ("/lots/{lot}/calloffs/upload", &["csv_text", "csv_file"]),
    ("/lots/{lot}/calloffs/upload/confirm", &["csv"]),
    (
        "/organisation/sites",
        &["name", "address", "code", "active"],
    ),
    (
        "/organisation/sites/{id}",
        &["name", "address", "code", "active"],
    ),
    ("/organisation/users", &["name", "email", "language"]),
    ("/organisation/users/{id}/active", &["active"]),
    ("/admin/users/{id}/member-admin", &["admin"]),
    ("/lots/{lot}/orders/upload", &["csv_text", "csv_file"]),
    ("/lots/{lot}/orders/upload/confirm", &["csv"]),
    ("/account/calendar/revoke", &[]),
];

fn bundles(app: &TestApp, lots: &[sammelkauf::domain::ids::LotId]) -> Vec<(u64, u64)> {
    let mut conn = app.pool.get().expect("conn");
    lots.iter()
        .map(|lot| sammelkauf::db::bundles::totals(&mut conn, *lot).expect("totals"))
        .collect()
}

#[tokio::test]
async fn generated_hostile_forms_on_every_route_never_fail_the_server() {
    let cases: usize = std::env::var("FUZZ_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1_500);
    let seed: u64 = std::env::var("FUZZ_SEED")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or_else(|| rand::thread_rng().gen());
    eprintln!("fuzz: {cases} cases, FUZZ_SEED={seed}");
    let mut rng = StdRng::seed_from_u64(seed);
    let app = spawn_app().await;
    let cycle = ordered_lot(&app).await;
    let all_lots: Vec<sammelkauf::domain::ids::LotId> = {
        let mut conn = app.pool.get().expect("conn");
        lots::list_all(&mut conn)
            .expect("lots")
            .iter()
            .map(|l| l.id)
            .collect()
    };
    let lines: Vec<i64> = stored_lines(&app, cycle.lot)
        .iter()
        .map(|l| l.id.get())
        .collect();
    let mut ids: Vec<i64> = vec![0, -1, 1, 2, 3, i64::MAX];
    ids.extend(all_lots.iter().map(|l| l.get()));
    ids.extend(&lines);
    let accounts = [
        "staff@coop.example",
        "buyer-a@krz.example",
        "buyer-b@itk.example",
        "sales@systemhaus.example",
    ];
    let mut browsers = Vec::new();
    for email in accounts {
        let mut browser = Browser::new(&app);
        browser.login(email).await;
        browsers.push((Some(email), browser));
    }
    let mut anonymous = Browser::new(&app);
    anonymous.get("/login").await;
    browsers.push((None, anonymous));

    let mut refused = 0;
    let mut statuses = std::collections::BTreeMap::<u16, usize>::new();
    for case in 0..cases {
        let (route, fields) = ROUTES[rng.gen_range(0..ROUTES.len())];
        let pick = |rng: &mut StdRng, choices: &[i64]| choices[rng.gen_range(0..choices.len())];
        let path = route
            .replace("{lot}", &pick(&mut rng, &ids).to_string())
            .replace("{line}", &pick(&mut rng, &ids).to_string())
            .replace("{id}", &pick(&mut rng, &ids).to_string())
            .replace("{token}", &"ab".repeat(32));
        let mut form: Vec<(String, String)> = Vec::new();
        for field in fields {
            if rng.gen_bool(0.9) {
                form.push((field.to_string(), hostile(&mut rng, &ids)));
            }
        }
        if rng.gen_bool(0.1) {
            form.push((hostile(&mut rng, &ids), hostile(&mut rng, &ids)));
        }
        // Mostly the role the form is for, so its checks are reached; sometimes anyone.
        let natural = if route.starts_with("/admin") {
            Some(0)
        } else if route.contains("/orders") || route.contains("/calloffs") {
            Some(rng.gen_range(1..3))
        } else if route.contains("/quotes") {
            Some(3)
        } else {
            None
        };
        let who = match natural {
            Some(who) if rng.gen_bool(0.75) => who,
            _ => rng.gen_range(0..browsers.len()),
        };
        let before = bundles(&app, &all_lots);
        let (email, browser) = &mut browsers[who];
        let pairs: Vec<(&str, &str)> = form.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        let answer = browser.post(&path, &pairs).await;
        assert!(
            answer.status < 500,
            "case {case} (FUZZ_SEED={seed}): POST {path} as {email:?} with {:?} answered {}",
            form.iter()
                .map(|(k, v)| (k, v.chars().take(60).collect::<String>()))
                .collect::<Vec<_>>(),
            answer.status
        );
        *statuses.entry(answer.status).or_default() += 1;
        if answer.status >= 400 {
            refused += 1;
            assert_eq!(
                bundles(&app, &all_lots),
                before,
                "case {case} (FUZZ_SEED={seed}): refused POST {path} changed a bundle"
            );
        }
        // A signed-out browser (its session ended by what it sent) signs in again.
        if answer.location.as_deref() == Some("/login") {
            if let Some(email) = email {
                let mut fresh = Browser::new(&app);
                fresh.get("/login").await;
                let again = fresh
                    .post("/login", &[("email", email), ("password", PASSWORD)])
                    .await;
                if again.status == 303 {
                    fresh.get("/lots").await;
                    *browser = fresh;
                }
            }
        }
        if rng.gen_bool(0.2) {
            browser.get("/lots").await;
        }
    }
    eprintln!("fuzz: answers by status {statuses:?}");
    // Most requests must get past the form token to the checks behind it.
    let forged = statuses.get(&403).copied().unwrap_or(0);
    assert!(
        forged < cases / 3,
        "{forged} of {cases} refused as forbidden: {statuses:?}"
    );
    assert!(
        refused > cases / 4,
        "only {refused} of {cases} refused: not hostile enough"
    );
}
