//! The scenarios: what the aggregation layer and attackers send, what Kubernetes would answer,
//! and the run that sends each one and checks the answer and the server log, one table row per
//! request.

use serde_json::Value;

use super::client::{DemoClient, HttpResponse, Presented};
use super::server::{unauthorized_status, DemoServer, LogEntry};
use super::table::{truncate, wrap, Row, OUTCOME_WIDTH};

enum Expected {
    /// 200 as this user, by this authenticator, with these headers stripped.
    User {
        authenticator: &'static str,
        name: &'static str,
        groups: &'static [&'static str],
        stripped: &'static [&'static str],
    },
    /// 401 with the Kubernetes Status body; the server logged this reason.
    Unauthorized { reason: &'static str },
    /// No HTTP at all: the server ends the TLS handshake (no proof of possession).
    HandshakeRefused,
}

struct Scenario {
    key: char,
    title: &'static str,
    presented: Presented,
    /// One request per entry, all on the same connection.
    requests: Vec<(Vec<(&'static str, &'static str)>, Expected)>,
}

fn scenarios() -> Vec<Scenario> {
    use Expected::*;
    vec![
        Scenario {
            key: 'a',
            title: "aggregation layer",
            presented: Presented::FrontProxy,
            requests: vec![(
                vec![
                    ("X-Remote-User", "alice"),
                    ("X-Remote-Group", "developers"),
                    ("X-Remote-Extra-Scopes", "openid"),
                ],
                User {
                    authenticator: "requestheader",
                    name: "alice",
                    groups: &["developers", "system:authenticated"],
                    stripped: &["X-Remote-User", "X-Remote-Group", "X-Remote-Extra-Scopes"],
                },
            )],
        },
        Scenario {
            key: 'b',
            title: "spoofed headers, no certificate",
            presented: Presented::None,
            requests: vec![(
                vec![
                    ("X-Remote-User", "system:admin"),
                    ("X-Remote-Group", "system:masters"),
                ],
                User {
                    authenticator: "anonymous",
                    name: "system:anonymous",
                    groups: &["system:unauthenticated"],
                    stripped: &["X-Remote-User", "X-Remote-Group"],
                },
            )],
        },
        Scenario {
            key: 'c',
            title: "proxy CA cert, CN not allowed",
            presented: Presented::RogueProxy,
            requests: vec![(
                vec![
                    ("X-Remote-User", "system:admin"),
                    ("X-Remote-Group", "system:masters"),
                ],
                Unauthorized {
                    reason: "common_name_not_allowed",
                },
            )],
        },
        Scenario {
            key: 'd',
            title: "user cert + spoofed headers",
            presented: Presented::Jane,
            requests: vec![(
                vec![("X-Remote-User", "system:admin")],
                User {
                    authenticator: "x509",
                    name: "jane",
                    groups: &["dev", "system:authenticated"],
                    stripped: &["X-Remote-User"],
                },
            )],
        },
        Scenario {
            key: 'e',
            title: "front-proxy cert, no X-Remote-User",
            presented: Presented::FrontProxy,
            requests: vec![(
                vec![],
                Unauthorized {
                    reason: "unknown_authority",
                },
            )],
        },
        Scenario {
            key: 'f',
            title: "cert from an unknown CA",
            presented: Presented::Attacker,
            requests: vec![(
                vec![
                    ("X-Remote-User", "system:admin"),
                    ("X-Remote-Group", "system:masters"),
                ],
                Unauthorized {
                    reason: "unknown_authority",
                },
            )],
        },
        Scenario {
            key: 'g',
            title: "keep-alive: 2 requests",
            presented: Presented::FrontProxy,
            requests: vec![
                (
                    vec![("X-Remote-User", "alice"), ("X-Remote-Group", "developers")],
                    User {
                        authenticator: "requestheader",
                        name: "alice",
                        groups: &["developers", "system:authenticated"],
                        stripped: &["X-Remote-User", "X-Remote-Group"],
                    },
                ),
                (
                    vec![("X-Remote-User", "bob")],
                    User {
                        authenticator: "requestheader",
                        name: "bob",
                        groups: &["system:authenticated"],
                        stripped: &["X-Remote-User"],
                    },
                ),
            ],
        },
        Scenario {
            key: 'h',
            title: "stolen proxy cert, no key",
            presented: Presented::StolenFrontProxy,
            requests: vec![(vec![("X-Remote-User", "system:admin")], HandshakeRefused)],
        },
    ]
}

pub(super) fn run_scenarios(client: &DemoClient, server: &DemoServer) -> Vec<Row> {
    let mut rows = Vec::new();
    for scenario in scenarios() {
        let events_before = server.state.event_count();
        let mut session = client.connect(scenario.presented);
        let mut first_connection: Option<u64> = None;
        let count = scenario.requests.len();
        for (i, (headers, expected)) in scenario.requests.iter().enumerate() {
            let request_id = format!("demo-{}{}", scenario.key, i + 1);
            let scenario_label = if count > 1 {
                format!("({}) {} #{}", scenario.key, scenario.title, i + 1)
            } else {
                format!("({}) {}", scenario.key, scenario.title)
            };
            let response = match &mut session {
                Ok(s) => s.send(&request_id, headers),
                Err(e) => Err(e.clone()),
            };
            let log = server.state.find_log(&request_id);
            let mut row = Row {
                scenario_key: scenario.key,
                scenario: scenario_label,
                certificate: scenario.presented.describe(),
                headers: headers.iter().map(|(n, v)| format!("{n}: {v}")).collect(),
                http: "-".into(),
                outcome: Vec::new(),
                ok: false,
                problem: None,
            };
            match response {
                Err(e) => {
                    row.outcome.push("no HTTP response; client saw:".into());
                    let seen = e.rsplit(": ").take(2).collect::<Vec<_>>();
                    let seen = seen.into_iter().rev().collect::<Vec<_>>().join(": ");
                    row.outcome.push(truncate(&seen, OUTCOME_WIDTH));
                    row.outcome.push("(the server log says why)".into());
                    if !matches!(expected, Expected::HandshakeRefused) {
                        row.problem = Some("expected an HTTP response".into());
                    } else if !server
                        .state
                        .wait_for_event("TLS handshake refused", events_before)
                    {
                        row.problem = Some("the server did not refuse the handshake".into());
                    }
                }
                Ok(r) => {
                    row.http = r.status.to_string();
                    describe_response(&mut row, &r, log.as_ref());
                    let verifications = r
                        .body
                        .pointer("/connection/peerVerifications")
                        .and_then(Value::as_u64);
                    if i > 0 && verifications != Some(1) {
                        row.problem = Some("the connection handle was not reused".into());
                    }
                    if let Some(c) = r.body.pointer("/connection/id").and_then(Value::as_u64) {
                        match first_connection {
                            None => first_connection = Some(c),
                            Some(first) if first != c => {
                                row.problem = Some("not on the same connection".into())
                            }
                            _ => {}
                        }
                    }
                    if let Err(p) = check_expected(expected, &r, log.as_ref()) {
                        row.problem = Some(p);
                    }
                }
            }
            row.ok = row.problem.is_none();
            rows.push(row);
        }
        if let Ok(s) = session {
            s.close();
        }
    }
    rows
}

fn describe_response(row: &mut Row, r: &HttpResponse, log: Option<&LogEntry>) {
    let body = &r.body;
    let mut lines = Vec::new();
    if r.status == 200 {
        let name = body
            .pointer("/user/name")
            .and_then(Value::as_str)
            .unwrap_or("?");
        let by = body
            .get("authenticator")
            .and_then(Value::as_str)
            .unwrap_or("?");
        lines.push(format!("user {name} ({by})"));
        let groups = strings(body.pointer("/user/groups"));
        lines.push(format!("groups {}", groups.join(", ")));
        if let Some(extra) = body.pointer("/user/extra").and_then(Value::as_object) {
            for (k, v) in extra {
                let key = k.rsplit('/').next().unwrap_or(k);
                lines.push(truncate(
                    &format!("extra {key}={}", strings(Some(v)).join(",")),
                    OUTCOME_WIDTH,
                ));
            }
        }
        let stripped = strings(body.get("strippedHeaders"));
        if !stripped.is_empty() {
            lines.push(format!("stripped {}", stripped.join(", ")));
        }
        if let Some(c) = body.get("connection") {
            lines.push(format!(
                "conn #{} request {}, peer verified {}x",
                c.get("id").and_then(Value::as_u64).unwrap_or(0),
                c.get("request").and_then(Value::as_u64).unwrap_or(0),
                c.get("peerVerifications")
                    .and_then(Value::as_u64)
                    .unwrap_or(0),
            ));
        }
    } else {
        let message = body.get("message").and_then(Value::as_str).unwrap_or("?");
        lines.push(format!("Status {message} (the Kubernetes body)"));
        match log {
            Some(l) => {
                lines.push(format!("server log: {}", l.reason.unwrap_or("-")));
                if let Some(cause) = &l.cause {
                    lines.push(format!("cause: {cause}"));
                }
            }
            None => lines.push("server log: (no entry)".into()),
        }
    }
    row.outcome = lines.iter().flat_map(|l| wrap(l, OUTCOME_WIDTH)).collect();
}

fn check_expected(
    expected: &Expected,
    r: &HttpResponse,
    log: Option<&LogEntry>,
) -> Result<(), String> {
    match expected {
        Expected::HandshakeRefused => Err(format!("expected no HTTP, got {}", r.status)),
        Expected::Unauthorized { reason } => {
            if r.status != 401 {
                return Err(format!("expected 401, got {}", r.status));
            }
            if r.body != unauthorized_status() {
                return Err("the 401 body is not the Kubernetes Status".into());
            }
            match log.and_then(|l| l.reason) {
                Some(got) if got == *reason => Ok(()),
                got => Err(format!("expected reason {reason}, logged {got:?}")),
            }
        }
        Expected::User {
            authenticator,
            name,
            groups,
            stripped,
        } => {
            if r.status != 200 {
                return Err(format!("expected 200, got {}", r.status));
            }
            let b = &r.body;
            let got_by = b.get("authenticator").and_then(Value::as_str).unwrap_or("");
            let got_name = b
                .pointer("/user/name")
                .and_then(Value::as_str)
                .unwrap_or("");
            let got_groups = strings(b.pointer("/user/groups"));
            let mut got_stripped = strings(b.get("strippedHeaders"));
            let mut want_stripped: Vec<String> = stripped.iter().map(|s| s.to_string()).collect();
            got_stripped.sort_by_key(|s| s.to_ascii_lowercase());
            want_stripped.sort_by_key(|s| s.to_ascii_lowercase());
            let forwarded = strings(b.get("forwardedHeaders"));
            if got_by != *authenticator || got_name != *name {
                Err(format!("expected {name} by {authenticator}"))
            } else if got_groups != *groups {
                Err(format!("expected groups {groups:?}"))
            } else if !got_stripped.eq_ignore_ascii_case_all(&want_stripped) {
                Err(format!("expected stripped {want_stripped:?}"))
            } else if forwarded
                .iter()
                .any(|h| h.to_ascii_lowercase().starts_with("x-remote-"))
            {
                Err("an X-Remote-* header reached the handler".into())
            } else if log.map(|l| l.status) != Some(200) {
                Err("no matching server log entry".into())
            } else {
                Ok(())
            }
        }
    }
}

trait EqIgnoreCaseAll {
    fn eq_ignore_ascii_case_all(&self, other: &[String]) -> bool;
}

impl EqIgnoreCaseAll for Vec<String> {
    fn eq_ignore_ascii_case_all(&self, other: &[String]) -> bool {
        self.len() == other.len()
            && self
                .iter()
                .zip(other)
                .all(|(a, b)| a.eq_ignore_ascii_case(b))
    }
}

fn strings(v: Option<&Value>) -> Vec<String> {
    v.and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(Value::as_str)
                .map(String::from)
                .collect()
        })
        .unwrap_or_default()
}
