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

const USAGE: &str = "\
usage:
  frontproxy check [CONFIG] [--chain FILE] [--header 'Name: value']... [--at RFC3339] [--explain] [--repeat N] [--resumed]
  frontproxy doctor CONFIG [--at RFC3339]
  frontproxy demo
  frontproxy version

CONFIG is either  --configmap FILE   (the ConfigMap as JSON or YAML)
           or     kube-apiserver-style flags:
                  --requestheader-client-ca-file FILE  --requestheader-allowed-names LIST
                  --requestheader-username-headers LIST  --requestheader-uid-headers LIST
                  --requestheader-group-headers LIST  --requestheader-extra-headers-prefix LIST
                  --client-ca-file FILE
--chain FILE      PEM certificates as the client presents them: leaf first, then intermediates;
                  absent = no client certificate
--header          repeatable, order preserved; the same name twice gives two values
--at              verify as of this instant instead of now
--explain         an account of each step on stderr (including whether the decision cache was hit)
--repeat N        authenticate the same request N times through the verdict cache (default 1)
--resumed         the TLS session was resumed: a lone leaf may reuse a verdict reached with its
                  intermediates (only within this run's cache)

exit status: 0 authenticated, 1 anonymous or rejected, 2 usage or configuration error

doctor            checks the configuration: overlapping request-header and client CAs, expired,
                  expiring (< 30 days), not yet valid or unusable CA certificates, empty
                  requestheader-allowed-names, header lists without the standard names; prints
                  one finding per line (CRITICAL, WARNING, OK, INFO), worst first, and a summary
                  exit status: 0 no warnings, 1 warnings only, 3 at least one CRITICAL,
                  2 usage or configuration error
demo              runs an HTTPS extension endpoint on 127.0.0.1 with certificates generated on
                  the fly, sends it the aggregation layer's and attackers' requests, prints a table
                  exit status: 0 every scenario behaved as Kubernetes does, 1 otherwise
";

/// A usage or configuration error: message on stderr, exit status 2.
pub struct UsageError(pub String);

impl<E: std::fmt::Display> From<E> for UsageError {
    fn from(e: E) -> Self {
        UsageError(e.to_string())
    }
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = match args.first().map(String::as_str) {
        Some("check") => check::run(&args[1..]),
        Some("doctor") => doctor::run(&args[1..]),
        Some("demo") => demo::run(&args[1..]),
        Some("version") | Some("--version") => {
            println!("frontproxy {}", frontproxy::VERSION);
            Ok(ExitCode::SUCCESS)
        }
        Some("help") | Some("--help") | Some("-h") => {
            print!("{USAGE}");
            Ok(ExitCode::SUCCESS)
        }
        _ => Err(UsageError("expected a command".into())),
    };
    match result {
        Ok(code) => code,
        Err(UsageError(message)) => {
            eprintln!("frontproxy: {message}");
            eprintln!();
            eprint!("{USAGE}");
            ExitCode::from(2)
        }
    }
}
