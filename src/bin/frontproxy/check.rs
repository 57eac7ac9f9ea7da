//! `frontproxy check`: authenticate one request described on the command line and print the
//! verdict as one JSON object. This interface is a contract (the acceptance tests drive it).

use std::process::ExitCode;

use frontproxy::{
    Authentication, Authenticator, AuthenticatorOptions, CertificateDer, Decision, Handshake,
    HeaderNames, Limits, ManualClock, RequestHeaders, UnixTime, UserInfo,
};
use serde::Serialize;

use crate::args::{parse_at, split_flag, value_of, ConfigArgs};
use crate::explain;
use crate::opinions::{self, Opinions};
use crate::UsageError;

#[derive(Serialize)]
#[serde(tag = "decision", rename_all = "lowercase")]
enum Output<'a> {
    Authenticated {
        authenticator: &'static str,
        user: &'a UserInfo,
        clear_headers: &'a HeaderNames,
        authenticators: &'a Opinions,
    },
    Anonymous {
        user: &'a UserInfo,
        clear_headers: &'a HeaderNames,
        authenticators: &'a Opinions,
    },
    Rejected {
        reason: &'static str,
        message: &'a str,
        authenticators: &'a Opinions,
    },
}

/// `args` are the arguments after `check` as text, `raw` the same as bytes (for `--header`).
pub fn run(args: &[String], raw: &[Vec<u8>]) -> Result<ExitCode, UsageError> {
    let mut config_args = ConfigArgs::default();
    let mut chain_file = None;
    let mut headers: Vec<(Vec<u8>, Vec<u8>)> = Vec::new();
    let mut at = None;
    let mut explain_steps = false;
    let mut repeat = 1u32;
    let mut handshake = Handshake::Full;
    let mut metrics = false;
    let mut i = 0;
    while i < args.len() {
        if config_args.take(args, &mut i)? {
            i += 1;
            continue;
        }
        let (name, inline) = split_flag(&args[i]);
        match name.as_str() {
            "--chain" => chain_file = Some(value_of(&name, inline, args, &mut i)?),
            "--header" => {
                // The bytes as given: a value that is not UTF-8 is the library's to judge.
                let h: &[u8] = if inline.is_some() {
                    &raw[i][b"--header=".len()..]
                } else {
                    value_of(&name, None, args, &mut i)?;
                    &raw[i]
                };
                let colon = h.iter().position(|&b| b == b':').ok_or_else(|| {
                    UsageError(format!(
                        "--header {:?} is not of the form 'Name: value'",
                        String::from_utf8_lossy(h)
                    ))
                })?;
                headers.push((h[..colon].to_vec(), h[colon + 1..].to_vec()));
            }
            "--at" => at = Some(parse_at(&value_of(&name, inline, args, &mut i)?)?),
            "--explain" => explain_steps = true,
            "--resumed" => handshake = Handshake::Resumed,
            "--metrics" => metrics = true,
            "--repeat" => {
                let v = value_of(&name, inline, args, &mut i)?;
                repeat = v
                    .parse()
                    .ok()
                    .filter(|n| (1..=1_000_000).contains(n))
                    .ok_or_else(|| {
                        UsageError(format!("--repeat {v:?} is not a number from 1 to 1000000"))
                    })?;
            }
            other => return Err(UsageError(format!("unknown argument {other:?}"))),
        }
        i += 1;
    }
    let config = config_args.load()?;
    let chain = match &chain_file {
        Some(path) => read_chain(path)?,
        None => Vec::new(),
    };
    let now = at.unwrap_or_else(UnixTime::now);
    let pairs: Vec<(&[u8], &[u8])> = headers
        .iter()
        .map(|(n, v)| (n.as_slice(), v.as_slice()))
        .collect();
    let request_headers = RequestHeaders::from_pairs(&pairs);

    // The same path a host without per-connection state takes: the verdict cache.
    let config = std::sync::Arc::new(config);
    let authenticator = Authenticator::with_options(
        (*config).clone(),
        AuthenticatorOptions {
            clock: std::sync::Arc::new(ManualClock::new(now)),
            ..AuthenticatorOptions::default()
        },
    );
    // The borrowed result, as a host gets it; `--repeat` measures exactly that path.
    let mut last = authenticator.authenticate_chain(&chain, handshake, &request_headers);
    for _ in 1..repeat {
        last = authenticator.authenticate_chain(&chain, handshake, &request_headers);
    }
    let result = last.into_owned();
    let peer = config.verify_peer(&chain, now);
    let opinions = opinions::opinions(
        &config,
        chain.first().map(|c| c.as_ref()),
        peer.verdicts(),
        &request_headers,
        &result,
    );
    if explain_steps {
        eprint!(
            "{}",
            explain::account(
                &config,
                &chain,
                peer.verdicts(),
                &request_headers,
                &result,
                &opinions,
                now
            )
        );
        let stats = authenticator.cache_stats();
        if chain.is_empty() {
            eprintln!(
                "   verdict cache: not used: no client certificate, so there was no chain to verify or cache"
            );
        } else {
            eprintln!(
                "   verdict cache: {} (this run: {} hit(s), {} miss(es) over {} request(s))",
                if result.from_cache {
                    "HIT, the chain verdict came from the cache"
                } else {
                    "miss, the chain was verified now"
                },
                stats.hits,
                stats.misses,
                repeat
            );
        }
    }
    print_json(&result, &opinions);
    if metrics {
        // The run's metrics, as a host would expose them (Prometheus text format).
        eprint!("{}", authenticator.metrics().to_prometheus());
    }
    Ok(match result.decision {
        Decision::Authenticated { .. } => ExitCode::SUCCESS,
        _ => ExitCode::from(1),
    })
}

fn print_json(result: &Authentication, authenticators: &Opinions) {
    let output = match &result.decision {
        Decision::Authenticated {
            authenticator,
            user,
        } => Output::Authenticated {
            authenticator: authenticator.as_str(),
            user,
            clear_headers: &result.clear_headers,
            authenticators,
        },
        Decision::Anonymous { user } => Output::Anonymous {
            user,
            clear_headers: &result.clear_headers,
            authenticators,
        },
        Decision::Rejected(e) => Output::Rejected {
            reason: e.reason.code(),
            message: &e.message,
            authenticators,
        },
        _ => Output::Rejected {
            reason: "internal_error",
            message: "a decision this frontproxy command does not know",
            authenticators,
        },
    };
    println!("{}", serde_json::to_string(&output).expect("serializable"));
}

/// Reads the presented chain: every CERTIFICATE block, in order (the file bounded like any
/// document the library reads).
fn read_chain(path: &str) -> Result<Vec<CertificateDer<'static>>, UsageError> {
    let text = Limits::DEFAULT.read_document(path, "--chain")?;
    let blocks = pem::parse_many(&text)
        .map_err(|e| UsageError(format!("--chain {path:?}: invalid PEM: {e}")))?;
    let certs: Vec<CertificateDer<'static>> = blocks
        .into_iter()
        .filter(|b| b.tag() == "CERTIFICATE")
        .map(|b| CertificateDer::from(b.into_contents()))
        .collect();
    if certs.is_empty() {
        return Err(UsageError(format!(
            "--chain {path:?} has no CERTIFICATE block"
        )));
    }
    Ok(certs)
}
