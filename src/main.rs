//! The `janua` command: `serve` (the default), `migrate up|down|status`, `keys list|rotate`,
//! `config check`, `users create-admin`, `import plan|run`, `export`, `openapi` (and the
//! hidden `argon2-rate`, for the benchmark). Every command but `openapi` reads the configuration the same way (the
//! environment over `./.env`), and none creates a database unless it writes one (`serve`,
//! `migrate up`, `keys rotate`, `users create-admin`, `import run`).

use std::{
    io::IsTerminal,
    path::Path,
    process::ExitCode,
    sync::Arc,
    time::{Duration, Instant},
};

use anyhow::Context;
use clap::{CommandFactory, FromArgMatches, Parser, Subcommand};
use janua::{
    clock::{Clock, SystemClock},
    config::{self, Config, ConfigInput, LogFormat},
    credentials::Email,
    crypto::{HashingMetrics, KeyStatus, PasswordHasher, WorkerMetrics},
    import::{
        self,
        cli::{ExportArgs, ImportArgs},
    },
    server::{self, App, Migrations},
    store,
};
use migration::{Migrator, MigratorTrait};
use prometheus::{IntCounter, IntGauge};
use secrecy::SecretString;
use tracing_subscriber::{EnvFilter, fmt};

/// mimalloc rather than glibc's malloc: see BENCHMARKS.md ("Round 2") for the numbers.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[derive(Parser)]
#[command(
    name = "janua",
    version,
    about = "Self-hosted identity service: gRPC, gRPC-web and REST on one port"
)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Serve gRPC, gRPC-web and REST on PORT (the default command).
    Serve {
        /// Do not apply pending migrations at start.
        #[arg(long)]
        no_migrate: bool,
    },
    /// Database migrations.
    Migrate {
        #[command(subcommand)]
        action: MigrateAction,
    },
    /// JWT signing keys.
    Keys {
        #[command(subcommand)]
        action: KeysAction,
    },
    /// The configuration.
    Config {
        #[command(subcommand)]
        action: ConfigAction,
    },
    /// Accounts, from the machine Janua runs on.
    Users {
        #[command(subcommand)]
        action: UsersAction,
    },
    /// Bring users in from another system: `plan` (a dry run that writes nothing) or `run`.
    /// Uses the server's FIELD_ENCRYPTION_KEY (or the same `.janua/` folder).
    Import {
        #[command(subcommand)]
        action: ImportAction,
    },
    /// Write every user out in a format `janua import` reads.
    Export(ExportArgs),
    /// Print the OpenAPI 3.1 document of the REST API (what `/openapi.json` serves), generated
    /// from the contract; `openapi/janua.json` is its committed copy. Needs no configuration.
    Openapi,
    /// Raw argon2id hashes per second at Janua's parameters, on one core and on all of
    /// them through the server's hasher, as JSON: the ceiling of Login throughput, which
    /// bench/run reports logins against.
    #[command(hide = true)]
    Argon2Rate {
        #[arg(long, default_value_t = 5)]
        seconds: u64,
    },
}

#[derive(Subcommand)]
enum MigrateAction {
    /// Apply every pending migration.
    Up,
    /// Roll back the latest migrations.
    Down {
        #[arg(long, default_value_t = 1)]
        steps: u32,
    },
    /// List migrations and whether each is applied.
    Status,
}

#[derive(Subcommand)]
enum KeysAction {
    /// List signing keys and their status.
    List,
    /// Make a new signing key; the old one stays published until its tokens expire.
    Rotate,
}

#[derive(Subcommand)]
enum ConfigAction {
    /// Check the configuration exactly as `serve` reads it and print the effective values
    /// (secrets masked); opens no database.
    Check,
}

#[derive(Subcommand)]
enum UsersAction {
    /// Create a platform administrator. The password comes from a prompt, or from the
    /// first line of standard input when it is not a terminal.
    CreateAdmin {
        #[arg(long)]
        email: String,
    },
}

#[derive(Subcommand)]
enum ImportAction {
    /// Read and check everything, decide against the database, print the report; write
    /// nothing to the database.
    Plan(ImportArgs),
    /// Import: one transaction per batch; re-running the same input changes nothing.
    Run(ImportArgs),
    /// Check what a run left: its users exist, its counts agree, a sample's hashes and TOTP
    /// secrets are usable. Exit 2 when something is wrong.
    Verify {
        #[arg(long)]
        run_id: String,
    },
}

fn main() -> ExitCode {
    let cli = match Cli::command()
        .after_long_help(config::help_text())
        .try_get_matches()
        .and_then(|matches| Cli::from_arg_matches(&matches))
    {
        Ok(cli) => cli,
        Err(err) => err.exit(),
    };
    let command = cli.command.unwrap_or(Command::Serve { no_migrate: false });
    // The document depends on the contract alone: no configuration, no runtime.
    if let Command::Openapi = command {
        return exit_code(print_openapi());
    }
    let read = ConfigInput::gather(Path::new("."))
        .and_then(|input| Config::from_vars(input.pairs()).map(|config| (input, config)));
    let (input, config) = match read {
        Ok(read) => read,
        Err(err) => {
            eprintln!("janua: {err}");
            return ExitCode::from(2);
        }
    };
    if let Command::Config {
        action: ConfigAction::Check,
    } = command
    {
        print_config(&input, &config);
        return ExitCode::SUCCESS;
    }
    init_tracing(&config);
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(runtime) => runtime,
        Err(err) => {
            eprintln!("janua: cannot start the async runtime: {err}");
            return ExitCode::FAILURE;
        }
    };
    if let Command::Import { action } = command {
        return runtime.block_on(import(config, action));
    }
    exit_code(runtime.block_on(run(command, config)))
}

fn exit_code(result: anyhow::Result<()>) -> ExitCode {
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("janua: {err:#}");
            ExitCode::FAILURE
        }
    }
}

/// `janua config check`: the configuration passed the same reading as `serve`'s. (Written
/// at once, so a reader that stops early, such as `head`, is no error.)
fn print_config(input: &ConfigInput, config: &Config) {
    let mut out = match &input.dotenv {
        Some(path) => format!("configuration is valid (with {})\n", path.display()),
        None => "configuration is valid (no .env here)\n".to_owned(),
    };
    for (topic, value) in config::summary(config) {
        out.push_str(&format!("  {topic:<16} {value}\n"));
    }
    out.push_str("\nvariables:\n");
    for line in config::effective_variables(input) {
        out.push_str(&format!("  {line}\n"));
    }
    let _ = std::io::Write::write_all(&mut std::io::stdout(), out.as_bytes());
}

fn print_openapi() -> anyhow::Result<()> {
    let pool = janua::proto::descriptor_pool()?;
    print!("{}", server::openapi::document_text(&pool)?);
    Ok(())
}

/// Log lines go to stderr; colours only when a person watches it.
fn init_tracing(config: &Config) {
    let filter = EnvFilter::new(&config.log_filter);
    let builder = fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal());
    match config.log_format {
        LogFormat::Json => builder.json().init(),
        LogFormat::Text => builder.init(),
    }
}

async fn run(command: Command, config: Config) -> anyhow::Result<()> {
    match command {
        Command::Serve { no_migrate } => serve(config, no_migrate).await,
        Command::Migrate { action } => migrate(config, action).await,
        Command::Keys { action } => keys(config, action).await,
        Command::Config { .. } => Ok(()), // answered before the runtime started
        Command::Users {
            action: UsersAction::CreateAdmin { email },
        } => create_admin(config, &email).await,
        Command::Import { .. } => Ok(()), // answered in `main`, for its exit codes
        Command::Export(args) => export(config, &args).await,
        Command::Openapi => print_openapi(),
        Command::Argon2Rate { seconds } => argon2_rate(Duration::from_secs(seconds)).await,
    }
}

async fn argon2_rate(window: Duration) -> anyhow::Result<()> {
    let cores = std::thread::available_parallelism().map_or(1, usize::from);
    let one_core = hashes_per_second(1, 1, window).await?;
    // Twice as many callers as hashing threads, so a thread never waits for a job.
    let all_cores = hashes_per_second(cores, cores * 2, window).await?;
    let report = serde_json::json!({
        "cores": cores,
        "per_core_hashes_per_second": one_core,
        "all_cores_hashes_per_second": all_cores,
    });
    println!("{report}");
    Ok(())
}

/// Hashes per second that `callers` tasks reach hashing back to back for `window` through a
/// `PasswordHasher` with `threads` hashing threads.
async fn hashes_per_second(
    threads: usize,
    callers: usize,
    window: Duration,
) -> anyhow::Result<f64> {
    let metrics = HashingMetrics {
        queue: WorkerMetrics {
            in_flight: IntGauge::new("in_flight", "hashes running")?,
            waiting: IntGauge::new("waiting", "hashes queued")?,
            abandoned: IntCounter::new("abandoned", "hashes skipped")?,
        },
        verifications: IntCounter::new("verifications", "verifications done")?,
    };
    let hasher = Arc::new(PasswordHasher::start(threads, metrics).await?);
    let password = SecretString::from("correct horse battery staple".to_owned());
    let started = Instant::now();
    let mut tasks = tokio::task::JoinSet::new();
    for _ in 0..callers {
        let (hasher, password) = (hasher.clone(), password.clone());
        tasks.spawn(async move {
            let mut done = 0u32;
            while started.elapsed() < window {
                hasher.hash(&password).await?;
                done += 1;
            }
            anyhow::Ok(done)
        });
    }
    let mut total = 0u32;
    while let Some(done) = tasks.join_next().await {
        total += done.context("a hashing task failed")??;
    }
    Ok(f64::from(total) / started.elapsed().as_secs_f64())
}

async fn serve(config: Config, no_migrate: bool) -> anyhow::Result<()> {
    let address = (config.bind_address, config.port);
    let migrations = if no_migrate {
        Migrations::Skip
    } else {
        Migrations::Apply
    };
    for (topic, value) in config::summary(&config) {
        tracing::info!("{topic}: {value}");
    }
    let app = Arc::new(App::start(config, migrations, Arc::new(SystemClock)).await?);
    let listener = tokio::net::TcpListener::bind(address)
        .await
        .with_context(|| format!("binding {}:{}", address.0, address.1))?;
    tracing::info!(address = %listener.local_addr()?, "janua is serving gRPC, gRPC-web and REST");
    server::serve(app, listener, shutdown_signal()).await
}

async fn shutdown_signal() {
    let interrupt = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        let mut terminate =
            match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
                Ok(signal) => signal,
                Err(_) => return interrupt.await.unwrap_or_default(),
            };
        tokio::select! {
            _ = interrupt => {},
            _ = terminate.recv() => {},
        }
    }
    #[cfg(not(unix))]
    interrupt.await.unwrap_or_default();
    tracing::info!("shutting down");
}

async fn migrate(config: Config, action: MigrateAction) -> anyhow::Result<()> {
    let db = match action {
        MigrateAction::Up => store::connect(&config.database_url).await?,
        _ => store::connect_existing(&config.database_url).await?,
    };
    match action {
        MigrateAction::Up => store::migrate(&db).await?,
        MigrateAction::Down { steps } => store::roll_back(&db, Some(steps)).await?,
        MigrateAction::Status => {
            for migration in Migrator::get_migration_with_status(&db).await? {
                println!(
                    "{:<10} {}",
                    format!("{:?}", migration.status()).to_lowercase(),
                    migration.name()
                );
            }
        }
    }
    Ok(())
}

async fn keys(config: Config, action: KeysAction) -> anyhow::Result<()> {
    match action {
        KeysAction::Rotate => {
            let db = store::connect(&config.database_url).await?;
            store::migrate(&db).await?;
            let keyring = server::open_keyring(&config, db, Arc::new(SystemClock))?;
            println!("{}", keyring.rotate().await?);
        }
        KeysAction::List => {
            let db = store::connect_existing(&config.database_url).await?;
            let pending = Migrator::get_pending_migrations(&db).await?.len();
            if pending > 0 {
                anyhow::bail!(
                    "the database has {pending} pending migration(s); run `janua migrate up` first"
                );
            }
            for key in janua::crypto::list_keys(&db, SystemClock.now()).await? {
                let status = match key.status {
                    KeyStatus::Active => "active".to_owned(),
                    KeyStatus::Retiring(at) => format!("published until {}", at.to_rfc3339()),
                    KeyStatus::Retired(at) => format!("retired {}", at.to_rfc3339()),
                };
                println!(
                    "{}  {:<6} created {}  {status}",
                    key.kid,
                    key.algorithm,
                    key.created_at.to_rfc3339()
                );
            }
        }
    }
    Ok(())
}

/// `janua users create-admin`: through the users domain, on a database made ready as
/// `serve` makes it.
async fn create_admin(config: Config, email: &str) -> anyhow::Result<()> {
    let email = Email::parse("email", email).map_err(|err| anyhow::anyhow!("{err}"))?;
    let password = admin_password(email.normalized())?;
    let app = App::start(config, Migrations::Apply, Arc::new(SystemClock)).await?;
    let admin = app
        .users
        .create_administrator(email, &password)
        .await
        .map_err(|err| anyhow::anyhow!("{err}"))?;
    println!("created administrator {} ({})", admin.email, admin.id);
    Ok(())
}

/// `janua import plan|run`: a run prepares the database as `serve` does (creating and
/// migrating it); a plan needs one that exists and is migrated, and writes nothing to it.
async fn import(config: Config, action: ImportAction) -> ExitCode {
    let (args, dry_run) = match &action {
        ImportAction::Plan(args) => (args, true),
        ImportAction::Run(args) => (args, false),
        ImportAction::Verify { run_id } => {
            return match open_importer(config, true).await {
                Ok(importer) => import::cli::verify(&importer, run_id).await,
                Err(err) => {
                    eprintln!("janua: {err:#}");
                    ExitCode::FAILURE
                }
            };
        }
    };
    let importer = match open_importer(config, dry_run).await {
        Ok(importer) => importer,
        Err(err) => {
            eprintln!("janua: {err:#}");
            return ExitCode::FAILURE;
        }
    };
    import::cli::import(&importer, args, dry_run).await
}

/// The engine on this configuration's database, with the server's field key.
async fn open_importer(config: Config, read_only: bool) -> anyhow::Result<import::Importer> {
    let db = if read_only {
        let db = store::connect_existing(&config.database_url).await?;
        let pending = Migrator::get_pending_migrations(&db).await?.len();
        anyhow::ensure!(
            pending == 0,
            "the database has {pending} pending migration(s); run `janua migrate up` first"
        );
        db
    } else {
        let db = store::connect(&config.database_url).await?;
        store::migrate(&db).await?;
        db
    };
    server::open_importer(&config, db, Arc::new(SystemClock)).await
}

/// `janua export --format janua-v2 [--encrypt] --out DIR`.
async fn export(config: Config, args: &ExportArgs) -> anyhow::Result<()> {
    let importer = open_importer(config, true).await?;
    import::cli::export(&importer, args).await
}

/// The new administrator's password: asked twice without echo at a terminal, else the first
/// line of standard input.
fn admin_password(email: &str) -> anyhow::Result<String> {
    if std::io::stdin().is_terminal() {
        let first = rpassword::prompt_password(format!("Password for {email}: "))?;
        let again = rpassword::prompt_password("Again: ")?;
        anyhow::ensure!(first == again, "the two passwords differ");
        return Ok(first);
    }
    let mut line = String::new();
    std::io::stdin()
        .read_line(&mut line)
        .context("reading the password from standard input")?;
    let password = line.trim_end_matches(['\n', '\r']).to_owned();
    anyhow::ensure!(
        !password.is_empty(),
        "no password on standard input (pipe it in, e.g. `printf '%s\\n' \"$PW\" | janua users create-admin --email ...`)"
    );
    Ok(password)
}
