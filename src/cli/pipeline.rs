//! `contracts run` and `contracts query`: the pipeline from the command line.

use std::io::{Cursor, IsTerminal};
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Arg, ArgGroup, ArgMatches, Args, Command, FromArgMatches, Id, ValueEnum};
use polars::prelude::*;

use super::{EXIT_FAILED, exit_code};
use crate::alert::{self, AlertSettings};
use crate::pipeline::config::{Catalogue, Config, Layers, SETTINGS, SettingSpec};
use crate::pipeline::environment::{Access, open_store, open_warehouse};
use crate::pipeline::promote::{Recovery, pending, recover as recover_promotion};
use crate::pipeline::query::{query_production, refuse_pending};
use crate::pipeline::{
    Environment, FailureKind, Outcome, Pipeline, RunError, RunId, RunOptions, RunReport,
    run as run_pipeline, shutdown,
};

/// The configuration flags: the top layer over defaults, `conf/{env}.toml`
/// and environment variables.
#[derive(Debug, Args)]
pub struct SettingArgs {
    /// The environment: reads {conf-dir}/{env}.toml [default: DATACONTRACT_ENV, or `local`].
    #[arg(long)]
    env: Option<String>,
    /// The folder of the environment files.
    #[arg(long, default_value = "conf")]
    conf_dir: PathBuf,
    /// One flag per general setting that has one ([`SETTINGS`]); `run`
    /// also has its pipeline's sources' ([`with_source_flags`]).
    #[command(flatten)]
    flags: SettingFlags,
}

/// The group every setting flag belongs to: parsing reads the flags given
/// from it, whichever declaration they came from.
const SETTING_FLAGS: &str = "settings";

/// The values of the setting flags given, by key: the flags are derived
/// from the settings' declarations, each `--key-with-dashes` with its
/// documentation.
#[derive(Debug, Clone, Default)]
pub struct SettingFlags(Vec<(String, String)>);

impl FromArgMatches for SettingFlags {
    fn from_arg_matches(matches: &ArgMatches) -> Result<Self, clap::Error> {
        let mut flags = SettingFlags::default();
        flags.update_from_arg_matches(matches)?;
        Ok(flags)
    }

    fn update_from_arg_matches(&mut self, matches: &ArgMatches) -> Result<(), clap::Error> {
        let given = matches
            .try_get_many::<Id>(SETTING_FLAGS)
            .ok()
            .flatten()
            .into_iter()
            .flatten();
        for id in given {
            let key = id.as_str();
            if let Some(value) = matches.get_one::<String>(key) {
                self.0.retain(|(known, _)| known != key);
                self.0.push((key.to_string(), value.clone()));
            }
        }
        Ok(())
    }
}

impl clap::Args for SettingFlags {
    fn augment_args(command: Command) -> Command {
        command
            .group(ArgGroup::new(SETTING_FLAGS).multiple(true))
            .args(SETTINGS.iter().filter(|spec| spec.flag).map(flag))
    }

    fn augment_args_for_update(command: Command) -> Command {
        Self::augment_args(command)
    }
}

/// The flag of `spec`, in the group of setting flags.
fn flag(spec: &SettingSpec) -> Arg {
    Arg::new(spec.key)
        .long(spec.flag_name())
        .value_name(spec.key.to_ascii_uppercase())
        .group(SETTING_FLAGS)
        .help(help(spec, spec.doc))
}

/// The help of `spec`'s flag, saying `doc`: its variable and its default.
fn help(spec: &SettingSpec, doc: &str) -> String {
    let default = spec
        .default
        .map(|value| format!(" [default: {value}]"))
        .unwrap_or_default();
    format!("{} ({}){default}", capitalised(doc), spec.env)
}

/// `run` (a subcommand of `command`) with a flag for every setting of
/// `pipeline`'s sources, and `--source`'s help naming them.
pub(super) fn with_source_flags(command: Command, pipeline: &Pipeline) -> Command {
    let catalogue = pipeline.catalogue();
    let names: Vec<String> = pipeline
        .sources()
        .map(|source| format!("`{}`", source.name()))
        .collect();
    let source_doc = format!("where raw rows come from: {}", names.join(", "));
    let source_help = catalogue
        .get("source")
        .map(|spec| help(spec, &source_doc))
        .unwrap_or(source_doc);
    command.mut_subcommand("run", |run| {
        run.args(
            catalogue
                .source_specs()
                .iter()
                .filter(|spec| spec.flag)
                .map(flag),
        )
        .mut_arg("source", |source| source.help(source_help))
    })
}

/// `text` with its first letter in upper case.
fn capitalised(text: &str) -> String {
    let mut chars = text.chars();
    chars
        .next()
        .map(|first| first.to_uppercase().chain(chars).collect())
        .unwrap_or_default()
}

impl SettingArgs {
    /// Every layer of the settings `catalogue` declares, these flags on top.
    fn layers(&self, catalogue: &Catalogue) -> Result<Layers, RunError> {
        let vars = |name: &str| std::env::var(name).ok();
        let mut layers = Layers::load(catalogue, &self.conf_dir, self.env.as_deref(), &vars)?;
        for (key, value) in &self.flags.0 {
            layers.set_flag(key, value.clone())?;
        }
        Ok(layers)
    }
}

/// How `contracts query` prints rows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum RowFormat {
    /// An aligned table.
    Table,
    /// CSV with a header.
    Csv,
    /// One JSON object per row (NDJSON).
    Json,
}

/// `contracts run`: one run, its summary, and the exit code of its outcome.
pub fn run(
    pipeline: &Pipeline,
    settings: &SettingArgs,
    quiet: bool,
) -> Result<(String, ExitCode), RunError> {
    let layers = settings.layers(&pipeline.catalogue())?;
    let config = layers.resolve()?;
    let environment = match prepare(pipeline, &layers, &config) {
        Ok(environment) => environment,
        Err(error) => {
            alert_unopened(pipeline, &layers, &config, &error);
            return Err(error);
        }
    };
    let options = RunOptions {
        progress: !quiet && std::io::stderr().is_terminal(),
    };
    let output = run_pipeline(pipeline, &layers, &config, &environment, options);
    let code = match output.report.outcome {
        Outcome::Promoted => ExitCode::SUCCESS,
        Outcome::StoppedAtRawGate | Outcome::StoppedAtProcessedGate => ExitCode::from(EXIT_FAILED),
        Outcome::Failed => exit_code(output.report.failure.unwrap_or(FailureKind::Service)),
    };
    let summary = output.report.render_summary(&output.location);
    Ok((crate::secrets::redact(&summary).into_owned(), code))
}

/// Everything a run needs before it starts: the source's own settings
/// checked before anything is opened, the signal handlers, the store and
/// the warehouse.
fn prepare(pipeline: &Pipeline, layers: &Layers, config: &Config) -> Result<Environment, RunError> {
    pipeline.extractor(layers)?;
    shutdown::install()
        .map_err(|error| RunError::service(format!("cannot handle SIGTERM and SIGINT: {error}")))?;
    Environment::open(config)
}

/// Tells the alert channels of a run that could not start (a source's
/// settings, the store, the warehouse): it has no report to link to.
fn alert_unopened(pipeline: &Pipeline, layers: &Layers, config: &Config, error: &RunError) {
    let started_at = chrono::Utc::now();
    let mut report = RunReport::new(
        RunId::new(started_at),
        &pipeline.name,
        started_at,
        &config.environment,
        layers.snapshot(),
    );
    report.record_failure(error);
    alert::notify(&config.alerts, &report, None);
}

/// `contracts alert test`: a sample alert through every configured
/// channel, one line per channel.
pub fn alert_test(
    pipeline: Option<&Pipeline>,
    settings: &SettingArgs,
) -> Result<(String, ExitCode), RunError> {
    let catalogue = pipeline.map(Pipeline::catalogue).unwrap_or_default();
    let alerts = AlertSettings::from_layers(&settings.layers(&catalogue)?)?;
    if alerts.channels.is_empty() {
        return Err(RunError::usage(
            "no alert channel is configured: set alert_slack_webhook_env or _file, alert_webhook_url_env or _file, or alert_smtp_host (see README, Alerts)",
        ));
    }
    let name = pipeline.map_or("datacontract", |pipeline| pipeline.name.as_str());
    let deliveries = alert::send_test(&alerts, name);
    let mut out = String::new();
    for delivery in &deliveries {
        out.push_str(&match &delivery.error {
            None => format!(
                "{}: delivered ({} attempt(s))\n",
                delivery.channel, delivery.attempts
            ),
            Some(error) => format!(
                "{}: NOT delivered after {} attempt(s): {error}\n",
                delivery.channel, delivery.attempts
            ),
        });
    }
    let code = match deliveries.iter().all(|delivery| delivery.delivered) {
        true => ExitCode::SUCCESS,
        false => exit_code(FailureKind::Service),
    };
    Ok((crate::secrets::redact(&out).into_owned(), code))
}

/// `contracts query`: the rows of `sql`, one SELECT, run read-only in the
/// production warehouse when no promotion is in progress or interrupted
/// ([`query_production`]).
pub fn query(
    pipeline: &Pipeline,
    sql: &str,
    format: RowFormat,
    settings: &SettingArgs,
) -> Result<(String, ExitCode), RunError> {
    let layers = settings.layers(&pipeline.catalogue())?;
    let store = open_store(&layers.store()?)?;
    let lease = layers.promotion_lease()?;
    // Refused before the warehouse is even opened (an embedded one is
    // locked while a run writes it).
    refuse_pending(store.as_ref(), lease)?;
    let warehouse_config = layers.warehouse()?;
    let warehouse = open_warehouse(&warehouse_config, Access::ReadOnly)?;
    let mut rows = query_production(store.as_ref(), warehouse.as_ref(), sql, lease)?;
    Ok((render_rows(&mut rows, format)?, ExitCode::SUCCESS))
}

/// `contracts recover`: finishes a promotion a dead process left behind
/// (rolls it back, or completes it if it had committed).
pub fn recover(
    pipeline: &Pipeline,
    settings: &SettingArgs,
) -> Result<(String, ExitCode), RunError> {
    let layers = settings.layers(&pipeline.catalogue())?;
    let store = open_store(&layers.store()?)?;
    let lease = layers.promotion_lease()?;
    let in_progress = |run| {
        (
            format!(
                "run {run} is promoting and its holder may be at work; left alone (its lease decides when it counts as dead)\n"
            ),
            ExitCode::from(EXIT_FAILED),
        )
    };
    match pending(store.as_ref(), lease)? {
        None => return Ok(("no promotion to recover\n".into(), ExitCode::SUCCESS)),
        Some((run, true)) => return Ok(in_progress(run)),
        Some((_, false)) => {}
    }
    let warehouse_config = layers.warehouse()?;
    let warehouse = open_warehouse(&warehouse_config, Access::ReadWrite)?;
    Ok(
        match recover_promotion(store.as_ref(), warehouse.as_ref(), lease)
            .map_err(RunError::service)?
        {
            Recovery::Nothing => ("no promotion to recover\n".into(), ExitCode::SUCCESS),
            Recovery::RolledBack(run) => (
                format!("rolled back the interrupted promotion of run {run}\n"),
                ExitCode::SUCCESS,
            ),
            Recovery::Completed(run) => (
                format!("completed the committed promotion of run {run}\n"),
                ExitCode::SUCCESS,
            ),
            Recovery::InProgress(run) => in_progress(run),
        },
    )
}

fn render_rows(rows: &mut DataFrame, format: RowFormat) -> Result<String, RunError> {
    let mut bytes = Cursor::new(Vec::new());
    match format {
        // Polars shortens long tables (POLARS_FMT_MAX_ROWS sets how
        // much); --format csv or json prints every row.
        RowFormat::Table => return Ok(format!("{rows}\n{} row(s)\n", rows.height())),
        RowFormat::Csv => CsvWriter::new(&mut bytes)
            .include_header(true)
            .finish(rows)
            .map_err(RunError::input)?,
        RowFormat::Json => JsonWriter::new(&mut bytes)
            .with_json_format(JsonFormat::JsonLines)
            .finish(rows)
            .map_err(RunError::input)?,
    }
    String::from_utf8(bytes.into_inner()).map_err(RunError::input)
}
