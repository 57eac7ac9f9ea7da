//! `frontproxy demo`: an HTTPS extension endpoint, attacked the way the aggregation layer and
//! attackers would, with every certificate generated on the fly.
//!
//! The server is what an extension apiserver does (spec §0.1, §1.7–§1.9): TLS that requests a
//! client certificate without verifying it ([`RequestClientCertVerifier`]), the peer chain
//! verified once per connection ([`Authenticator::verify_peer`]), and on every HTTP/1.1 request
//! of the keep-alive connection the header step ([`Authenticator::authenticate`]), the identity
//! headers stripped, 200 with the user or 401 with Kubernetes' `Status` body. The reason of a 401
//! goes only to the server log, as in Kubernetes (rule 31).
//!
//! Plain `std::net` and a thread per connection: no async. Everything read from the network is
//! bounded (head size, header count, requests per connection, no bodies) and every socket has
//! timeouts, so the demo cannot hang.
//!
//! One concept per file; each file uses only files listed above it, so there are no loops:
//! - [`pki`]: every certificate, generated with rcgen, and the endpoint's [`AuthConfig`];
//! - [`http`]: the small bounded HTTP/1.1 head reader, request parser and response writer,
//!   shared by the server and the client, with the head limits and the socket timeout;
//! - [`server`]: the extension endpoint ([`DemoServer`]), its log and the 401 `Status` body;
//! - [`client`]: the demo client ([`DemoClient`]), one TLS configuration per certificate a
//!   scenario presents, and its keep-alive sessions;
//! - [`table`]: the rows of the printed table ([`Row`]), wrapping, truncation and alignment;
//! - [`scenarios`]: what is sent, what Kubernetes would answer, and the checks of each answer;
//! - `mod.rs` (this file): [`run`], the orchestration: certificates, server, client, scenarios,
//!   then the table, the server log and the verdict.
//!
//! [`RequestClientCertVerifier`]: frontproxy::tls::RequestClientCertVerifier
//! [`Authenticator::verify_peer`]: frontproxy::Authenticator::verify_peer
//! [`Authenticator::authenticate`]: frontproxy::Authenticator::authenticate
//! [`AuthConfig`]: frontproxy::AuthConfig

mod client;
mod http;
mod pki;
mod scenarios;
mod server;
mod table;

use std::process::ExitCode;
use std::sync::Arc;
use std::time::Instant;

use frontproxy::tls::crypto_provider;

use crate::UsageError;
use client::DemoClient;
use pki::Pki;
use scenarios::run_scenarios;
use server::DemoServer;
use table::{print_table, Row};

pub fn run(args: &[String]) -> Result<ExitCode, UsageError> {
    if let Some(arg) = args.first() {
        return Err(UsageError(format!("demo takes no arguments, got {arg:?}")));
    }
    match run_demo() {
        Ok(code) => Ok(code),
        Err(UsageError(e)) => {
            eprintln!("frontproxy demo: could not run: {e}");
            Ok(ExitCode::from(1))
        }
    }
}

fn run_demo() -> Result<ExitCode, UsageError> {
    let started = Instant::now();
    let pki = Pki::generate().map_err(|e| UsageError(format!("generating certificates: {e}")))?;
    let config = pki.auth_config()?;
    let provider = Arc::new(crypto_provider());
    let server = DemoServer::start(&pki, config, provider.clone())?;
    println!(
        "frontproxy demo: HTTPS extension endpoint on https://{} (certificates generated just now)",
        server.addr
    );
    println!(
        "  requestheader-client-ca-file: CN=front-proxy-ca   requestheader-allowed-names: [front-proxy-client]"
    );
    println!("  client-ca-file:               CN=kubernetes-client-ca   headers: X-Remote-User / X-Remote-Group / X-Remote-Extra-");
    println!();

    let client = DemoClient::new(&pki, server.addr, provider)?;
    let rows = run_scenarios(&client, &server);
    let stats = server.stop();

    print_table(
        &[
            "scenario",
            "client certificate",
            "headers sent",
            "HTTP",
            "outcome",
            "ok",
        ],
        &rows.iter().map(Row::cells).collect::<Vec<_>>(),
    );
    println!();
    println!("server log (what a 401 never tells the client):");
    for line in &stats.log {
        println!("  {line}");
    }
    println!();
    println!(
        "per-connection handles: {} connection(s), {} request(s), {} peer chain verification(s) \
         (one per completed handshake; every further request on a connection reuses its handle)",
        stats.connections, stats.requests, stats.peer_verifications
    );
    let failed: Vec<&str> = rows
        .iter()
        .filter(|r| !r.ok)
        .map(|r| r.scenario.as_str())
        .collect();
    let scenarios = rows
        .iter()
        .map(|r| r.scenario_key)
        .collect::<std::collections::BTreeSet<_>>()
        .len();
    if failed.is_empty() {
        println!(
            "demo passed: all {scenarios} scenarios ({} requests) behaved as Kubernetes does ({:.1} s)",
            rows.len(),
            started.elapsed().as_secs_f64()
        );
        Ok(ExitCode::SUCCESS)
    } else {
        println!("demo FAILED: unexpected outcome in {}", failed.join(", "));
        Ok(ExitCode::from(1))
    }
}
