//! Settings from the environment, checked once at start.

use crate::db::Backend;
use rand::RngCore;
use sha2::{Digest, Sha512};
use std::collections::HashMap;
use std::path::{Path, PathBuf};

/// Everything the application is configured with.
#[derive(Clone)]
pub struct Settings {
    pub backend: Backend,
    pub bind: String,
    pub base_url: String,
    pub smtp_url: Option<String>,
    pub smtp_user: Option<String>,
    pub smtp_password: Option<String>,
    pub mail_from: String,
    pub data_dir: PathBuf,
    /// 64 bytes for signing and encrypting session cookies.
    pub session_key: Vec<u8>,
    /// Seconds between runs of the background tasks.
    pub tick_seconds: u64,
    /// Seconds between runs of the email delivery worker.
    pub mail_tick_seconds: u64,
    /// Minutes a session may go unused before it ends.
    pub session_idle_minutes: i64,
    /// Hours after which a session ends however much it is used.
    pub session_max_hours: i64,
    /// Reverse proxies whose `X-Forwarded-For` names the client's address.
    pub trusted_proxies: Vec<std::net::IpAddr>,
    /// Database connections the server keeps at most.
    pub pool_size: u32,
}

impl std::fmt::Debug for Settings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Settings")
            .field("backend", &self.backend_name())
            .field("bind", &self.bind)
            .field("base_url", &self.base_url)
            .field("smtp", &self.smtp_url.is_some())
            .field("mail_from", &self.mail_from)
            .field("data_dir", &self.data_dir)
            .finish_non_exhaustive()
    }
}

/// A configuration that cannot work, with the variable at fault.
#[derive(Debug, thiserror::Error)]
#[error("configuration error in {variable}: {message}")]
pub struct ConfigError {
    pub variable: &'static str,
    pub message: String,
}

fn config_error(variable: &'static str, message: impl Into<String>) -> ConfigError {
    ConfigError {
        variable,
        message: message.into(),
    }
}

impl Settings {
    /// Reads the settings from a variable lookup (the process environment in production).
    pub fn from_lookup(get: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let var = |name: &str| {
            get(name)
                .map(|v| v.trim().to_string())
                .filter(|v| !v.is_empty())
        };
        let data_dir = PathBuf::from(var("DATA_DIR").unwrap_or_else(|| "data".into()));
        let database_url = var("DATABASE_URL").unwrap_or_else(|| {
            data_dir
                .join("sammelkauf.db")
                .to_string_lossy()
                .into_owned()
        });
        let backend =
            Backend::from_url(&database_url).map_err(|m| config_error("DATABASE_URL", m))?;
        let bind = var("BIND").unwrap_or_else(|| "127.0.0.1:8080".into());
        if bind.parse::<std::net::SocketAddr>().is_err() {
            return Err(config_error(
                "BIND",
                format!("{bind:?} is not an address with a port, e.g. 127.0.0.1:8080"),
            ));
        }
        let base_url = var("BASE_URL")
            .unwrap_or_else(|| format!("http://{bind}"))
            .trim_end_matches('/')
            .to_string();
        if !(base_url.starts_with("http://") || base_url.starts_with("https://")) {
            return Err(config_error(
                "BASE_URL",
                "must start with http:// or https://",
            ));
        }
        let smtp_url = var("SMTP_URL");
        if let Some(url) = &smtp_url {
            if !(url.starts_with("smtp://") || url.starts_with("smtps://")) {
                return Err(config_error(
                    "SMTP_URL",
                    "must start with smtp:// or smtps://",
                ));
            }
        }
        let mail_from = var("MAIL_FROM").unwrap_or_else(|| "sammelkauf <noreply@localhost>".into());
        let tick_seconds = match var("TICK_SECONDS") {
            None => 15,
            Some(v) => v
                .parse()
                .ok()
                .filter(|n| (1..=3600).contains(n))
                .ok_or_else(|| {
                    config_error("TICK_SECONDS", "must be a number of seconds from 1 to 3600")
                })?,
        };
        let mail_tick_seconds = match var("MAIL_TICK_SECONDS") {
            None => 5,
            Some(v) => v
                .parse()
                .ok()
                .filter(|n| (1..=3600).contains(n))
                .ok_or_else(|| {
                    config_error(
                        "MAIL_TICK_SECONDS",
                        "must be a number of seconds from 1 to 3600",
                    )
                })?,
        };
        let number = |name: &'static str, default: i64, range: std::ops::RangeInclusive<i64>| {
            match var(name) {
                None => Ok(default),
                Some(v) => v.parse().ok().filter(|n| range.contains(n)).ok_or_else(|| {
                    config_error(
                        name,
                        format!(
                            "must be a whole number from {} to {}",
                            range.start(),
                            range.end()
                        ),
                    )
                }),
            }
        };
        let session_idle_minutes = number("SESSION_IDLE_MINUTES", 60, 5..=43_200)?;
        let session_max_hours = number("SESSION_MAX_HOURS", 12, 1..=720)?;
        let pool_size = number(
            "DATABASE_POOL_SIZE",
            i64::from(crate::db::default_pool_size(&backend)),
            1..=100,
        )? as u32;
        let trusted_proxies = var("TRUSTED_PROXIES")
            .unwrap_or_default()
            .split(',')
            .map(str::trim)
            .filter(|p| !p.is_empty())
            .map(|p| {
                p.parse().map_err(|_| {
                    config_error(
                        "TRUSTED_PROXIES",
                        format!("{p:?} is not an IP address (list them separated by commas)"),
                    )
                })
            })
            .collect::<Result<Vec<_>, _>>()?;
        let secret = match var("SECRET_KEY") {
            Some(s) if s.len() < 32 => {
                return Err(config_error(
                    "SECRET_KEY",
                    "must be at least 32 characters long",
                ))
            }
            Some(s) => s,
            None => stored_secret(&data_dir)?,
        };
        let session_key = Sha512::digest(secret.as_bytes()).to_vec();
        let smtp_user = var("SMTP_USER");
        let smtp_password = get("SMTP_PASSWORD").filter(|p| !p.is_empty());
        if smtp_user.is_some() != smtp_password.is_some() {
            return Err(config_error(
                "SMTP_USER",
                "SMTP_USER and SMTP_PASSWORD are set together",
            ));
        }
        if mail_from.parse::<lettre::message::Mailbox>().is_err() {
            return Err(config_error(
                "MAIL_FROM",
                "is not an e-mail address such as \"sammelkauf <einkauf@example.org>\"",
            ));
        }
        Ok(Settings {
            backend,
            bind,
            base_url,
            smtp_url,
            smtp_user,
            smtp_password,
            mail_from,
            data_dir,
            session_key,
            tick_seconds,
            mail_tick_seconds,
            session_idle_minutes,
            session_max_hours,
            trusted_proxies,
            pool_size,
        })
    }

    /// The environment, over the optional file named by `SAMMELKAUF_CONFIG` (or
    /// `./sammelkauf.conf` where it exists): variables set in the environment win.
    pub fn from_env() -> Result<Self, ConfigError> {
        let file = match std::env::var("SAMMELKAUF_CONFIG") {
            Ok(path) => read_config_file(Path::new(&path))?,
            Err(_) if Path::new(DEFAULT_CONFIG_FILE).exists() => {
                read_config_file(Path::new(DEFAULT_CONFIG_FILE))?
            }
            Err(_) => HashMap::new(),
        };
        Self::from_lookup(|name| std::env::var(name).ok().or_else(|| file.get(name).cloned()))
    }

    pub fn backend_name(&self) -> &'static str {
        match self.backend {
            Backend::Postgres(_) => "PostgreSQL",
            Backend::Sqlite(_) => "SQLite",
        }
    }

    /// Cookies are marked Secure when the site is served over HTTPS.
    pub fn secure_cookies(&self) -> bool {
        self.base_url.starts_with("https://")
    }
}

/// The configuration file read when `SAMMELKAUF_CONFIG` names none.
pub const DEFAULT_CONFIG_FILE: &str = "sammelkauf.conf";

/// Every variable the application reads.
pub const VARIABLES: [&str; 15] = [
    "DATABASE_URL",
    "BIND",
    "BASE_URL",
    "SMTP_URL",
    "SMTP_USER",
    "SMTP_PASSWORD",
    "MAIL_FROM",
    "SECRET_KEY",
    "DATA_DIR",
    "TICK_SECONDS",
    "MAIL_TICK_SECONDS",
    "SESSION_IDLE_MINUTES",
    "SESSION_MAX_HOURS",
    "TRUSTED_PROXIES",
    "DATABASE_POOL_SIZE",
];

fn read_config_file(path: &Path) -> Result<HashMap<String, String>, ConfigError> {
    let text = std::fs::read_to_string(path).map_err(|e| {
        config_error(
            "SAMMELKAUF_CONFIG",
            format!("cannot read {}: {e}", path.display()),
        )
    })?;
    parse_config_file(&text).map_err(|(line, message)| {
        config_error(
            "SAMMELKAUF_CONFIG",
            format!("{} line {line}: {message}", path.display()),
        )
    })
}

/// Reads `NAME=value` lines; `#` starts a comment line; values may be quoted. Unknown
/// names are refused, so a typo does not silently fall back to a default.
pub fn parse_config_file(text: &str) -> Result<HashMap<String, String>, (usize, String)> {
    let mut values = HashMap::new();
    for (index, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let (name, value) = line
            .split_once('=')
            .ok_or((index + 1, "expected NAME=value".to_string()))?;
        let name = name.trim();
        if !VARIABLES.contains(&name) {
            return Err((index + 1, format!("unknown setting {name:?}")));
        }
        let value = value.trim();
        let value = value
            .strip_prefix('"')
            .and_then(|v| v.strip_suffix('"'))
            .unwrap_or(value);
        values.insert(name.to_string(), value.to_string());
    }
    Ok(values)
}

/// The secret kept in the data folder, created on first start.
fn stored_secret(data_dir: &Path) -> Result<String, ConfigError> {
    let path = data_dir.join("secret_key");
    if let Ok(existing) = std::fs::read_to_string(&path) {
        let existing = existing.trim().to_string();
        if existing.len() >= 32 {
            return Ok(existing);
        }
    }
    std::fs::create_dir_all(data_dir).map_err(|e| {
        config_error(
            "SECRET_KEY",
            format!("cannot create {}: {e}", data_dir.display()),
        )
    })?;
    let mut bytes = [0u8; 48];
    rand::thread_rng().fill_bytes(&mut bytes);
    let secret = hex::encode(bytes);
    std::fs::write(&path, &secret).map_err(|e| {
        config_error(
            "SECRET_KEY",
            format!("cannot write {}: {e}", path.display()),
        )
    })?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let _ = std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600));
    }
    Ok(secret)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn settings(vars: &[(&str, &str)]) -> Result<Settings, ConfigError> {
        let map: HashMap<String, String> = vars
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        Settings::from_lookup(|k| map.get(k).cloned())
    }

    const KEY: (&str, &str) = ("SECRET_KEY", "0123456789abcdef0123456789abcdef");

    #[test]
    fn the_config_file_is_read_and_typos_are_refused() {
        let values = parse_config_file(
            "# sammelkauf\nBIND = 0.0.0.0:9000\nMAIL_FROM=\"Einkauf <e@x.de>\"\n",
        )
        .expect("valid");
        assert_eq!(values.get("BIND").map(String::as_str), Some("0.0.0.0:9000"));
        assert_eq!(
            values.get("MAIL_FROM").map(String::as_str),
            Some("Einkauf <e@x.de>")
        );
        assert_eq!(parse_config_file("BINDE=1").map_err(|e| e.0), Err(1));
        assert_eq!(parse_config_file("\nBIND").map_err(|e| e.0), Err(2));
    }

    #[test]
    fn defaults_are_embedded_sqlite_on_localhost() {
        let s = settings(&[KEY]).expect("valid");
        assert_eq!(s.bind, "127.0.0.1:8080");
        assert!(s.backend.is_sqlite());
        assert_eq!(s.base_url, "http://127.0.0.1:8080");
    }

    #[test]
    fn the_pool_size_has_a_default_per_database_and_can_be_set() {
        let sqlite = settings(&[KEY]).expect("valid");
        assert_eq!(sqlite.pool_size, 8);
        let pg = settings(&[KEY, ("DATABASE_URL", "postgres://u@h/db")]).expect("valid");
        assert!(pg.pool_size >= 4);
        let set = settings(&[KEY, ("DATABASE_POOL_SIZE", "6")]).expect("valid");
        assert_eq!(set.pool_size, 6);
        for bad in ["0", "101", "-1", "vier", "99999999999999999999"] {
            let refused = settings(&[KEY, ("DATABASE_POOL_SIZE", bad)]).err();
            assert_eq!(
                refused.map(|e| e.variable),
                Some("DATABASE_POOL_SIZE"),
                "{bad}"
            );
        }
        assert!(parse_config_file("DATABASE_POOL_SIZE=6\nSESSION_IDLE_MINUTES=30").is_ok());
    }

    #[test]
    fn bad_settings_are_refused_with_the_variable_named() {
        let err = |vars: &[(&str, &str)]| settings(vars).err().map(|e| e.variable);
        assert_eq!(err(&[KEY, ("BIND", "localhost")]), Some("BIND"));
        assert_eq!(
            err(&[KEY, ("DATABASE_URL", "mysql://x")]),
            Some("DATABASE_URL")
        );
        assert_eq!(err(&[KEY, ("SMTP_URL", "http://x")]), Some("SMTP_URL"));
        assert_eq!(err(&[("SECRET_KEY", "short")]), Some("SECRET_KEY"));
        assert_eq!(err(&[KEY, ("BASE_URL", "ftp://x")]), Some("BASE_URL"));
        assert!(settings(&[KEY, ("DATABASE_URL", "postgres://u@h/db")])
            .map(|s| !s.backend.is_sqlite())
            .unwrap_or(false));
    }
}
