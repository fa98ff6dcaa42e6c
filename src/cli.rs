//! Command-line interface: every subcommand and option, with clap.

use clap::{Args, Parser, Subcommand, ValueEnum};
use std::net::SocketAddr;
use std::path::PathBuf;

#[derive(Parser, Debug)]
#[command(
    name = "storeshift",
    version,
    about = "Move an online store between e-commerce platforms — resumably, record by record.",
    long_about = "storeshift moves catalog, customers, orders, pages and every old URL's ranking from one \
                  platform to another (Shopify, WooCommerce, Magento 2, BigCommerce, Ideasoft, Ikas, Medusa, \
                  Vendure). Runs checkpoint every step: pause, quit or kill them and they resume exactly \
                  where they stopped."
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Cmd,
}

#[derive(Subcommand, Debug)]
pub enum Cmd {
    /// Migrate the bundled demo store (WooCommerce export → Shopify import files) into a workspace.
    Demo(DemoArgs),
    /// Write a commented migration.toml to start from.
    Init(InitArgs),
    /// Run (or resume) the migration a config describes.
    Run(RunArgs),
    /// After a finished run, move only what changed in the source, once or every DURATION.
    Sync(SyncArgs),
    /// Switch over after a finished migration: a checklist of steps (freeze, final sync and
    /// verification, live redirects, domain, customer notices, rollback plan), each decided
    /// by the operator and journaled.
    Cutover(CutoverArgs),
    /// Show a workspace's run: phase, state, counts, pending interventions.
    Status(WsArgs),
    /// Pause a run at its next safe point (persisted: it stays paused across restarts).
    Pause(WsArgs),
    /// Resume a paused run.
    Resume(WsArgs),
    /// Decide an intervention by its id.
    Decide(DecideArgs),
    /// Print the event log.
    Events(EventsArgs),
    /// Print the effective config, secrets masked.
    Config(ConfigArgs),
    /// Open the console on a run started elsewhere (headless, under nohup, another SSH session).
    Attach(AttachArgs),
    /// Print where the report is (and rewrite it from the state).
    Report(WsArgs),
    /// Delete from the target exactly what the last run created, after confirmation.
    Rollback(RollbackArgs),
    /// Move a damaged state database aside, keeping every decision from the event log.
    Recover(WsArgs),
    /// Generate a synthetic WooCommerce store (for benchmarks and rehearsals).
    Generate(GenerateArgs),
    /// Serve a local test store that speaks a platform's Admin API on 127.0.0.1 (rehearsals).
    Sandbox(SandboxArgs),
    /// Name the platform and entity of export files from their headers; print counts and findings.
    Inspect(InspectArgs),
    /// Convert export files of one platform into import files of another, with a report.
    Convert(ConvertArgs),
}

#[derive(Args, Debug, Clone)]
pub struct FrontEnd {
    /// Never open the console, even on a terminal (progress bars on stderr instead).
    #[arg(long)]
    pub headless: bool,
    /// Headless output format: `bars` (default) or `jsonl` (one event per line on stdout).
    #[arg(long, value_enum, default_value_t = EventsFormat::Bars)]
    pub events: EventsFormat,
    /// Serve Prometheus metrics on this address (e.g. 127.0.0.1:9464).
    #[arg(long, value_name = "ADDR")]
    pub metrics: Option<SocketAddr>,
    /// What to do at intervention points: `ask` waits for an operator (headless: exit code 3),
    /// `recommended` takes each recommended option and records that. Default: the console asks,
    /// headless runs take the recommended option.
    #[arg(long, value_enum)]
    pub interventions: Option<Policy>,
    /// Console theme: default, light, high-contrast, mono, or a TOML file.
    #[arg(long)]
    pub theme: Option<String>,
    /// Keymap TOML overriding single bindings.
    #[arg(long)]
    pub keymap: Option<PathBuf>,
    /// Enable mouse support in the console.
    #[arg(long)]
    pub mouse: bool,
}

#[derive(ValueEnum, Debug, Clone, Copy, PartialEq, Eq)]
pub enum EventsFormat {
    Bars,
    Jsonl,
}

#[derive(ValueEnum, Debug, Clone, Copy, PartialEq, Eq)]
pub enum Policy {
    Ask,
    Recommended,
}

#[derive(Args, Debug)]
pub struct DemoArgs {
    /// Workspace directory for the demo.
    #[arg(default_value = "storeshift-demo")]
    pub dir: PathBuf,
    /// Start over: delete the demo workspace first.
    #[arg(long)]
    pub fresh: bool,
    #[command(flatten)]
    pub front: FrontEnd,
}

#[derive(Args, Debug)]
pub struct InitArgs {
    /// Directory to write migration.toml into.
    #[arg(default_value = ".")]
    pub dir: PathBuf,
    /// Source platform.
    #[arg(long, default_value = "woocommerce")]
    pub source: String,
    /// Source export files (directory or file), relative to the config.
    #[arg(long, default_value = "source")]
    pub source_path: String,
    /// Target platform.
    #[arg(long, default_value = "shopify")]
    pub target: String,
    /// Overwrite an existing migration.toml.
    #[arg(long)]
    pub force: bool,
}

#[derive(Args, Debug)]
pub struct RunArgs {
    /// The migration config.
    #[arg(default_value = "migration.toml")]
    pub config: PathBuf,
    /// Move the existing state aside and start from scratch.
    #[arg(long)]
    pub restart: bool,
    #[command(flatten)]
    pub front: FrontEnd,
}

#[derive(Args, Debug)]
pub struct SyncArgs {
    /// Workspace directory, or the migration.toml that names it.
    #[arg(default_value = ".")]
    pub workspace: PathBuf,
    /// Run a cycle every DURATION (`30s`, `10m`, `1h`) instead of once.
    #[arg(long, value_name = "DURATION")]
    pub every: Option<String>,
    /// Keep cycling until a cutover is requested (every 10m unless --every says otherwise).
    #[arg(long)]
    pub until_cutover: bool,
    /// Make the (first) cycle full: every entity read whole as a migration reads it, past the
    /// high-water marks and export file hashes, so changes a platform's "changed since" filter
    /// cannot see move too; only records whose content changed are written.
    #[arg(long)]
    pub full: bool,
    #[command(flatten)]
    pub front: FrontEnd,
}

#[derive(Args, Debug)]
pub struct CutoverArgs {
    /// Workspace directory, or the migration.toml that names it.
    #[arg(default_value = ".")]
    pub workspace: PathBuf,
    /// The new store's base URL: every old URL of the redirect plan is requested on it (HEAD)
    /// and must answer 301 to its planned new URL, which must answer 200.
    #[arg(long, value_name = "URL")]
    pub check_live: Option<String>,
    /// Requests per second of the live check (`N/s` or `N`; default 10/s).
    #[arg(long, value_name = "N/s", value_parser = parse_rate)]
    pub check_rate: Option<f64>,
    /// Requests of the live check in flight at once (default 4).
    #[arg(long, value_name = "N")]
    pub check_concurrency: Option<usize>,
    /// Also trust the certificate authorities in this PEM file during the live check (a new
    /// store on a staging host whose certificate is its own).
    #[arg(long, value_name = "FILE")]
    pub check_live_ca: Option<PathBuf>,
    #[command(flatten)]
    pub front: FrontEnd,
}

fn parse_rate(s: &str) -> Result<f64, String> {
    let n = s.trim().trim_end_matches("/s");
    match n.parse::<f64>() {
        Ok(v) if v > 0.0 && v.is_finite() => Ok(v),
        _ => Err(format!(
            "{s:?} is not a rate: give requests per second, e.g. 5/s"
        )),
    }
}

#[derive(Args, Debug)]
pub struct WsArgs {
    /// Workspace directory, or the migration.toml that names it.
    #[arg(default_value = ".")]
    pub workspace: PathBuf,
    /// Machine-readable output.
    #[arg(long)]
    pub json: bool,
}

#[derive(Args, Debug)]
pub struct DecideArgs {
    /// Workspace directory, or the migration.toml that names it.
    pub workspace: PathBuf,
    /// Intervention id (iv-…), as `storeshift status` lists them.
    pub id: String,
    /// Option key, e.g. `suffix` or `approve`.
    pub option: String,
    /// Why: kept with the decision.
    #[arg(long)]
    pub note: Option<String>,
    /// The edited column mapping (TOML, one [[file]]) for a file-mapping intervention's
    /// `edited` option.
    #[arg(long, value_name = "FILE.toml")]
    pub mapping: Option<PathBuf>,
}

#[derive(Args, Debug)]
pub struct EventsArgs {
    /// Workspace directory, or the migration.toml that names it.
    #[arg(default_value = ".")]
    pub workspace: PathBuf,
    /// Only events after this sequence number.
    #[arg(long, default_value_t = 0)]
    pub after: u64,
    /// Keep printing new events of a live run.
    #[arg(long, short)]
    pub follow: bool,
    /// One JSON object per line.
    #[arg(long)]
    pub json: bool,
}

#[derive(Args, Debug)]
pub struct ConfigArgs {
    #[arg(default_value = "migration.toml")]
    pub config: PathBuf,
}

#[derive(Args, Debug)]
pub struct AttachArgs {
    /// Workspace directory of the live run.
    #[arg(default_value = ".")]
    pub workspace: PathBuf,
    #[arg(long)]
    pub theme: Option<String>,
    #[arg(long)]
    pub keymap: Option<PathBuf>,
    #[arg(long)]
    pub mouse: bool,
}

#[derive(Args, Debug)]
pub struct RollbackArgs {
    /// Workspace directory, or the migration.toml that names it.
    #[arg(default_value = ".")]
    pub workspace: PathBuf,
    /// Do not ask for confirmation.
    #[arg(long)]
    pub yes: bool,
}

#[derive(Args, Debug)]
pub struct GenerateArgs {
    /// Directory to write the store's CSV files into.
    pub dir: PathBuf,
    /// Approximate number of variant rows (products are sized to reach it).
    #[arg(long, default_value_t = 10_000)]
    pub variant_rows: usize,
    /// Generate the bundled demo store instead (planted problems included).
    #[arg(long)]
    pub demo: bool,
}

#[derive(Args, Debug)]
pub struct InspectArgs {
    /// Export files (CSV, TSV, XLSX) to inspect.
    #[arg(required = true)]
    pub files: Vec<PathBuf>,
    /// Encoding of the files, overriding detection (e.g. windows-1254; a byte order mark still
    /// wins).
    #[arg(long)]
    pub encoding: Option<String>,
    /// Findings to print per file (default 20).
    #[arg(long)]
    pub max_findings: Option<usize>,
    /// Write the proposed column mappings of files storeshift does not know into this file
    /// (TOML; edit it, then use it with `convert --mapping` or `[source] mapping`).
    #[arg(long, value_name = "FILE.toml")]
    pub write_mapping: Option<PathBuf>,
    /// Read the files this column mapping covers through it (to check a mapping).
    #[arg(long, value_name = "FILE.toml")]
    pub mapping: Option<PathBuf>,
    /// A migration.toml whose [embeddings] and [llm] servers add their suggestions to the
    /// proposed mappings (without one, the rules alone propose).
    #[arg(long, value_name = "CONFIG")]
    pub config: Option<PathBuf>,
}

#[derive(Args, Debug)]
pub struct ConvertArgs {
    /// Platform the files were exported from: shopify, woocommerce, magento, bigcommerce, ikas.
    #[arg(long)]
    pub from: String,
    /// Export files to convert (one per entity), then the directory for the import files and
    /// convert-report.md.
    #[arg(required = true, value_name = "FILE... OUT_DIR")]
    pub paths: Vec<PathBuf>,
    /// Platform to write import files for.
    #[arg(long)]
    pub to: String,
    /// Currency of the prices (exports rarely say; default USD).
    #[arg(long)]
    pub currency: Option<String>,
    /// Encoding of the files, overriding detection (windows-1250, windows-1251, ...; a byte
    /// order mark still wins).
    #[arg(long)]
    pub encoding: Option<String>,
    /// The store's time zone (IANA, e.g. Europe/Istanbul): times the files write without a
    /// zone are on its clock, and the target's files write local times on it (default UTC).
    #[arg(long, value_name = "ZONE")]
    pub timezone: Option<String>,
    /// Base URL that image paths which are not URLs are resolved against: Magento exports
    /// paths such as /m/b/mb01.jpg, found under https://STORE/media/catalog/product.
    #[arg(long, value_name = "URL")]
    pub media_url: Option<String>,
    /// Do not read the written files back: faster, but the report then lists only what the
    /// target's writer refused, not fields it dropped on the way.
    #[arg(long)]
    pub skip_readback: bool,
    /// Customers without an email, when the target needs one: `skip` (leave them out, listed
    /// in the report), `domain:DOMAIN` (give each an address such as
    /// phone-905551234567@DOMAIN) or `file` (write them to customers-without-email.csv for the
    /// store owner).
    #[arg(long, value_name = "skip|domain:DOMAIN|file", default_value = "skip",
          value_parser = |s: &str| s.parse::<storeshift_connectors::no_email::NoEmail>())]
    pub customers_without_email: storeshift_connectors::no_email::NoEmail,
    /// A column mapping (TOML, from `inspect --write-mapping`) for export files whose layout
    /// storeshift does not know.
    #[arg(long, value_name = "FILE.toml")]
    pub mapping: Option<PathBuf>,
}

#[derive(Args, Debug)]
pub struct SandboxArgs {
    /// shopify, woocommerce, bigcommerce, magento, ikas or ideasoft.
    pub platform: String,
    /// Port on 127.0.0.1 (0: any free port). The base URL is printed on stdout.
    #[arg(long, default_value_t = 0)]
    pub port: u16,
    /// Products the store starts with.
    #[arg(long, default_value_t = 0)]
    pub seed_products: usize,
    /// Customers the store starts with.
    #[arg(long, default_value_t = 0)]
    pub seed_customers: usize,
    /// Shopify: orders the store starts with (two line items each).
    #[arg(long, default_value_t = 0)]
    pub seed_orders: usize,
    /// Shopify: objects a bulk query works through per second (0: at once), so a bulk
    /// query of a big store stays RUNNING as on Shopify.
    #[arg(long, value_name = "N")]
    pub bulk_objects_per_second: Option<f64>,
    /// Shopify: the first N downloads of a bulk result send half the file and drop the
    /// connection (a client that resumes asks for the rest with `Range`).
    #[arg(long, value_name = "N", default_value_t = 0)]
    pub cut_bulk_downloads: u32,
    /// Make request N (1-based, counting API requests) misbehave: N=429[:SECS] (Retry-After),
    /// N=500|502|503, N=reset (applied, then the connection drops), N=malformed (applied, then
    /// truncated JSON), N=slow:SECS (applied, reply held back), N=graphql (HTTP 200 with
    /// `errors`, GraphQL platforms). Repeat for several; more can be POSTed to /__sandbox/faults.
    #[arg(long = "fault", value_name = "N=KIND", value_parser = parse_fault)]
    pub faults: Vec<(u64, storeshift_sandbox::Fault)>,
    /// Shopify: cost points restored per second (100 Standard, 200 Advanced, 1000 Plus, 2000
    /// Enterprise; default 100).
    #[arg(long, value_name = "POINTS")]
    pub restore_rate: Option<f64>,
    /// Shopify: size of the cost bucket in points (default 2000).
    #[arg(long, value_name = "POINTS")]
    pub bucket: Option<f64>,
    /// BigCommerce: the plan whose request window to enforce (standard, plus: 150 per 30 s;
    /// pro: 450 per 30 s).
    #[arg(long)]
    pub plan: Option<String>,
}

fn parse_fault(s: &str) -> Result<(u64, storeshift_sandbox::Fault), String> {
    storeshift_sandbox::Fault::parse_spec(s)
}
