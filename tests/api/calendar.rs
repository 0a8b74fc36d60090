//! The calendar feed: a secret URL per user with the deadlines of the lots the user sees,
//! valid iCalendar, ended at once by renewing or revoking.

use crate::helpers::*;
use icalendar::parser::{read_calendar, unfold};

/// The feed URL the page shows, on the test server (the page names the configured BASE_URL).
fn feed_url(app: &TestApp, body: &str) -> String {
    let marker = "id=\"feed-url\" readonly value=\"";
    let start = body.find(marker).expect("the new URL is shown") + marker.len();
    let url = body[start..].split('"').next().expect("url");
    let path = &url[url.find("/calendar/").expect("feed path")..];
    format!("{}{path}", app.address)
}

async fn fetch(url: &str) -> (u16, String, String) {
    let answer = reqwest::get(url).await.expect("get");
    let status = answer.status().as_u16();
    let kind = answer
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_string();
    (status, kind, answer.text().await.expect("body"))
}

/// (SUMMARY, DTSTART) of every event in the feed, parsed as RFC 5545.
fn events(ics: &str) -> Vec<(String, String)> {
    assert!(ics.contains("\r\n"), "lines end in CRLF");
    assert!(ics.lines().all(|l| l.len() <= 75), "long lines are folded");
    let unfolded = unfold(ics);
    let calendar = read_calendar(&unfolded).expect("a valid iCalendar");
    calendar
        .components
        .iter()
        .filter(|c| c.name.as_str() == "VEVENT")
        .map(|c| {
            let prop = |name: &str| {
                c.properties
                    .iter()
                    .find(|p| p.name.as_str() == name)
                    .map(|p| p.val.as_str().to_string())
                    .unwrap_or_default()
            };
            assert!(!prop("UID").is_empty() && !prop("DTSTAMP").is_empty());
            (prop("SUMMARY"), prop("DTSTART"))
        })
        .collect()
}

#[tokio::test]
async fn a_buyer_subscribes_to_the_deadlines_and_a_revoked_url_answers_404() {
    let app = spawn_app().await;
    fixture(&app);
    let mut buyer = Browser::new(&app);
    buyer.login("buyer-a@krz.example").await;
    let page = buyer.get("/account/calendar").await;
    assert!(page.body.contains("id=\"feed-none\""));
    let created = buyer.post("/account/calendar", &[]).await;
    assert_eq!(created.status, 200);
    let url = feed_url(&app, &created.body);
    assert!(url.ends_with(".ics") && url.contains("/calendar/"));

    // Anyone with the URL (a calendar program: no cookies) reads the feed.
    let (status, kind, ics) = fetch(&url).await;
    assert_eq!(status, 200);
    assert!(kind.starts_with("text/calendar"));
    let events = events(&ics);
    // The open lot's two deadlines (7 and 14 days after 2026-06-01 08:00 UTC); not the draft's.
    assert!(
        events.contains(&(
            "Bestellfrist: Notebooks".to_string(),
            "20260608T080000Z".to_string()
        )),
        "{events:?}"
    );
    assert!(
        events.contains(&(
            "Angebotsfrist: Notebooks".to_string(),
            "20260615T080000Z".to_string()
        )),
        "{events:?}"
    );
    assert!(
        !ics.contains("Entwurf Tablets"),
        "a draft is not a buyer's deadline"
    );
    assert_eq!(events.len(), 2, "{events:?}");

    // The page does not show the secret again; renewing ends the old URL at once.
    let again = buyer.get("/account/calendar").await;
    assert!(again.body.contains("id=\"feed-since\"") && !again.body.contains(&url));
    let renewed = buyer.post("/account/calendar", &[]).await;
    let new_url = feed_url(&app, &renewed.body);
    assert_ne!(new_url, url);
    assert_eq!(fetch(&url).await.0, 404);
    assert_eq!(fetch(&new_url).await.0, 200);
    let revoked = buyer.post("/account/calendar/revoke", &[]).await;
    assert_eq!(revoked.status, 303);
    assert_eq!(fetch(&new_url).await.0, 404);

    // Guessed, malformed and hostile tokens: 404.
    for token in [
        "0".repeat(64),
        "zz".repeat(32),
        "..%2F..%2Fetc%2Fpasswd".into(),
        "a".repeat(10_000),
    ] {
        assert_eq!(
            fetch(&format!("{}/calendar/{token}.ics", app.address))
                .await
                .0,
            404,
            "{token}"
        );
    }
    // Without a form token nothing is created.
    let mut forged = Browser::new(&app);
    forged.login("buyer-b@itk.example").await;
    let answer = forged.post_raw("/account/calendar", &[]).await;
    assert_eq!(answer.status, 403);
}

#[tokio::test]
async fn staff_see_drafts_in_their_feed_and_a_deactivated_account_loses_its_feed() {
    let app = spawn_app().await;
    fixture(&app);
    let mut staff = Browser::new(&app);
    staff.login("staff@coop.example").await;
    staff.get("/account/calendar").await;
    let url = feed_url(&app, &staff.post("/account/calendar", &[]).await.body);
    let (_, _, ics) = fetch(&url).await;
    assert_eq!(
        events(&ics).len(),
        4,
        "both lots' deadlines, the draft's too"
    );
    {
        let mut conn = app.pool.get().expect("conn");
        diesel::RunQueryDsl::execute(
            diesel::update(sammelkauf::db::schema::users::table)
                .filter(diesel::ExpressionMethods::eq(
                    sammelkauf::db::schema::users::email,
                    "staff@coop.example",
                ))
                .set(diesel::ExpressionMethods::eq(
                    sammelkauf::db::schema::users::active,
                    false,
                )),
            &mut conn,
        )
        .expect("deactivate");
    }
    assert_eq!(fetch(&url).await.0, 404);
}
