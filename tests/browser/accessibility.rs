//! Every page each role of the demo can reach: zero axe-core violations (WCAG 2.0/2.1 A and
//! AA) and no sideways scrolling at 320 px.

use crate::harness::{axe_source, open_or_skip, skip, Window, PHONE_WIDTH};
use crate::helpers::spawn_app;
use sammelkauf::clock::Clock;
use std::collections::{BTreeMap, HashMap, VecDeque};

/// Pages of one kind (the same path with other ids) visited per role: enough to see every
/// state of a lot in the demo, without visiting hundreds of alike pages.
const PER_KIND: usize = 8;
const PER_ROLE: usize = 120;

fn kind(path: &str) -> String {
    let path = path.split('?').next().unwrap_or(path);
    path.split('/')
        .map(|part| {
            if part.chars().all(|c| c.is_ascii_digit()) && !part.is_empty() {
                "N"
            } else {
                part
            }
        })
        .collect::<Vec<_>>()
        .join("/")
}

fn worth_visiting(href: &str) -> Option<String> {
    let href = href.split('#').next()?;
    if !href.starts_with('/') || href.starts_with("//") || href.is_empty() {
        return None;
    }
    let skip = [
        "/logout",
        "/static/",
        ".csv",
        "/export",
        "/calendar",
        ".ics",
    ];
    (!skip.iter().any(|s| href.contains(s))).then(|| href.to_string())
}

async fn links(window: &Window) -> Vec<String> {
    let found = window
        .client
        .execute(
            "return Array.from(document.querySelectorAll('a[href]')).map(a => a.getAttribute('href'));",
            vec![],
        )
        .await
        .expect("links");
    serde_json::from_value::<Vec<String>>(found)
        .expect("hrefs")
        .iter()
        .filter_map(|h| worth_visiting(h))
        .collect()
}

/// Visits what `role` can reach from `start`; returns the pages visited.
async fn crawl(
    desktop: &Window,
    start: &[&str],
    axe: &str,
    role: &str,
    failures: &mut Vec<String>,
) -> Vec<String> {
    let mut queue: VecDeque<String> = start.iter().map(|s| s.to_string()).collect();
    let mut seen: Vec<String> = Vec::new();
    let mut per_kind: HashMap<String, usize> = HashMap::new();
    while let Some(path) = queue.pop_front() {
        if seen.contains(&path) || seen.len() >= PER_ROLE {
            continue;
        }
        let count = per_kind.entry(kind(&path)).or_default();
        if *count >= PER_KIND {
            continue;
        }
        *count += 1;
        seen.push(path.clone());
        desktop.go(&path).await;
        let title = desktop.client.title().await.unwrap_or_default();
        for violation in desktop.axe(axe).await {
            failures.push(format!("{role} {path} ({title}): {violation}"));
        }
        for link in links(desktop).await {
            if !seen.contains(&link) {
                queue.push_back(link);
            }
        }
    }
    seen
}

#[tokio::test]
async fn every_page_of_the_demo_passes_axe_and_reflows_at_320_px() {
    let _one = crate::ONE_AT_A_TIME.lock().await;
    const TEST: &str = "every_page_of_the_demo_passes_axe_and_reflows_at_320_px";
    let axe = match axe_source() {
        Ok(axe) => axe,
        Err(why) => return skip(TEST, &why),
    };
    let app = spawn_app().await;
    let accounts = {
        let mut conn = app.pool.get().expect("conn");
        sammelkauf::demo::seed(&mut conn, &app.mail, app.clock.now()).expect("demo")
    };
    let first = |role: &str, nth: usize| {
        accounts
            .iter()
            .filter(|a| a.role == role)
            .nth(nth)
            .map(|a| a.email.as_str())
            .unwrap_or_else(|| panic!("the demo has no {role} account {nth}"))
    };
    let Some(desktop) = open_or_skip(TEST, &app.address, 1280).await else {
        return;
    };
    let Some(phone) = open_or_skip(TEST, &app.address, PHONE_WIDTH).await else {
        return;
    };
    let width = phone
        .client
        .execute("return window.innerWidth;", vec![])
        .await
        .expect("width");
    assert_eq!(
        width.as_u64(),
        Some(u64::from(PHONE_WIDTH)),
        "the phone window is {width} px wide"
    );

    let pw = sammelkauf::demo::DEMO_PASSWORD;
    let roles: [(&str, Option<&str>, &[&str]); 5] = [
        ("anonymous", None, &["/login", "/password-reset", "/"]),
        ("buyer", Some(first("buyer", 0)), &["/lots"]),
        ("staff", Some(first("staff", 0)), &["/lots"]),
        ("supplier", Some(first("supplier", 0)), &["/lots"]),
        ("buyer-en", Some(first("buyer", 3)), &["/lots"]),
    ];
    let mut failures = Vec::new();
    let mut reflow = Vec::new();
    let mut pages = BTreeMap::new();
    for (role, email, start) in roles {
        if let Some(email) = email {
            desktop.sign_in(email, pw).await;
            phone.sign_in(email, pw).await;
            if role.ends_with("-en") {
                desktop.click("English").await;
            }
        }
        let seen = crawl(&desktop, start, &axe, role, &mut failures).await;
        for path in &seen {
            phone.go(path).await;
            if let Some(overflow) = phone.overflow().await {
                reflow.push(format!("{role} {path}: {overflow}"));
            }
        }
        for (shot, path) in seen.iter().enumerate().filter(|(i, _)| *i < 6) {
            let name = format!(
                "{role}-{shot}-{}",
                kind(path).trim_matches('/').replace(['/', '?', '='], "-")
            );
            desktop.go(path).await;
            desktop.screenshot(&format!("{name}-desktop")).await;
            phone.go(path).await;
            phone.screenshot(&format!("{name}-phone")).await;
        }
        if role == "buyer" {
            // The call-off preview is reached by a form, not a link: fill it in on the
            // framework's page, on both widths.
            let framework = framework_page(&desktop, &seen)
                .await
                .expect("the demo has a running framework");
            for window in [&desktop, &phone] {
                window.go(&framework).await;
                window.type_into("#calloff-quantity", "10").await;
                window.click("Preis anzeigen").await;
                window.wait_for_text("Abruf verbindlich bestätigen").await;
            }
            for violation in desktop.axe(&axe).await {
                failures.push(format!("{role} call-off preview: {violation}"));
            }
            if let Some(overflow) = phone.overflow().await {
                reflow.push(format!("{role} call-off preview: {overflow}"));
            }
            desktop.screenshot("buyer-calloff-preview-desktop").await;
            phone.screenshot("buyer-calloff-preview-phone").await;
        }
        pages.insert(role, seen.len());
        if email.is_some() {
            desktop.sign_out().await;
            phone.sign_out().await;
        }
    }
    eprintln!("pages checked per role: {pages:?}");
    for (role, count) in &pages {
        assert!(
            *count >= 2,
            "{role} reached only {count} pages: the crawl is broken"
        );
    }
    assert!(
        failures.is_empty() && reflow.is_empty(),
        "{} axe violations:\n{}\n\n{} pages scroll sideways at {PHONE_WIDTH} px:\n{}",
        failures.len(),
        failures.join("\n"),
        reflow.len(),
        reflow.join("\n")
    );
}

/// The first visited page with a call-off form.
async fn framework_page(window: &Window, seen: &[String]) -> Option<String> {
    for path in seen.iter().filter(|p| p.starts_with("/lots/")) {
        window.go(path).await;
        if window
            .client
            .find(fantoccini::Locator::Css("#calloff-quantity"))
            .await
            .is_ok()
        {
            return Some(path.clone());
        }
    }
    None
}
