//! Email over real SMTP: every notification through the outbox, intact in both parts,
//! surviving an outage, delivered once by competing workers, safe against header injection.

use crate::helpers::*;
use crate::procurement::{ordered_lot, quote_fields};
use crate::smtp::SmtpSink;
use sammelkauf::clock::Clock;
use sammelkauf::db::{award, lots, outbox, quotes};
use sammelkauf::domain::account::{Language, Role};
use sammelkauf::domain::lot::LotStatus;
use sammelkauf::mail::worker::deliver_due;

pub async fn app_with_sink() -> (TestApp, SmtpSink) {
    let sink = SmtpSink::start().await;
    let app = spawn_app_with(&[
        ("SMTP_URL", sink.url()),
        (
            "MAIL_FROM",
            "Einkaufsgenossenschaft <einkauf@genossenschaft.example>".to_string(),
        ),
    ])
    .await;
    (app, sink)
}

pub async fn deliver(app: &TestApp) -> sammelkauf::mail::worker::Delivery {
    deliver_due(&app.pool, &app.mailer, &app.from, app.clock.now())
        .await
        .expect("delivery run")
}

pub fn to(sink: &SmtpSink, address: &str) -> Vec<crate::smtp::Received> {
    sink.messages()
        .into_iter()
        .filter(|m| m.recipients.iter().any(|r| r == address))
        .collect()
}

pub fn text_of(m: &crate::smtp::Received) -> (String, String, String) {
    let parsed = m.parsed();
    (
        parsed.subject().unwrap_or_default().to_string(),
        parsed
            .body_text(0)
            .map(|t| t.to_string())
            .unwrap_or_default(),
        parsed
            .body_html(0)
            .map(|t| t.to_string())
            .unwrap_or_default(),
    )
}

async fn place(
    app: &TestApp,
    email: &str,
    lot: sammelkauf::domain::ids::LotId,
    site: sammelkauf::domain::ids::SiteId,
    quantity: &str,
    reference: &str,
) -> Page {
    let mut buyer = Browser::new(app);
    buyer.login(email).await;
    let page = buyer.get(&format!("/lots/{lot}")).await;
    let key = extract_field(&page.body, "idempotency_key");
    let site = site.to_string();
    buyer
        .post(
            &format!("/lots/{lot}/orders"),
            &[
                ("quantity", quantity),
                ("site", &site),
                ("reference", reference),
                ("idempotency_key", &key),
            ],
        )
        .await
}

fn lot_titled(app: &TestApp, title: &str) -> sammelkauf::domain::ids::LotId {
    let mut conn = app.pool.get().expect("conn");
    let now = chrono::Utc::now().naive_utc();
    let id = lots::insert(
        &mut conn,
        &lot_terms(app, title, 1),
        &[],
        sammelkauf::domain::ids::UserId(1),
        now,
    )
    .expect("lot");
    lots::transition(&mut conn, id, LotStatus::Draft, LotStatus::Open, now).expect("open");
    id
}

#[tokio::test]
async fn an_order_line_email_arrives_over_smtp_with_umlauts_in_both_parts() {
    let (app, sink) = app_with_sink().await;
    let f = fixture(&app);
    let lot = lot_titled(&app, "Geräte für Schüler – Größe M");
    let placed = place(
        &app,
        "buyer-a@krz.example",
        lot,
        f.sites_a[0],
        "12",
        "Kostenstelle Straße 5",
    )
    .await;
    assert_eq!(placed.status, 303);
    let stored = {
        let mut conn = app.pool.get().expect("conn");
        outbox::list(&mut conn, Some(outbox::PENDING), 10).expect("outbox")
    };
    assert_eq!(
        stored.len(),
        1,
        "queued in the same transaction as the line"
    );
    let run = deliver(&app).await;
    assert_eq!(run.sent, 1);
    let received = to(&sink, "buyer-a@krz.example");
    assert_eq!(received.len(), 1);
    let (subject, text, html) = text_of(&received[0]);
    assert_eq!(
        subject,
        "Bestellposition eingegangen: Geräte für Schüler – Größe M"
    );
    for body in [&text, &html] {
        assert!(body.contains("Gesamtschule Lemgo"), "{body}");
        assert!(body.contains("Kostenstelle Straße 5"), "{body}");
        assert!(body.contains("Geräte für Schüler"), "{body}");
    }
    assert!(html.contains("<table"));
    let parsed = received[0].parsed();
    assert_eq!(
        parsed.message_id().map(|m| format!("<{m}>")),
        Some(stored[0].message_id.clone())
    );
    assert_eq!(
        parsed
            .from()
            .and_then(|f| f.first())
            .and_then(|a| a.address()),
        Some("einkauf@genossenschaft.example")
    );
    let mut conn = app.pool.get().expect("conn");
    assert_eq!(
        outbox::count_by_status(&mut conn, outbox::SENT).expect("count"),
        1
    );
}

#[tokio::test]
async fn nothing_is_lost_while_the_smtp_server_is_down() {
    let (app, mut sink) = app_with_sink().await;
    let f = fixture(&app);
    sink.stop();
    assert_eq!(
        place(&app, "buyer-a@krz.example", f.lot, f.sites_a[0], "5", "")
            .await
            .status,
        303
    );
    let run = deliver(&app).await;
    assert_eq!((run.sent, run.retried), (0, 1));
    {
        let mut conn = app.pool.get().expect("conn");
        let row = &outbox::list(&mut conn, None, 10).expect("outbox")[0];
        assert_eq!(row.status, outbox::PENDING);
        assert_eq!(row.attempts, 1);
        assert!(!row.last_error.is_empty());
        assert!(
            row.next_attempt_at > app.clock.now().naive_utc(),
            "retried later, with backoff"
        );
    }
    // Not yet due: nothing is tried before the backoff ends.
    assert_eq!(
        deliver(&app).await,
        sammelkauf::mail::worker::Delivery::default()
    );
    sink.restart().await;
    app.clock.advance(chrono::Duration::minutes(2));
    let run = deliver(&app).await;
    assert_eq!(run.sent, 1);
    assert_eq!(to(&sink, "buyer-a@krz.example").len(), 1);

    // A recipient the server rejects fails at once, stays visible, and can be sent again.
    add_user(
        &app.pool,
        "reject@krz.example",
        Role::Buyer,
        Some(f.member_a),
        None,
    );
    assert_eq!(
        place(&app, "reject@krz.example", f.lot, f.sites_a[1], "5", "")
            .await
            .status,
        303
    );
    let run = deliver(&app).await;
    assert_eq!(run.failed, 1);
    let mut staff = Browser::new(&app);
    staff.login("staff@coop.example").await;
    let page = staff.get("/admin/outbox?status=failed").await;
    assert!(page.body.contains("reject@krz.example") && page.body.contains("permanent"));
    let id = {
        let mut conn = app.pool.get().expect("conn");
        outbox::list(&mut conn, Some(outbox::FAILED), 10).expect("outbox")[0].id
    };
    assert_eq!(
        staff
            .post(&format!("/admin/outbox/{id}/resend"), &[])
            .await
            .status,
        303
    );
    let mut conn = app.pool.get().expect("conn");
    assert_eq!(
        outbox::find(&mut conn, id).expect("q").expect("row").status,
        outbox::PENDING
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_workers_deliver_each_email_exactly_once() {
    let (app, sink) = app_with_sink().await;
    let now = app.clock.now().naive_utc();
    {
        let mut conn = app.pool.get().expect("conn");
        for i in 0..250 {
            let content = sammelkauf::mail::Content::new(
                sammelkauf::i18n::Tr(Language::De),
                format!("Nachricht {i}"),
            )
            .paragraph("Grüße".into());
            sammelkauf::mail::queue(
                &mut conn,
                &app.mail,
                &sammelkauf::mail::Envelope {
                    kind: "test",
                    lot: None,
                    recipient: &format!("empfaenger{i}@example.org"),
                    language: Language::De,
                    stable_key: None,
                },
                content,
                now,
            )
            .expect("queue");
        }
    }
    let second = sammelkauf::mail::transport::Mailer::new(
        Some(&sink.url()),
        None,
        None,
        std::env::temp_dir(),
    )
    .expect("mailer");
    let at = app.clock.now();
    // Two workers on their own tasks (and threads), each with its own SMTP transport.
    let worker = |mailer: sammelkauf::mail::transport::Mailer| {
        let (pool, from) = (app.pool.clone(), app.from.clone());
        tokio::spawn(async move { deliver_due(&pool, &mailer, &from, at).await })
    };
    let (a, b) = (worker(app.mailer.clone()), worker(second));
    let a = a.await.expect("task a").expect("worker a");
    let b = b.await.expect("task b").expect("worker b");
    let states: Vec<(String, i64)> = {
        let mut conn = app.pool.get().expect("conn");
        [
            outbox::PENDING,
            outbox::SENDING,
            outbox::SENT,
            outbox::FAILED,
        ]
        .iter()
        .map(|s| {
            (
                s.to_string(),
                outbox::count_by_status(&mut conn, s).expect("count"),
            )
        })
        .collect()
    };
    assert_eq!(a.sent + b.sent, 250, "{a:?} {b:?} {states:?}");
    let mut ids: Vec<String> = sink
        .messages()
        .iter()
        .map(|m| m.parsed().message_id().unwrap_or_default().to_string())
        .collect();
    assert_eq!(ids.len(), 250);
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), 250, "an email was delivered twice");
}

#[tokio::test]
async fn header_injection_through_a_lot_title_is_neutralised() {
    let (app, sink) = app_with_sink().await;
    let f = fixture(&app);
    let lot = lot_titled(&app, "Monitore\r\nBcc: spion@evil.example\r\nX-Evil: 1");
    assert_eq!(
        place(&app, "buyer-a@krz.example", lot, f.sites_a[0], "3", "")
            .await
            .status,
        303
    );
    // A reference with a line break never gets that far: the form refuses it.
    let refused = place(
        &app,
        "buyer-a@krz.example",
        lot,
        f.sites_a[0],
        "3",
        "KST\r\nBcc: spion@evil.example",
    )
    .await;
    assert_eq!(refused.status, 422);
    deliver(&app).await;
    let all = sink.messages();
    assert_eq!(all.len(), 1);
    assert_eq!(all[0].recipients, vec!["buyer-a@krz.example".to_string()]);
    let parsed = all[0].parsed();
    assert!(parsed.header("Bcc").is_none() && parsed.header("X-Evil").is_none());
    assert!(parsed
        .subject()
        .unwrap_or_default()
        .contains("Monitore  Bcc: spion@evil.example"));
}

#[tokio::test]
async fn an_invited_account_sets_its_password_through_the_emailed_link() {
    let (app, sink) = app_with_sink().await;
    let f = fixture(&app);
    let mut staff = Browser::new(&app);
    staff.login("staff@coop.example").await;
    staff.get("/admin/users").await;
    let org = format!("member:{}", f.member_a);
    let created = staff
        .post(
            "/admin/users",
            &[
                ("email", "neu@krz.example"),
                ("name", "Nora Neu"),
                ("role", "buyer"),
                ("organisation", &org),
                ("language", "en"),
                ("password", ""),
            ],
        )
        .await;
    assert_eq!(created.status, 303, "{}", created.body);
    deliver(&app).await;
    let invitation = to(&sink, "neu@krz.example");
    assert_eq!(invitation.len(), 1);
    let (subject, text, _) = text_of(&invitation[0]);
    assert_eq!(
        subject, "Your access to sammelkauf",
        "in the account's language"
    );
    let link = text
        .split_whitespace()
        .find(|w| w.contains("/password/"))
        .expect("link")
        .to_string();
    let path = format!(
        "/password/{}",
        link.split("/password/").nth(1).expect("token")
    );
    // Nobody can sign in before the password is set.
    let mut nora = Browser::new(&app);
    nora.get("/login").await;
    let denied = nora
        .post(
            "/login",
            &[("email", "neu@krz.example"), ("password", "!invited")],
        )
        .await;
    assert_eq!(denied.status, 422);
    assert_eq!(nora.get(&path).await.status, 200);
    let short = nora
        .post(&path, &[("password", "kurz"), ("repeat", "kurz")])
        .await;
    assert_eq!(short.status, 422);
    let set = nora
        .post(
            &path,
            &[
                ("password", "ein-gutes-passwort"),
                ("repeat", "ein-gutes-passwort"),
            ],
        )
        .await;
    assert_eq!(set.status, 303);
    assert_eq!(nora.get(&path).await.status, 410, "the link works once");
    nora.get("/login").await;
    let ok = nora
        .post(
            "/login",
            &[
                ("email", "neu@krz.example"),
                ("password", "ein-gutes-passwort"),
            ],
        )
        .await;
    assert_eq!(ok.status, 303);

    // A reset for an unknown address answers the same, and sends nothing.
    let mut anon = Browser::new(&app);
    anon.get("/password-reset").await;
    let unknown = anon
        .post("/password-reset", &[("email", "niemand@nirgends.example")])
        .await;
    let known = anon
        .post("/password-reset", &[("email", "buyer-a@krz.example")])
        .await;
    assert_eq!(
        (unknown.status, unknown.location.clone()),
        (known.status, known.location.clone())
    );
    deliver(&app).await;
    assert!(to(&sink, "niemand@nirgends.example").is_empty());
    let reset = to(&sink, "buyer-a@krz.example");
    assert_eq!(reset.len(), 1);
    assert_eq!(text_of(&reset[0]).0, "Passwort zurücksetzen");
}

#[tokio::test]
async fn award_notices_and_confirmations_carry_the_engines_amounts() {
    let (app, sink) = app_with_sink().await;
    let cycle = ordered_lot(&app).await;
    let lot = cycle.lot;
    let lot_path = format!("/lots/{lot}");
    for (email, rows) in [
        (
            "sales@systemhaus.example",
            vec![("1", "120,00"), ("100", "90,00"), ("200", "80,00")],
        ),
        (
            "sales@zwei.example",
            vec![("1", "125,00"), ("100", "95,00")],
        ),
    ] {
        let mut s = Browser::new(&app);
        s.login(email).await;
        s.get(&lot_path).await;
        assert_eq!(
            s.post(
                &format!("{lot_path}/quotes"),
                &quote_fields("all_units", &rows, "")
            )
            .await
            .status,
            303
        );
    }
    app.clock.advance(chrono::Duration::days(15));
    let mut staff = Browser::new(&app);
    staff.login("staff@coop.example").await;
    staff.post(&format!("/admin/lots/{lot}/opening"), &[]).await;
    let mut staff2 = Browser::new(&app);
    staff2.login("staff2@coop.example").await;
    assert_eq!(
        staff2
            .post(&format!("/admin/lots/{lot}/opening"), &[])
            .await
            .status,
        303
    );
    let winner = {
        let mut conn = app.pool.get().expect("conn");
        quotes::latest_quotes(&mut conn, lot)
            .expect("quotes")
            .into_iter()
            .find(|l| l.quote.supplier_id == cycle.suppliers[0])
            .expect("q")
            .quote
            .id
    };
    staff.get(&format!("/admin/lots/{lot}/evaluation")).await;
    assert_eq!(
        staff
            .post(
                &format!("/admin/lots/{lot}/award"),
                &[("quote", &winner.to_string())]
            )
            .await
            .status,
        303
    );
    deliver(&app).await;
    let award = to(&sink, "sales@systemhaus.example");
    assert!(award.iter().any(|m| text_of(m).0.starts_with("Zuschlag:")));
    let info = to(&sink, "sales@zwei.example");
    let info = info
        .iter()
        .find(|m| text_of(m).0.starts_with("Information nach § 134 GWB"))
        .expect("information notice");
    let (_, text, _) = text_of(info);
    assert!(
        text.contains("Systemhaus GmbH")
            && text.contains("Rang 2 von 2")
            && text.contains("frühestens am"),
        "{text}"
    );

    app.clock.advance(chrono::Duration::days(12));
    let (pool, clock, mail) = (app.pool.clone(), app.clock.clone(), app.mail.clone());
    tokio::task::spawn_blocking(move || sammelkauf::jobs::run_due_work(&pool, &clock, &mail))
        .await
        .expect("task")
        .expect("jobs");
    deliver(&app).await;
    let (member_net, member_gross, saving) = {
        let mut conn = app.pool.get().expect("conn");
        let m = award::result_members(&mut conn, lot)
            .expect("members")
            .into_iter()
            .find(|t| t.member == "KRZ Lippe")
            .expect("member")
            .result;
        let tr = sammelkauf::i18n::Tr(Language::De);
        (
            tr.money(m.net),
            tr.money(m.gross),
            tr.money(m.saving_vs_alone.expect("saving")),
        )
    };
    let confirmation = to(&sink, "buyer-a@krz.example");
    let confirmation = confirmation
        .iter()
        .find(|m| text_of(m).0.starts_with("Auftragsbestätigung"))
        .expect("confirmation");
    let (_, text, html) = text_of(confirmation);
    for body in [&text, &html] {
        assert!(
            body.contains(&member_net) && body.contains(&member_gross),
            "{body}"
        );
        assert!(
            body.contains(&format!("Ihre Ersparnis durch Bündelung: {saving}")),
            "{body}"
        );
        assert!(body.contains("Gesamtschule Lemgo"));
    }
    // Without the HTML table, every amount in the text names its column.
    assert!(
        text.contains(&format!("Brutto: {member_gross}"))
            || text
                .lines()
                .any(|l| l.contains("Brutto: ") && l.contains("Netto: ")),
        "{text}"
    );
    let po = to(&sink, "sales@systemhaus.example");
    let po = po
        .iter()
        .find(|m| text_of(m).0.starts_with("Auftrag:"))
        .expect("purchase order");
    let parsed = po.parsed();
    let attachment = parsed.attachment(0).expect("CSV attachment");
    let csv = String::from_utf8_lossy(attachment.contents()).to_string();
    assert!(csv.contains("Citkomm;Rathaus;Marktplatz 1"), "{csv}");
    // The loser gets no purchase order.
    assert!(!to(&sink, "sales@zwei.example")
        .iter()
        .any(|m| text_of(m).0.starts_with("Auftrag:")));
}

fn queued(app: &TestApp, kind: &str) -> Vec<String> {
    let mut conn = app.pool.get().expect("conn");
    let mut to: Vec<String> = outbox::list(&mut conn, None, 1000)
        .expect("outbox")
        .into_iter()
        .filter(|r| r.kind == kind)
        .map(|r| r.recipient)
        .collect();
    to.sort();
    to
}

#[tokio::test]
async fn invitations_reminders_and_cancellations_reach_everyone_concerned() {
    let app = spawn_app().await;
    let f = fixture(&app);
    // Opening the draft invites its supplier.
    let mut staff = Browser::new(&app);
    staff.login("staff@coop.example").await;
    staff.get(&format!("/lots/{}", f.draft_lot)).await;
    assert_eq!(
        staff
            .post(&format!("/admin/lots/{}/open", f.draft_lot), &[])
            .await
            .status,
        303
    );
    assert_eq!(queued(&app, "invitation"), ["sales@systemhaus.example"]);
    // Invited later, while the lot is open: the other supplier is told and sees the lot.
    let mut other = Browser::new(&app);
    other.login("sales@andere.example").await;
    assert_eq!(
        other.get(&format!("/lots/{}", f.draft_lot)).await.status,
        404
    );
    let page = staff.get(&format!("/lots/{}", f.draft_lot)).await;
    let andere = {
        let mut conn = app.pool.get().expect("conn");
        sammelkauf::db::orgs::list_suppliers(&mut conn)
            .expect("suppliers")
            .into_iter()
            .find(|s| s.name == "Andere AG")
            .expect("supplier")
            .id
    };
    assert!(
        page.body.contains(&format!("value=\"{andere}\"")),
        "offered for invitation"
    );
    let invited = staff
        .post(
            &format!("/admin/lots/{}/invite", f.draft_lot),
            &[("invite", &andere.to_string())],
        )
        .await;
    assert_eq!(invited.status, 303);
    assert_eq!(
        queued(&app, "invitation"),
        ["sales@andere.example", "sales@systemhaus.example"]
    );
    assert_eq!(
        other.get(&format!("/lots/{}", f.draft_lot)).await.status,
        200
    );

    // Two days before the deadline, members that have not ordered are reminded, once.
    assert_eq!(
        place(&app, "buyer-a@krz.example", f.lot, f.sites_a[0], "10", "")
            .await
            .status,
        303
    );
    app.clock
        .advance(chrono::Duration::days(5) + chrono::Duration::hours(12));
    for _ in 0..2 {
        let (pool, clock, mail) = (app.pool.clone(), app.clock.clone(), app.mail.clone());
        tokio::task::spawn_blocking(move || sammelkauf::jobs::run_due_work(&pool, &clock, &mail))
            .await
            .expect("task")
            .expect("jobs");
    }
    let reminders: Vec<(Option<sammelkauf::domain::ids::LotId>, String)> = {
        let mut conn = app.pool.get().expect("conn");
        outbox::list(&mut conn, None, 1000)
            .expect("outbox")
            .into_iter()
            .filter(|r| r.kind == "reminder")
            .map(|r| (r.lot_id, r.recipient))
            .collect()
    };
    let for_lot = |lot: sammelkauf::domain::ids::LotId| -> Vec<&str> {
        let mut v: Vec<&str> = reminders
            .iter()
            .filter(|(l, _)| *l == Some(lot))
            .map(|(_, r)| r.as_str())
            .collect();
        v.sort();
        v
    };
    assert_eq!(
        for_lot(f.lot),
        ["buyer-b@itk.example"],
        "member A has ordered; B is reminded once"
    );
    assert_eq!(
        for_lot(f.draft_lot),
        ["buyer-a@krz.example", "buyer-b@itk.example"]
    );

    // Staff cancel a lot: its buyers and its invited suppliers are told why.
    staff.get(&format!("/lots/{}", f.lot)).await;
    let cancelled = staff
        .post(
            &format!("/admin/lots/{}/cancel", f.lot),
            &[("reason", "Bedarf über Landesvertrag gedeckt")],
        )
        .await;
    assert_eq!(cancelled.status, 303);
    assert_eq!(
        queued(&app, "cancelled"),
        ["buyer-a@krz.example", "sales@systemhaus.example"]
    );
    let mut conn = app.pool.get().expect("conn");
    let email = outbox::list(&mut conn, None, 1000)
        .expect("outbox")
        .into_iter()
        .find(|r| r.kind == "cancelled")
        .expect("email");
    assert!(email
        .body_text
        .contains("Bedarf über Landesvertrag gedeckt"));
    let mut buyer = Browser::new(&app);
    buyer.login("buyer-a@krz.example").await;
    let shown = buyer.get(&format!("/lots/{}", f.lot)).await;
    assert!(
        shown.body.contains("Bedarf über Landesvertrag gedeckt"),
        "the reason is shown to members too"
    );
}
