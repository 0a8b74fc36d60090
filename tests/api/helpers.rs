//! Starting the application for a test, and a browser-like client.

use chrono::{TimeZone, Utc};
use diesel::connection::SimpleConnection;
use diesel::Connection;
use rand::Rng;
use sammelkauf::clock::ManualClock;
use sammelkauf::config::Settings;
use sammelkauf::db::{lots, orgs, users, Pool};
use sammelkauf::domain::account::Role;
use sammelkauf::domain::lot::{Category, IndicativeTier, LotStatus, LotTermsInput};
use sammelkauf::domain::money::{UnitPrice, VatRate};
use sammelkauf::startup::Application;
use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, LazyLock};

pub const PASSWORD: &str = "richtig-langes-passwort";

/// One hash for every test account: hashing is slow on purpose.
static PASSWORD_HASH: LazyLock<String> =
    LazyLock::new(|| sammelkauf::password::hash(PASSWORD).expect("hash"));

/// A throwaway database, removed when the test ends.
pub enum TestDb {
    Sqlite(PathBuf),
    Postgres {
        admin_url: String,
        name: String,
        dir: PathBuf,
    },
}

impl Drop for TestDb {
    fn drop(&mut self) {
        match self {
            TestDb::Sqlite(dir) => {
                let _ = std::fs::remove_dir_all(dir);
            }
            TestDb::Postgres {
                admin_url,
                name,
                dir,
            } => {
                let _ = std::fs::remove_dir_all(dir);
                if let Ok(mut conn) = diesel::PgConnection::establish(admin_url) {
                    let _ =
                        conn.batch_execute(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"));
                }
            }
        }
    }
}

pub struct TestApp {
    pub database_url: String,
    pub data_dir: String,
    pub mailer: sammelkauf::mail::transport::Mailer,
    pub from: lettre::message::Mailbox,
    pub address: String,
    pub mail: sammelkauf::mail::MailContext,
    pub clock: ManualClock,
    pub pool: Pool,
    pub _db: TestDb,
}

pub async fn spawn_app() -> TestApp {
    spawn_app_with(&[]).await
}

/// Starts the application with extra settings (such as `SMTP_URL`).
pub async fn spawn_app_with(extra: &[(&str, String)]) -> TestApp {
    let id: u64 = rand::thread_rng().gen();
    let dir = std::env::temp_dir().join(format!("sammelkauf-test-{id:x}"));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let (database_url, test_db) = match std::env::var("TEST_DATABASE_URL") {
        Ok(admin_url) => {
            // Loopback needs no TLS; without it no OpenSSL state is shared with the server's
            // worker threads, which outlive each test's runtime until the process exits.
            let admin_url = if admin_url.contains('?') {
                admin_url
            } else {
                format!("{admin_url}?sslmode=disable")
            };
            let name = format!("sammelkauf_test_{id:x}");
            let mut conn =
                diesel::PgConnection::establish(&admin_url).expect("connect to TEST_DATABASE_URL");
            conn.batch_execute(&format!("CREATE DATABASE {name}"))
                .expect("create test database");
            let (without_query, query) = admin_url
                .split_once('?')
                .unwrap_or((admin_url.as_str(), ""));
            let base = without_query
                .rsplit_once('/')
                .map_or(without_query, |(b, _)| b);
            let url = format!("{base}/{name}?{query}");
            (
                url,
                TestDb::Postgres {
                    admin_url,
                    name,
                    dir: dir.clone(),
                },
            )
        }
        Err(_) => (
            dir.join("test.db").to_string_lossy().into_owned(),
            TestDb::Sqlite(dir.clone()),
        ),
    };
    let vars: HashMap<&str, String> = [
        ("DATABASE_URL", database_url),
        ("BIND", "127.0.0.1:0".to_string()),
        (
            "SECRET_KEY",
            "test-secret-test-secret-test-secret-1234".to_string(),
        ),
        ("DATA_DIR", dir.join("data").to_string_lossy().into_owned()),
        ("TICK_SECONDS", "3600".to_string()),
        // Tests run the delivery worker themselves.
        ("MAIL_TICK_SECONDS", "3600".to_string()),
        // Tests move the clock by weeks while a browser stays signed in.
        ("SESSION_IDLE_MINUTES", "43200".to_string()),
        ("SESSION_MAX_HOURS", "720".to_string()),
    ]
    .into_iter()
    .chain(extra.iter().map(|(k, v)| (*k, v.clone())))
    .collect();
    let settings = Settings::from_lookup(|k| vars.get(k).cloned()).expect("settings");
    let database_url = vars["DATABASE_URL"].clone();
    let data_dir = vars["DATA_DIR"].clone();
    let clock = ManualClock::new(
        Utc.with_ymd_and_hms(2026, 6, 1, 8, 0, 0)
            .single()
            .expect("time"),
    );
    let app = Application::build(settings, Arc::new(clock.clone())).expect("build app");
    let address = format!("http://127.0.0.1:{}", app.port());
    let pool = app.pool();
    let (mailer, from) = (app.mailer(), app.mail_from());
    tokio::spawn(app.run_until_stopped());
    TestApp {
        database_url,
        data_dir,
        mailer,
        from,
        mail: sammelkauf::mail::MailContext {
            base_url: address.clone(),
        },
        address,
        clock,
        pool,
        _db: test_db,
    }
}

/// A cooperative to test with: staff, members A and B with two sites and a buyer each,
/// a supplier, and one open lot.
pub struct Fixture {
    pub lot: sammelkauf::domain::ids::LotId,
    pub draft_lot: sammelkauf::domain::ids::LotId,
    pub member_a: sammelkauf::domain::ids::MemberId,
    pub member_b: sammelkauf::domain::ids::MemberId,
    pub sites_a: Vec<sammelkauf::domain::ids::SiteId>,
    pub sites_b: Vec<sammelkauf::domain::ids::SiteId>,
    pub supplier: sammelkauf::domain::ids::SupplierId,
}

pub fn add_user(
    pool: &Pool,
    email: &str,
    role: Role,
    member: Option<sammelkauf::domain::ids::MemberId>,
    supplier: Option<sammelkauf::domain::ids::SupplierId>,
) -> sammelkauf::domain::ids::UserId {
    let mut conn = pool.get().expect("conn");
    // Before the test clock's start: the account belonged to its organisation all along.
    let now = Utc
        .with_ymd_and_hms(2026, 1, 1, 0, 0, 0)
        .single()
        .expect("time")
        .naive_utc();
    users::insert(
        &mut conn,
        &users::NewUser {
            email,
            name: email,
            password_hash: &PASSWORD_HASH,
            role: role.as_str(),
            member_id: member,
            supplier_id: supplier,
            language: "de",
            active: true,
            created_at: now,
            updated_at: now,
        },
    )
    .expect("insert user")
}

pub fn lot_terms(app: &TestApp, title: &str, increment: u64) -> LotTermsInput {
    use sammelkauf::clock::Clock;
    let now = app.clock.now();
    LotTermsInput {
        title: title.into(),
        specification: "Notebook 14 Zoll".into(),
        category: Category::Devices,
        unit: "Stück".into(),
        order_increment: increment,
        min_total_quantity: 500,
        list_unit_price: Some(UnitPrice::parse("999").expect("price")),
        vat_rate: VatRate::STANDARD,
        demand_deadline: now + chrono::Duration::days(7),
        quote_deadline: now + chrono::Duration::days(14),
        standstill_days: 10,
        indicative_tiers: vec![
            IndicativeTier {
                min_quantity: 100,
                unit_price: UnitPrice::parse("899").expect("p"),
            },
            IndicativeTier {
                min_quantity: 500,
                unit_price: UnitPrice::parse("849").expect("p"),
            },
        ],
        framework: None,
    }
}

pub fn fixture(app: &TestApp) -> Fixture {
    let pool = &app.pool;
    let mut conn = pool.get().expect("conn");
    let now = Utc::now().naive_utc();
    let member_a = orgs::insert_member(&mut conn, "KRZ Lippe", "Lemgo", "", now).expect("member");
    let member_b =
        orgs::insert_member(&mut conn, "ITK Rheinland", "Neuss", "", now).expect("member");
    let sites_a = vec![
        orgs::insert_site(&mut conn, member_a, "Gesamtschule Lemgo", "", now).expect("site"),
        orgs::insert_site(&mut conn, member_a, "Kreishaus Detmold", "", now).expect("site"),
    ];
    let sites_b = vec![
        orgs::insert_site(&mut conn, member_b, "Stadt Neuss", "", now).expect("site"),
        orgs::insert_site(&mut conn, member_b, "Stadt Dormagen", "", now).expect("site"),
    ];
    let supplier = orgs::insert_supplier(&mut conn, "Systemhaus GmbH", "", now).expect("supplier");
    let other_supplier = orgs::insert_supplier(&mut conn, "Andere AG", "", now).expect("supplier");
    drop(conn);
    let staff = add_user(pool, "staff@coop.example", Role::Staff, None, None);
    add_user(pool, "staff2@coop.example", Role::Staff, None, None);
    add_user(
        pool,
        "buyer-a@krz.example",
        Role::Buyer,
        Some(member_a),
        None,
    );
    add_user(
        pool,
        "buyer-b@itk.example",
        Role::Buyer,
        Some(member_b),
        None,
    );
    add_user(
        pool,
        "sales@systemhaus.example",
        Role::Supplier,
        None,
        Some(supplier),
    );
    add_user(
        pool,
        "sales@andere.example",
        Role::Supplier,
        None,
        Some(other_supplier),
    );
    let mut conn = pool.get().expect("conn");
    let lot = lots::insert(
        &mut conn,
        &lot_terms(app, "Notebooks", 1),
        &[supplier],
        staff,
        now,
    )
    .expect("lot");
    lots::transition(&mut conn, lot, LotStatus::Draft, LotStatus::Open, now).expect("open");
    let draft_lot = lots::insert(
        &mut conn,
        &lot_terms(app, "Entwurf Tablets", 1),
        &[supplier],
        staff,
        now,
    )
    .expect("lot");
    Fixture {
        lot,
        draft_lot,
        member_a,
        member_b,
        sites_a,
        sites_b,
        supplier,
    }
}

/// A browser: keeps cookies, does not follow redirects, knows the last form token.
pub struct Browser {
    pub client: reqwest::Client,
    jar: Arc<reqwest::cookie::Jar>,
    pub base: String,
    pub csrf: String,
}

pub struct Page {
    pub status: u16,
    pub body: String,
    pub location: Option<String>,
}

/// The value of a form field on a page.
pub fn extract_field(body: &str, name: &str) -> String {
    let marker = format!("name=\"{name}\" value=\"");
    let start = body
        .find(&marker)
        .map(|i| i + marker.len())
        .expect("field on page");
    body[start..]
        .split('"')
        .next()
        .unwrap_or_default()
        .to_string()
}

pub fn extract_csrf(body: &str) -> Option<String> {
    let marker = "name=\"csrf\" value=\"";
    let start = body.find(marker)? + marker.len();
    Some(body[start..].split('"').next()?.to_string())
}

impl Browser {
    pub fn new(app: &TestApp) -> Self {
        Self::at(&app.address)
    }

    /// A browser on another server process of the same application.
    pub fn at(address: &str) -> Self {
        Self::with_jar(address.to_string(), Arc::default(), String::new())
    }

    fn with_jar(base: String, jar: Arc<reqwest::cookie::Jar>, csrf: String) -> Self {
        Browser {
            client: reqwest::Client::builder()
                .cookie_provider(jar.clone())
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .expect("client"),
            jar,
            base,
            csrf,
        }
    }

    /// A second browser holding a copy of this one's cookies (a stolen or saved cookie).
    pub fn clone_session(&self) -> Browser {
        use reqwest::cookie::CookieStore;
        let url: reqwest::Url = self.base.parse().expect("url");
        let jar = Arc::new(reqwest::cookie::Jar::default());
        if let Some(header) = self.jar.cookies(&url) {
            for pair in header.to_str().expect("cookie header").split("; ") {
                jar.add_cookie_str(pair, &url);
            }
        }
        Self::with_jar(self.base.clone(), jar, self.csrf.clone())
    }

    async fn page(&mut self, response: reqwest::Response) -> Page {
        let status = response.status().as_u16();
        let location = response
            .headers()
            .get("location")
            .and_then(|v| v.to_str().ok())
            .map(String::from);
        let body = response.text().await.expect("body");
        if let Some(token) = extract_csrf(&body) {
            self.csrf = token;
        }
        Page {
            status,
            body,
            location,
        }
    }

    pub async fn get(&mut self, path: &str) -> Page {
        let response = self
            .client
            .get(format!("{}{path}", self.base))
            .send()
            .await
            .expect("GET");
        self.page(response).await
    }

    /// Sends a form with the current token added.
    pub async fn post(&mut self, path: &str, fields: &[(&str, &str)]) -> Page {
        let mut form: Vec<(&str, &str)> = fields.to_vec();
        let token = self.csrf.clone();
        form.push(("csrf", &token));
        self.post_raw(path, &form).await
    }

    /// Sends a form exactly as given (no token added).
    pub async fn post_raw(&mut self, path: &str, fields: &[(&str, &str)]) -> Page {
        let response = self
            .client
            .post(format!("{}{path}", self.base))
            .form(fields)
            .send()
            .await
            .expect("POST");
        self.page(response).await
    }

    pub async fn login(&mut self, email: &str) -> Page {
        self.get("/login").await;
        let page = self
            .post("/login", &[("email", email), ("password", PASSWORD)])
            .await;
        assert_eq!(page.status, 303, "login of {email} failed: {}", page.body);
        // Fetch a page to learn the new session's token.
        self.get("/lots").await;
        page
    }
}

/// The rows of a downloaded CSV below its header, each split into its fields.
pub fn csv_rows(body: &str) -> Vec<Vec<String>> {
    body.trim_start_matches('\u{feff}')
        .lines()
        .skip(1)
        .map(|l| l.split(';').map(str::to_string).collect())
        .collect()
}

/// The active lines of a lot, straight from the database.
pub fn stored_lines(
    app: &TestApp,
    lot: sammelkauf::domain::ids::LotId,
) -> Vec<sammelkauf::db::orders::OrderLineRow> {
    let mut conn = app.pool.get().expect("conn");
    sammelkauf::db::orders::active_lines(&mut conn, lot).expect("lines")
}

pub fn stored_total(app: &TestApp, lot: sammelkauf::domain::ids::LotId) -> (u64, u64) {
    let mut conn = app.pool.get().expect("conn");
    sammelkauf::db::bundles::totals(&mut conn, lot).expect("totals")
}

/// The number shown in `id="lot-total"`.
pub fn shown_total(body: &str) -> String {
    let marker = "id=\"lot-total\">";
    let start = body
        .find(marker)
        .map(|i| i + marker.len())
        .expect("total on page");
    body[start..]
        .split('<')
        .next()
        .unwrap_or_default()
        .to_string()
}

/// The path of the newest password link emailed to an address (read from the outbox before
/// it is sent).
pub fn password_link(app: &TestApp, email: &str) -> String {
    let mut conn = app.pool.get().expect("conn");
    let message = sammelkauf::db::outbox::list(&mut conn, None, 10_000)
        .expect("outbox")
        .into_iter()
        .find(|m| m.recipient == email && m.body_text.contains("/password/"))
        .unwrap_or_else(|| panic!("no password link for {email}"));
    link_in(&message.body_text)
}

/// The path of the (first) password link in an email's text.
pub fn link_in(text: &str) -> String {
    let token: String = text
        .split("/password/")
        .nth(1)
        .expect("link")
        .chars()
        .take_while(char::is_ascii_hexdigit)
        .collect();
    format!("/password/{token}")
}

/// Sets an invited account's password through its emailed link, as the person would.
pub async fn accept_invitation(app: &TestApp, email: &str) {
    let path = password_link(app, email);
    let mut browser = Browser::new(app);
    assert_eq!(browser.get(&path).await.status, 200, "{path}");
    let set = browser
        .post(&path, &[("password", PASSWORD), ("repeat", PASSWORD)])
        .await;
    assert_eq!(set.status, 303, "{}", set.body);
}

/// Buyer A of the fixture, signed in and on the lot's page: the browser, the lot's path, the
/// page's fresh order form key and member A's first site.
pub async fn buyer_a_at_lot(app: &TestApp, f: &Fixture) -> (Browser, String, String, String) {
    let mut buyer = Browser::new(app);
    buyer.login("buyer-a@krz.example").await;
    let lot_path = format!("/lots/{}", f.lot);
    let page = buyer.get(&lot_path).await;
    let key = extract_field(&page.body, "idempotency_key");
    (buyer, lot_path, key, f.sites_a[0].to_string())
}

/// An order line of `quantity` units without a limit price or reference.
pub fn units(quantity: u64) -> sammelkauf::domain::lot::OrderInput {
    sammelkauf::domain::lot::OrderInput {
        quantity,
        max_unit_price: None,
        reference: String::new(),
    }
}

/// The stored account with this email address (the fixture's or the demo's).
pub fn account(
    conn: &mut sammelkauf::db::DbConnection,
    email: &str,
) -> sammelkauf::db::users::User {
    sammelkauf::db::users::find_by_email(conn, email)
        .expect("read the account")
        .unwrap_or_else(|| panic!("no account {email}"))
}

/// Stores a line straight in the database and counts it into the member's and the lot's
/// totals, as placing it does: for tests that need many lines before they begin.
pub fn store_line(
    app: &TestApp,
    conn: &mut sammelkauf::db::DbConnection,
    (lot, member, site): (
        sammelkauf::domain::ids::LotId,
        sammelkauf::domain::ids::MemberId,
        sammelkauf::domain::ids::SiteId,
    ),
    placed_by: sammelkauf::domain::ids::UserId,
    key: &str,
    input: &sammelkauf::domain::lot::OrderInput,
) -> sammelkauf::domain::ids::LineId {
    use sammelkauf::db::orders;
    let orders::Placed::New(id, change) = orders::insert(
        conn,
        &orders::NewLine {
            lot,
            member,
            site,
            input,
            idempotency_key: key,
            placed_by,
            now: sammelkauf::clock::Clock::now(&app.clock).naive_utc(),
        },
    )
    .expect("line") else {
        panic!("a new form key in an open lot stores a line");
    };
    assert!(orders::count_into_lot(conn, &change).expect("count"));
    id
}

/// A second `sammelkauf serve` process on the test's database, stopped when dropped.
pub struct Server {
    child: std::process::Child,
    pub address: String,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub async fn second_server(app: &TestApp) -> Server {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("port")
        .port();
    let child = std::process::Command::new(env!("CARGO_BIN_EXE_sammelkauf"))
        .arg("serve")
        .env("DATABASE_URL", &app.database_url)
        .env("DATA_DIR", format!("{}/second", app.data_dir))
        .env("BIND", format!("127.0.0.1:{port}"))
        .env("SECRET_KEY", "test-secret-test-secret-test-secret-1234")
        .env("TICK_SECONDS", "3600")
        .env("MAIL_TICK_SECONDS", "3600")
        .env("RUST_LOG", "warn")
        .env_remove("SMTP_URL")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("start a second server");
    let address = format!("http://127.0.0.1:{port}");
    let server = Server { child, address };
    for _ in 0..100 {
        if let Ok(r) = reqwest::get(format!("{}/healthz", server.address)).await {
            if r.status().is_success() {
                return server;
            }
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    panic!("the second server did not start");
}
