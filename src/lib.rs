//! What the ShopStream binaries share: common flags, start-up (logging, colour, settings) and the
//! `main` -> `try_main` wrapper that turns an error into one line and a non-zero exit.

pub mod completions;
pub mod consumer_args;
pub mod describe;
pub mod figures;
pub mod group_view;
pub mod metrics_handler;
pub mod produce;
pub mod report;
pub mod report_printer;
pub mod serve;

use std::ffi::OsStr;
use std::io::IsTerminal;
use std::process::ExitCode;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use anyhow::Context;
use clap::Args;
use shopstream_kafka::Settings;
use shopstream_kafka::settings::{Setting, SettingValue};

/// How to reach Kafka; every tool takes these.
#[derive(Debug, Clone, Args)]
pub struct KafkaArgs {
    #[arg(
        long,
        short = 'b',
        value_name = "HOST:PORT",
        help = setting_help("KAFKA_BOOTSTRAP_SERVERS"),
        value_parser = setting_parser::<String>("KAFKA_BOOTSTRAP_SERVERS")
    )]
    pub bootstrap_servers: Option<String>,

    /// Give up on an unreachable broker after this long (e.g. 10s, 500ms, 1m)
    #[arg(long, default_value = "10s", value_parser = parse_duration, value_name = "DURATION")]
    pub connect_timeout: Duration,
}

impl KafkaArgs {
    /// Applies the flags on top of settings from environment, .env and defaults.
    pub fn apply(&self, settings: &mut Settings) {
        if let Some(servers) = &self.bootstrap_servers {
            settings.bootstrap_servers = servers.clone();
        }
    }
}

/// Logging and colour; every tool takes these.
#[derive(Debug, Clone, Args)]
pub struct CommonArgs {
    /// Log more: -v for debug (including librdkafka's version and warnings), -vv for trace
    #[arg(long, short = 'v', action = clap::ArgAction::Count, global = true)]
    pub verbose: u8,
}

/// Parses a tool's command line with one help layout for every tool: the whole description is the
/// `about`, so `--help` is laid out like `-h` (clap lays every flag out on two lines as soon as a
/// command has a long description). `adjust` changes the command first (defaults shown per tool).
/// `--completions SHELL` and `--man` print the tool's completion script or man page and exit.
pub fn parse_cli<C: clap::Parser>(adjust: impl FnOnce(clap::Command) -> clap::Command) -> C {
    let mut command = adjust(C::command());
    if let Some(long) = command.get_long_about().cloned() {
        command = command.about(long).long_about(None);
    }
    let matches = matches_or_generate(command);
    C::from_arg_matches(&matches).unwrap_or_else(|error| error.exit())
}

/// The parsed command line of `command` (with `--completions` and `--man` added); when one of those
/// two was given, prints what it asks for and exits: 0 when written (or when the reader closed
/// stdout early), 1 with one error line otherwise.
pub fn matches_or_generate(command: clap::Command) -> clap::ArgMatches {
    let mut command = completions::with_flags(command);
    let matches = command.get_matches_mut();
    if let Some(request) = completions::requested(&matches) {
        let name = completions::tool_name(&command);
        let printed = completions::render(request, command, &name)
            .and_then(|bytes| completions::print(&bytes));
        let failed = printed.err().is_some_and(|error| complain(&error));
        std::process::exit(i32::from(failed));
    }
    matches
}

/// "10", "10s", "250ms", "2m": a bare number is seconds; flags read lengths of time as the
/// settings do, with the same message.
pub use shopstream_kafka::settings::parse_duration;

/// Sets up logging (stderr; RUST_LOG overrides -v) and colour (see `colour`), then logs the
/// versions in use at debug.
pub fn start(common: &CommonArgs, tool: &str) {
    let default = match common.verbose {
        0 => "warn,librdkafka=off",
        1 => "info,shopstream=debug,shopstream_core=debug,shopstream_kafka=debug,librdkafka=warn",
        _ => "trace",
    };
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(default));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(colour(Stream::Stderr))
        .with_target(false)
        .try_init();
    // The one decision, over the crates' own: `colored` on stdout, the progress bar on stderr.
    colored::control::set_override(colour(Stream::Stdout));
    console::set_colors_enabled_stderr(colour(Stream::Stderr));
    tracing::debug!(
        "{tool} {} with librdkafka {} (built with {})",
        env!("CARGO_PKG_VERSION"),
        shopstream_kafka::client::librdkafka_version(),
        shopstream_kafka::client::librdkafka_features()
    );
}

/// An output stream of a tool.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stream {
    Stdout,
    Stderr,
}

/// Whether to colour what goes to `stream`: only on a terminal, and not when NO_COLOR is present
/// and not empty (no-color.org). The one colour decision of every tool.
pub fn colour(stream: Stream) -> bool {
    let terminal = match stream {
        Stream::Stdout => std::io::stdout().is_terminal(),
        Stream::Stderr => std::io::stderr().is_terminal(),
    };
    terminal && colour_allowed(std::env::var_os("NO_COLOR").as_deref())
}

/// NO_COLOR's rule: colour is allowed unless the variable holds something.
fn colour_allowed(no_color: Option<&OsStr>) -> bool {
    no_color.is_none_or(OsStr::is_empty)
}

/// A flag's help from the settings table: what it sets, the setting that sets it too and the
/// built-in default.
pub fn setting_help(name: &str) -> String {
    match Setting::named(name) {
        Some(setting) if setting.default.is_empty() => {
            format!("{} [setting: {name}]", setting.about)
        }
        Some(setting) => format!(
            "{} [setting: {name}, default: {}]",
            setting.about, setting.default
        ),
        None => String::new(),
    }
}

/// A flag's value parser from the settings table: a flag accepts exactly what its setting does.
pub fn setting_parser<T>(name: &'static str) -> impl Fn(&str) -> Result<T, String> + Clone
where
    T: SettingValue + Clone + Send + Sync + 'static,
{
    move |text| match Setting::named(name) {
        Some(setting) => setting.parse(text),
        None => Err(format!("{name} is not a setting")),
    }
}

/// Settings from environment, .env and defaults, with the Kafka flags applied.
pub fn settings(kafka: &KafkaArgs) -> anyhow::Result<Settings> {
    let mut settings = Settings::load().context("invalid configuration")?;
    kafka.apply(&mut settings);
    tracing::debug!("settings: {:?}", settings.describe());
    Ok(settings)
}

/// A flag that the first Ctrl-C (or SIGTERM) raises, so the tool stops cleanly (flushing,
/// committing); a second one exits at once with code 130.
pub fn stop_on_ctrl_c() -> anyhow::Result<Arc<AtomicBool>> {
    let stop = Arc::new(AtomicBool::new(false));
    let handler_stop = Arc::clone(&stop);
    ctrlc::set_handler(move || {
        if handler_stop.swap(true, Ordering::SeqCst) {
            std::process::exit(130);
        }
    })
    .context("cannot install the Ctrl-C handler")?;
    Ok(stop)
}

/// Runs a tool's `try_main`; an error becomes one line on stderr and exit code 1.
pub fn run(try_main: impl FnOnce() -> anyhow::Result<ExitCode>) -> ExitCode {
    match try_main() {
        Ok(code) => code,
        Err(error) if complain(&error) => ExitCode::FAILURE,
        Err(_) => ExitCode::SUCCESS,
    }
}

/// Prints the error as one line on stderr and says that the tool failed, except for a closed
/// output: `tool | head` closing the pipe is normal use, not a failure, and says nothing.
fn complain(error: &anyhow::Error) -> bool {
    if is_broken_pipe(error) {
        return false;
    }
    let prefix = if colour(Stream::Stderr) {
        "\x1b[1;31merror:\x1b[0m"
    } else {
        "error:"
    };
    eprintln!("{prefix} {}", one_line(error));
    true
}

/// Whether the error is a write to an output that the reader has closed (directly, or through
/// serde_json, whose error does not expose the io::Error as its source).
pub fn is_broken_pipe(error: &anyhow::Error) -> bool {
    error.chain().any(|cause| {
        cause
            .downcast_ref::<std::io::Error>()
            .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
            || cause
                .downcast_ref::<serde_json::Error>()
                .is_some_and(|json| json.io_error_kind() == Some(std::io::ErrorKind::BrokenPipe))
    })
}

/// The error and its causes on one line. An error keeps either its cause as a source or the
/// cause's text in its message, never both, so each cause is printed once.
fn one_line(error: &anyhow::Error) -> String {
    let causes: Vec<String> = error.chain().map(ToString::to_string).collect();
    causes.join(": ").replace('\n', " ")
}

#[cfg(test)]
mod tests;
