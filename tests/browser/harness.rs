//! Headless Chromium over WebDriver: starting chromedriver, signing in, axe-core, the 320 px
//! reflow check and screenshots.
//!
//! Without Chromium, chromedriver or axe-core the tests print that they skipped and pass;
//! with `BROWSER_TESTS=require` (set by `.ci/run`) a missing tool fails them instead.

use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::json;
use std::net::TcpListener;
use std::os::unix::process::CommandExt;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

/// The WCAG 2.0 and 2.1 rules at levels A and AA (what BITV 2.0 requires).
pub const WCAG_TAGS: [&str; 4] = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"];

/// Width of the reflow check (WCAG 1.4.10: 320 CSS pixels without scrolling sideways).
pub const PHONE_WIDTH: u32 = 320;

fn required() -> bool {
    std::env::var("BROWSER_TESTS").is_ok_and(|v| v == "require")
}

/// Says loudly that a browser test could not run; fails when CI requires it.
pub fn skip(test: &str, why: &str) {
    assert!(
        !required(),
        "browser test {test} cannot run: {why} (BROWSER_TESTS=require)"
    );
    eprintln!("\n*** SKIPPED browser test {test}: {why}. Install Debian's chromium and chromium-driver and `npm install --prefix target/browser-tools axe-core`, or run `bash .ci/run`. ***\n");
}

fn find_program(env: &str, candidates: &[&str]) -> Option<PathBuf> {
    if let Ok(path) = std::env::var(env) {
        return Some(PathBuf::from(path));
    }
    candidates.iter().find_map(|name| {
        let direct = PathBuf::from(name);
        if direct.is_absolute() {
            return direct.is_file().then_some(direct);
        }
        std::env::var_os("PATH").and_then(|paths| {
            std::env::split_paths(&paths)
                .map(|dir| dir.join(name))
                .find(|p| p.is_file())
        })
    })
}

/// Where axe-core's script is: `AXE_CORE_JS`, or what `.ci/run` installs.
pub fn axe_source() -> Result<String, String> {
    let path = std::env::var("AXE_CORE_JS")
        .map(PathBuf::from)
        .unwrap_or_else(|_| {
            PathBuf::from(env!("CARGO_MANIFEST_DIR"))
                .join("target/browser-tools/node_modules/axe-core/axe.min.js")
        });
    std::fs::read_to_string(&path)
        .map_err(|e| format!("axe-core not found at {}: {e}", path.display()))
}

/// A running chromedriver, stopped when dropped together with the browser it started (both
/// are one process group: killing only the driver left every test's Chromium running).
struct Driver {
    child: Child,
    url: String,
}

impl Drop for Driver {
    fn drop(&mut self) {
        let group = format!("-{}", self.child.id());
        let stopped = Command::new("kill")
            .args(["-KILL", "--", &group])
            .stderr(Stdio::null())
            .status();
        if !stopped.is_ok_and(|s| s.success()) {
            let _ = self.child.kill();
        }
        let _ = self.child.wait();
    }
}

fn start_driver() -> Result<Driver, String> {
    let program = find_program("CHROMEDRIVER", &["chromedriver", "/usr/bin/chromedriver"])
        .ok_or("chromedriver not found")?;
    let port = TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map_err(|e| e.to_string())?
        .port();
    let child = Command::new(&program)
        .arg(format!("--port={port}"))
        .process_group(0)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .map_err(|e| format!("{}: {e}", program.display()))?;
    let driver = Driver {
        child,
        url: format!("http://127.0.0.1:{port}"),
    };
    for _ in 0..100 {
        if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
            return Ok(driver);
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    Err("chromedriver did not start listening".into())
}

/// One browser window on the application.
pub struct Window {
    pub client: Client,
    pub base: String,
    _driver: Driver,
}

/// A headless Chromium `width` pixels wide, or why there is none.
pub async fn open(base: &str, width: u32) -> Result<Window, String> {
    let chrome = find_program(
        "CHROME",
        &["chromium", "/usr/bin/chromium", "google-chrome"],
    )
    .ok_or("chromium not found")?;
    let driver = start_driver()?;
    let mut options = json!({
        "binary": chrome,
        "args": ["--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu",
                 "--hide-scrollbars", "--lang=de-DE", format!("--window-size={width},900")],
    });
    if width < 500 {
        // A window cannot be made that narrow; an emulated viewport of `width` CSS pixels can.
        options["mobileEmulation"] = json!({"deviceMetrics": {
            "width": width, "height": 800, "pixelRatio": 1.0, "mobile": false, "touch": false}});
    }
    let mut caps = serde_json::Map::new();
    caps.insert("browserName".into(), json!("chrome"));
    caps.insert("goog:chromeOptions".into(), options);
    let client = ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new())
        .capabilities(caps)
        .connect(&driver.url)
        .await
        .map_err(|e| format!("cannot start chromium: {e}"))?;
    Ok(Window {
        client,
        base: base.trim_end_matches('/').to_string(),
        _driver: driver,
    })
}

/// Opens a window, or skips the test (loudly) when the browser is not installed.
pub async fn open_or_skip(test: &str, base: &str, width: u32) -> Option<Window> {
    match open(base, width).await {
        Ok(window) => Some(window),
        Err(why) => {
            skip(test, &why);
            None
        }
    }
}

impl Window {
    pub async fn go(&self, path: &str) {
        let url = if path.starts_with("http") {
            path.to_string()
        } else {
            format!("{}{path}", self.base)
        };
        self.client.goto(&url).await.expect("navigate");
    }

    pub async fn path(&self) -> String {
        let url = self.client.current_url().await.expect("url");
        match url.query() {
            Some(q) => format!("{}?{q}", url.path()),
            None => url.path().to_string(),
        }
    }

    pub async fn text(&self) -> String {
        // A click may still be loading the next page: read the page that is there.
        for _ in 0..20 {
            if let Ok(body) = self.client.find(Locator::Css("body")).await {
                if let Ok(text) = body.text().await {
                    return text;
                }
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("the page has no readable body");
    }

    pub async fn field(&self, css: &str) -> fantoccini::elements::Element {
        match self.client.find(Locator::Css(css)).await {
            Ok(element) => element,
            Err(e) => panic!("no element {css} on {}: {e}", self.path().await),
        }
    }

    /// Clears a field and types into it, as a person would.
    pub async fn type_into(&self, css: &str, text: &str) {
        let field = self.field(css).await;
        field.clear().await.expect("clear");
        field.send_keys(text).await.expect("type");
    }

    /// Chooses an option of a select by its visible text.
    pub async fn choose(&self, css: &str, option_text: &str) {
        let select = self.field(css).await;
        select
            .select_by_label(option_text)
            .await
            .unwrap_or_else(|e| panic!("no option {option_text} in {css}: {e}"));
    }

    /// Clicks the first button or link whose text contains `label`.
    pub async fn click(&self, label: &str) {
        let xpath = format!(
            "//*[(self::button or self::a or self::input[@type='submit']) and contains(normalize-space(.), {})]",
            xpath_literal(label)
        );
        let target = match self.client.find(Locator::XPath(&xpath)).await {
            Ok(target) => target,
            Err(e) => panic!(
                "nothing to click labelled {label:?} on {}: {e}",
                self.path().await
            ),
        };
        target.click().await.expect("click");
    }

    pub async fn sign_in(&self, email: &str, password: &str) {
        self.go("/login").await;
        self.type_into("#email", email).await;
        self.type_into("#password", password).await;
        self.field("form[action='/login'] button[type=submit]")
            .await
            .click()
            .await
            .expect("sign in");
        let signed_in = self
            .client
            .wait()
            .at_most(Duration::from_secs(10))
            .for_element(Locator::Css("form[action='/logout']"))
            .await;
        assert!(
            signed_in.is_ok(),
            "{email} could not sign in: {}",
            self.text().await
        );
    }

    /// Signs out and waits until the browser shows a page without the sign-out form: a next
    /// sign-in must not read its form token before the old session has ended.
    pub async fn sign_out(&self) {
        self.field("form[action='/logout'] button")
            .await
            .click()
            .await
            .expect("sign out");
        for _ in 0..200 {
            if let Ok(forms) = self
                .client
                .find_all(Locator::Css("form[action='/logout']"))
                .await
            {
                if forms.is_empty() {
                    return;
                }
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("still signed in after signing out: {}", self.path().await);
    }

    /// Every axe-core violation of the WCAG A/AA rules on the current page.
    pub async fn axe(&self, axe: &str) -> Vec<String> {
        self.client
            .execute(axe, vec![])
            .await
            .expect("inject axe-core");
        let result = self
            .client
            .execute_async(
                "const done = arguments[arguments.length - 1];
                 axe.run(document, {runOnly: {type: 'tag', values: arguments[0]}, resultTypes: ['violations']})
                   .then(r => done(r.violations.map(v => v.id + ' (' + v.impact + '): ' + v.help + ' at '
                       + v.nodes.slice(0, 3).map(n => n.target.join(' ')).join(', '))))
                   .catch(e => done(['axe failed: ' + e]));",
                vec![json!(WCAG_TAGS)],
            )
            .await
            .expect("run axe-core");
        serde_json::from_value(result).expect("violations")
    }

    /// Whether the page scrolls sideways; names the elements sticking out that do not sit in
    /// a container scrolling on its own.
    pub async fn overflow(&self) -> Option<String> {
        let result = self
            .client
            .execute(
                "const width = document.documentElement.clientWidth;
                 if (document.documentElement.scrollWidth <= width) return null;
                 const scrolls = el => { for (let p = el.parentElement; p; p = p.parentElement) {
                     const o = getComputedStyle(p).overflowX; if (o === 'auto' || o === 'scroll') return true; } return false; };
                 const out = [];
                 for (const el of document.body.querySelectorAll('*')) {
                   const r = el.getBoundingClientRect();
                   if (r.right > width + 1 && !scrolls(el) && el.getBoundingClientRect().width > 0) {
                     out.push(el.tagName.toLowerCase() + (el.id ? '#' + el.id : '') + (el.className ? '.' + el.className : '') + ' ' + Math.round(r.right) + 'px');
                   }
                 }
                 if (out.length === 0) for (const el of document.body.querySelectorAll('*')) {
                   const r = el.getBoundingClientRect();
                   if (r.right > width + 1 || el.scrollWidth > el.clientWidth + 1) out.push(el.scrollWidth + '/' + el.clientWidth + ' ' + el.tagName.toLowerCase() + (el.className ? '.' + el.className : '') + ' ' + Math.round(r.right) + 'px ' + getComputedStyle(el).position);
                 }
                 return document.documentElement.scrollWidth + 'px wide: ' + out.slice(-6).join(', ');",
                vec![],
            )
            .await
            .expect("measure");
        result.as_str().map(str::to_string)
    }

    /// Writes a screenshot to `target/screenshots/NAME.png` for a reviewer.
    pub async fn screenshot(&self, name: &str) {
        let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/screenshots");
        std::fs::create_dir_all(&dir).expect("screenshot folder");
        let png = self.client.screenshot().await.expect("screenshot");
        std::fs::write(dir.join(format!("{name}.png")), png).expect("write screenshot");
    }

    /// The element that has the keyboard focus, described, and whether its focus is visible.
    pub async fn focused(&self) -> (String, bool) {
        let result = self
            .client
            .execute(
                "const el = document.activeElement; const s = getComputedStyle(el);
                 const visible = (s.outlineStyle !== 'none' && parseFloat(s.outlineWidth) >= 2) || s.boxShadow !== 'none';
                 return [el.tagName.toLowerCase() + (el.id ? '#' + el.id : '') + (el.name ? '[' + el.name + ']' : '')
                         + ' ' + (el.innerText || el.value || '').trim().slice(0, 40), visible];",
                vec![],
            )
            .await
            .expect("focus");
        (
            result[0].as_str().unwrap_or_default().to_string(),
            result[1].as_bool().unwrap_or(false),
        )
    }

    /// Presses and releases a key on whatever has the focus, as the keyboard does.
    pub async fn press(&self, key: char) {
        use fantoccini::actions::{InputSource, KeyAction, KeyActions};
        let keys = KeyActions::new("keyboard".into())
            .then(KeyAction::Down { value: key })
            .then(KeyAction::Up { value: key });
        self.client.perform_actions(keys).await.expect("key");
    }

    /// Types text into whatever has the focus.
    pub async fn type_keys(&self, text: &str) {
        for c in text.chars() {
            self.press(c).await;
        }
    }

    /// A date field's value. The date picker's typed format follows the browser's locale, so
    /// the value is set as the picker would set it.
    pub async fn set_date(&self, css: &str, iso: &str) {
        self.client
            .execute(
                "const el = document.querySelector(arguments[0]); el.value = arguments[1];
                 el.dispatchEvent(new Event('change', {bubbles: true}));",
                vec![json!(css), json!(iso)],
            )
            .await
            .expect("set date");
    }

    pub async fn choose_value(&self, css: &str, value: &str) {
        self.field(css)
            .await
            .select_by_value(value)
            .await
            .expect("choose");
    }

    /// Waits until the page shows `text` (after a click that loads a page).
    pub async fn wait_for_text(&self, text: &str) {
        for _ in 0..100 {
            if self.text().await.contains(text) {
                return;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!(
            "{} never showed {text:?}:\n{}",
            self.path().await,
            self.text().await
        );
    }
}

fn xpath_literal(text: &str) -> String {
    if !text.contains('\'') {
        format!("'{text}'")
    } else {
        format!("concat('{}')", text.replace('\'', "', \"'\", '"))
    }
}
