//! The `frontproxy` command: `check` (one request, JSON verdict), `doctor` (configuration
//! hazards) and `demo` (an HTTPS extension endpoint attacked the way the aggregation layer and
//! attackers would).

mod args;
mod check;
mod demo;
mod doctor;
mod explain;
mod opinions;
mod overlap;

use std::process::ExitCode;

const CHECK_HELP: &str = "\
usage: frontproxy check CONFIG [--chain FILE] [--header 'Name: value']... [--at RFC3339]
                        [--explain] [--repeat N] [--resumed] [--metrics]

Authenticates one request as an extension apiserver would and prints the verdict as one JSON
object on stdout: decision, user or reason, clear_headers, and \"authenticators\" (each
authenticator's opinion: authenticated, rejected, no_opinion, not_configured, not_consulted).

--chain FILE      PEM certificates as the client presents them: leaf first, then intermediates;
                  absent = no client certificate
--header 'N: v'   repeatable, order preserved; the same name twice gives two values; the value
                  is taken as bytes (the library judges bytes that are not UTF-8)
--at RFC3339      verify as of this instant instead of now (e.g. 2025-01-31T12:00:00Z)
--explain         an account of each step on stderr, led by the cause to fix (including
                  whether the verdict cache was hit)
--repeat N        authenticate the same request N times through the verdict cache (1..1000000,
                  default 1)
--resumed         the TLS session was resumed: a lone leaf may reuse a verdict reached with its
                  intermediates (only within this run's cache)
--metrics         after the run, the authenticator's metrics on stderr, in the Prometheus text
                  format (see README, \"Metrics\")

exit status: 0 authenticated, 1 anonymous or rejected, 2 usage or configuration error
";

const DOCTOR_HELP: &str = "\
usage: frontproxy doctor CONFIG [--at RFC3339] [--output text|json]

Checks the configuration: overlapping request-header and client CAs, a missing request-header
CA, expired, expiring (< 30 days), not yet valid or unusable CA certificates, empty
requestheader-allowed-names, header lists without the standard names. Prints one finding per
line (CRITICAL, WARNING, OK, INFO), worst first, and a summary; --output json prints one JSON
object instead.

--at RFC3339      check as of this instant instead of now
--output FORMAT   text (default) or json

exit status: 0 no warnings, 1 warnings only, 3 at least one CRITICAL,
             2 usage or configuration error
";

const DEMO_HELP: &str = "\
usage: frontproxy demo

Runs an HTTPS extension endpoint on 127.0.0.1 with certificates generated on the fly, sends it
the aggregation layer's and attackers' requests, and prints a table.

exit status: 0 every scenario behaved as Kubernetes does, 1 otherwise, 2 usage error
";

const CONFIG_HELP: &str = "\
CONFIG is either  --configmap FILE   (the extension-apiserver-authentication ConfigMap as JSON
                                      or YAML, as kubectl prints it)
           or     kube-apiserver-style flags (LIST = comma-separated values):
                  --requestheader-client-ca-file FILE  --requestheader-allowed-names LIST
                  --requestheader-username-headers LIST  --requestheader-uid-headers LIST
                  --requestheader-group-headers LIST  --requestheader-extra-headers-prefix LIST
                  --client-ca-file FILE
Every flag also takes the form --flag=value.
";

const USAGE: &str = "\
usage:
  frontproxy check CONFIG [--chain FILE] [--header 'Name: value']... [--at RFC3339] [--explain] [--repeat N] [--resumed] [--metrics]
  frontproxy doctor CONFIG [--at RFC3339] [--output text|json]
  frontproxy demo
  frontproxy version | --version
  frontproxy help [COMMAND] | COMMAND --help

exit status: 0 success (check: authenticated; doctor: no warnings), 1 check: anonymous or
rejected / doctor: warnings / demo: a scenario misbehaved, 2 usage or configuration error,
3 doctor: at least one CRITICAL finding
";

/// A usage or configuration error: one line on stderr, exit status 2.
pub struct UsageError(pub String);

impl<E: std::fmt::Display> From<E> for UsageError {
    fn from(e: E) -> Self {
        UsageError(e.to_string())
    }
}

fn help(command: Option<&str>) -> Result<String, UsageError> {
    Ok(match command {
        None => format!("{USAGE}\n{CONFIG_HELP}"),
        Some("check") => format!("{CHECK_HELP}\n{CONFIG_HELP}"),
        Some("doctor") => format!("{DOCTOR_HELP}\n{CONFIG_HELP}"),
        Some("demo") => DEMO_HELP.to_string(),
        Some("version") => {
            "usage: frontproxy version\n\nprints the version; exit status 0\n".into()
        }
        Some("help") => "usage: frontproxy help [COMMAND]\n".into(),
        Some(other) => {
            return Err(UsageError(format!(
                "help: no command {other:?}; the commands are check, doctor, demo, version"
            )))
        }
    })
}

fn main() -> ExitCode {
    let argv = args::Argv::from_os(std::env::args_os().skip(1).collect());
    let command = argv.text.first().map(String::as_str);
    let result = run(&argv, command);
    match result {
        Ok(code) => code,
        Err(UsageError(message)) => {
            // One line: what, where, and where to look for how.
            let message = message.replace(['\n', '\r'], " ");
            let hint = match command {
                Some(c @ ("check" | "doctor" | "demo")) => format!("frontproxy {c} --help"),
                _ => "frontproxy --help".to_string(),
            };
            eprintln!("frontproxy: {message} (see '{hint}')");
            ExitCode::from(2)
        }
    }
}

fn run(argv: &args::Argv, command: Option<&str>) -> Result<ExitCode, UsageError> {
    let rest = argv.text.get(1..).unwrap_or_default();
    let wants_help = |cmd| -> Result<Option<ExitCode>, UsageError> {
        if rest.iter().any(|a| a == "--help" || a == "-h") {
            print!("{}", help(Some(cmd))?);
            return Ok(Some(ExitCode::SUCCESS));
        }
        Ok(None)
    };
    if let Some(cmd @ ("check" | "doctor" | "demo" | "version")) = command {
        if let Some(code) = wants_help(cmd)? {
            return Ok(code);
        }
    }
    argv.check(command == Some("check"))?;
    match command {
        Some("check") => check::run(rest, argv.raw.get(1..).unwrap_or_default()),
        Some("doctor") => doctor::run(rest),
        Some("demo") => demo::run(rest),
        Some("version") | Some("--version") | Some("-V") => {
            if let Some(arg) = rest.first() {
                return Err(UsageError(format!(
                    "version takes no arguments, got {arg:?}"
                )));
            }
            println!("frontproxy {}", frontproxy::VERSION);
            Ok(ExitCode::SUCCESS)
        }
        Some("help") | Some("--help") | Some("-h") => {
            if rest.len() > 1 {
                return Err(UsageError(format!(
                    "help takes one command, got {:?}",
                    rest[1]
                )));
            }
            print!("{}", help(rest.first().map(String::as_str))?);
            Ok(ExitCode::SUCCESS)
        }
        None => Err(UsageError(
            "expected a command: check, doctor, demo, version or help".into(),
        )),
        Some(other) => Err(UsageError(format!(
            "unknown command {other:?}; the commands are check, doctor, demo, version, help"
        ))),
    }
}
