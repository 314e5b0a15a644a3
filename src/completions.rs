//! Shell completions and man pages, generated from each tool's own clap definition: every tool
//! takes `--completions SHELL` and `--man`, answered by `parse_cli` before the tool starts, so no
//! binary needs code of its own for them.

use std::io::Write;
use std::path::Path;

use anyhow::Context;
use clap::{Arg, ArgAction, ArgMatches, Command};
use clap_complete::Shell;

const COMPLETIONS: &str = "completions";
const MAN: &str = "man";

/// What a tool was asked to print instead of running.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Request {
    Completions(Shell),
    Man,
}

/// Adds `--completions SHELL` and `--man` to a tool's command. Both are exclusive: given alone they
/// override the tool's required flags, given with others they are an error.
pub fn with_flags(command: Command) -> Command {
    command
        .arg(
            Arg::new(COMPLETIONS)
                .long(COMPLETIONS)
                .value_name("SHELL")
                .value_parser(clap::value_parser!(Shell))
                .exclusive(true)
                .hide_possible_values(true)
                .help("Print the completion script for SHELL (bash, zsh, fish, elvish or powershell) and exit"),
        )
        .arg(
            Arg::new(MAN)
                .long(MAN)
                .action(ArgAction::SetTrue)
                .exclusive(true)
                .help("Print the man page (roff) and exit"),
        )
}

/// The request on the command line, if any.
pub fn requested(matches: &ArgMatches) -> Option<Request> {
    if let Ok(Some(shell)) = matches.try_get_one::<Shell>(COMPLETIONS) {
        return Some(Request::Completions(*shell));
    }
    matches
        .try_get_one::<bool>(MAN)
        .ok()
        .flatten()
        .is_some_and(|man| *man)
        .then_some(Request::Man)
}

/// The name a tool is installed and called under: the file name it was started as (clap keeps it
/// as the bin name), without `.exe`; the command's own name if it has none.
pub fn tool_name(command: &Command) -> String {
    command
        .get_bin_name()
        .and_then(|bin| Path::new(bin).file_stem())
        .and_then(|stem| stem.to_str())
        .unwrap_or_else(|| command.get_name())
        .to_string()
}

/// The script or page asked for, whole: the generators panic on a failed write, so they write to
/// memory and the caller writes the bytes out.
pub fn render(request: Request, command: Command, name: &str) -> anyhow::Result<Vec<u8>> {
    match request {
        Request::Completions(shell) => Ok(completions(shell, command, name)),
        Request::Man => man_page(command, name),
    }
}

/// The completion script of `name` for `shell`.
pub fn completions(shell: Shell, mut command: Command, name: &str) -> Vec<u8> {
    let mut script = Vec::new();
    clap_complete::generate(shell, &mut command, name, &mut script);
    script
}

/// The man page (section 1, roff) of `name`. The tools put their whole description in `about`
/// (one help layout, see `parse_cli`): its first paragraph becomes the NAME line, the whole of it
/// the DESCRIPTION.
pub fn man_page(command: Command, name: &str) -> anyhow::Result<Vec<u8>> {
    let description = command
        .get_long_about()
        .or_else(|| command.get_about())
        .map(ToString::to_string)
        .unwrap_or_default();
    let summary = description
        .split("\n\n")
        .next()
        .unwrap_or_default()
        .replace('\n', " ");
    let command = command
        .display_name(name)
        .bin_name(name)
        .about(summary.trim().trim_end_matches('.').to_string())
        .long_about(description);
    let mut page = Vec::new();
    clap_mangen::Man::new(command)
        .render(&mut page)
        .context("cannot render the man page")?;
    Ok(page)
}

/// Writes the bytes to stdout. A reader that closed stdout early (`| head`) is an io error that
/// the caller treats as success.
pub fn print(bytes: &[u8]) -> anyhow::Result<()> {
    let mut out = std::io::stdout().lock();
    out.write_all(bytes)
        .and_then(|()| out.flush())
        .context("cannot write to stdout")
}
