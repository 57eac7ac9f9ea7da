//! The `frontproxy` command: `check` (one request, JSON verdict), `doctor` (configuration
//! hazards) and `demo` (an HTTPS extension endpoint attacked the way the aggregation layer and
//! attackers would).

mod args;
mod check;
mod demo;
mod doctor;
mod explain;

use std::process::ExitCode;

const USAGE: &str = "\
usage:
  frontproxy check [CONFIG] [--chain FILE] [--header 'Name: value']... [--at RFC3339] [--explain]
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
--explain         an account of each step on stderr

exit status: 0 authenticated, 1 anonymous or rejected, 2 usage or configuration error
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
