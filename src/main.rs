//! The `sammelkauf` command line: serve the site, migrate, price a scenario, seed a demo,
//! create a staff account.

use clap::{Parser, Subcommand};
use sammelkauf::clock::{Clock, SystemClock};
use sammelkauf::config::Settings;
use sammelkauf::db::{self, users};
use sammelkauf::domain::account::{EmailAddress, Role};
use sammelkauf::startup::Application;
use std::io::Read;
use std::process::ExitCode;
use std::sync::Arc;

#[derive(Parser)]
#[command(
    name = "sammelkauf",
    version,
    about = "Cooperative purchasing for municipal IT service providers"
)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Serve the web application (the default).
    Serve {
        /// Fill an empty database with the demo cooperative first.
        #[arg(long)]
        demo: bool,
    },
    /// Only migrate the database.
    Migrate,
    /// Price a scenario (JSON file, or - for standard input) and print the result.
    Price { scenario: String },
    /// Price a framework's call-offs (JSON file, or - for standard input) and print the result.
    Calloffs { scenario: String },
    /// Fill an empty database with the demo cooperative.
    Demo,
    /// Run the background work once and exit: close lots past their deadline, send
    /// reminders, confirm lots after the standstill, deliver due emails.
    RunJobs,
    /// Create a staff account; the password is read from SAMMELKAUF_ADMIN_PASSWORD or stdin.
    CreateAdmin {
        #[arg(long)]
        email: String,
        #[arg(long, default_value = "Administration")]
        name: String,
    },
}

/// Many small allocations from many threads at once (requests, queries, templates): an
/// allocator built for that instead of the system's arena locks.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    let cli = Cli::parse();
    let command = cli.command.unwrap_or(Command::Serve { demo: false });
    if let Command::Price { scenario } = &command {
        return price(scenario, sammelkauf::scenario::price_scenario);
    }
    if let Command::Calloffs { scenario } = &command {
        return price(scenario, sammelkauf::calloff_scenario::price_calloffs);
    }
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| "info,actix_web=info".into()),
        )
        .init();
    let settings = match Settings::from_env() {
        Ok(s) => s,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(2);
        }
    };
    let result = match command {
        Command::Serve { demo } => serve(settings, demo),
        Command::Migrate => db::migrate(&settings.backend)
            .map(|n| println!("{n} migration(s) applied ({})", settings.backend_name()))
            .map_err(|e| e.to_string()),
        Command::Demo => seed_demo(&settings),
        Command::RunJobs => run_jobs(settings),
        Command::CreateAdmin { email, name } => create_admin(&settings, &email, &name),
        Command::Price { .. } | Command::Calloffs { .. } => Ok(()),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}

/// Reads a scenario, prices it with `engine` and prints the result; exit 2 on bad input.
fn price(
    path: &str,
    engine: fn(&str) -> Result<String, sammelkauf::domain::pricing::InvalidInput>,
) -> ExitCode {
    let input = if path == "-" {
        let mut s = String::new();
        std::io::stdin().read_to_string(&mut s).map(|_| s)
    } else {
        std::fs::read_to_string(path)
    };
    let input = match input {
        Ok(s) => s,
        Err(e) => {
            eprintln!("error: {path}: {e}");
            return ExitCode::from(2);
        }
    };
    match engine(&input) {
        Ok(out) => {
            println!("{out}");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::from(2)
        }
    }
}

fn mail_context(settings: &Settings) -> sammelkauf::mail::MailContext {
    sammelkauf::mail::MailContext {
        base_url: settings.base_url.clone(),
    }
}

fn seed_demo(settings: &Settings) -> Result<(), String> {
    let pool = db::connect(&settings.backend, settings.pool_size).map_err(|e| e.to_string())?;
    let mut conn = pool.get().map_err(|e| e.to_string())?;
    let accounts = sammelkauf::demo::seed(&mut conn, &mail_context(settings), SystemClock.now())
        .map_err(|e| e.to_string())?;
    println!(
        "Demo cooperative created. Every account's password: {}",
        sammelkauf::demo::DEMO_PASSWORD
    );
    for a in accounts {
        println!("  {:<9} {:<55} {}", a.role, a.email, a.organisation);
    }
    Ok(())
}

fn serve(settings: Settings, demo: bool) -> Result<(), String> {
    if demo {
        let pool = db::connect(&settings.backend, settings.pool_size).map_err(|e| e.to_string())?;
        let mut conn = pool.get().map_err(|e| e.to_string())?;
        match sammelkauf::demo::seed(&mut conn, &mail_context(&settings), SystemClock.now()) {
            Ok(accounts) => {
                println!(
                    "Demo cooperative created. Every account's password: {}",
                    sammelkauf::demo::DEMO_PASSWORD
                );
                for a in accounts {
                    println!("  {:<9} {:<55} {}", a.role, a.email, a.organisation);
                }
            }
            Err(sammelkauf::demo::DemoError::NotEmpty) => {
                println!("The database already holds data; the demo was not loaded again.");
            }
            Err(e) => return Err(e.to_string()),
        }
    }
    let bind = settings.bind.clone();
    let backend = settings.backend_name();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| e.to_string())?;
    runtime.block_on(async move {
        let clock: Arc<dyn Clock> = Arc::new(SystemClock);
        let app = Application::build(settings, clock).map_err(|e| e.to_string())?;
        println!("sammelkauf serves http://{bind} ({backend})");
        app.run_until_stopped().await.map_err(|e| e.to_string())
    })
}

fn run_jobs(settings: Settings) -> Result<(), String> {
    let pool = db::connect(&settings.backend, settings.pool_size).map_err(|e| e.to_string())?;
    let mail = mail_context(&settings);
    let (closed, confirmed) =
        sammelkauf::jobs::run_due_work(&pool, &SystemClock, &mail).map_err(|e| e.to_string())?;
    let from = settings
        .mail_from
        .parse()
        .map_err(|e| format!("MAIL_FROM: {e}"))?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| e.to_string())?;
    // The SMTP transport's pool lives on the runtime: build it there.
    let delivery = runtime.block_on(async {
        let mailer = sammelkauf::mail::transport::Mailer::new(
            settings.smtp_url.as_deref(),
            settings.smtp_user.clone(),
            settings.smtp_password.clone(),
            settings.data_dir.join("outbox"),
        )?;
        sammelkauf::mail::worker::deliver_due(&pool, &mailer, &from, SystemClock.now())
            .await
            .map_err(|e| e.to_string())
    })?;
    println!(
        "closed {closed}, confirmed {confirmed}, emails sent {}, retried {}, failed {}",
        delivery.sent, delivery.retried, delivery.failed
    );
    Ok(())
}

fn create_admin(settings: &Settings, email: &str, name: &str) -> Result<(), String> {
    let email = EmailAddress::parse(email).ok_or("the e-mail address is not valid")?;
    let password = match std::env::var("SAMMELKAUF_ADMIN_PASSWORD") {
        Ok(p) => p,
        Err(_) => {
            eprintln!(
                "Password (at least {} characters), then Enter:",
                sammelkauf::password::MIN_LENGTH
            );
            let mut line = String::new();
            std::io::stdin()
                .read_line(&mut line)
                .map_err(|e| e.to_string())?;
            line.trim_end_matches(['\r', '\n']).to_string()
        }
    };
    if password.chars().count() < sammelkauf::password::MIN_LENGTH {
        return Err(format!(
            "the password needs at least {} characters",
            sammelkauf::password::MIN_LENGTH
        ));
    }
    let hash = sammelkauf::password::hash(&password)?;
    let pool = db::connect(&settings.backend, settings.pool_size).map_err(|e| e.to_string())?;
    let mut conn = pool.get().map_err(|e| e.to_string())?;
    let now = SystemClock.now().naive_utc();
    if users::find_by_email(&mut conn, email.as_str())
        .map_err(|e| e.to_string())?
        .is_some()
    {
        return Err(format!("an account for {} exists already", email.as_str()));
    }
    users::insert(
        &mut conn,
        &users::NewUser {
            email: email.as_str(),
            name,
            password_hash: &hash,
            role: Role::Staff.as_str(),
            member_id: None,
            supplier_id: None,
            language: "de",
            active: true,
            created_at: now,
            updated_at: now,
        },
    )
    .map_err(|e| e.to_string())?;
    println!("Staff account {} created.", email.as_str());
    Ok(())
}
