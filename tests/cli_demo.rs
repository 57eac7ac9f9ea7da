//! `frontproxy demo`: the HTTPS extension endpoint and its attackers. The demo must finish on
//! its own, exit 0, and its table must show what Kubernetes does in each scenario
//! (spec §0.1, §1.7–§1.9).

use std::collections::BTreeMap;
use std::io::Read;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// One row of the demo's table: its cells, the lines of each joined with '\n'.
#[derive(Debug)]
struct Row {
    scenario: String,
    certificate: String,
    http: String,
    outcome: String,
    ok: String,
}

/// Parses the table: rows are separated by rule lines, cells by '|'.
fn parse_table(stdout: &str) -> Vec<Row> {
    let mut rows = Vec::new();
    let mut current: Vec<Vec<String>> = Vec::new();
    let mut in_table = false;
    for line in stdout.lines() {
        if line.starts_with("---") && line.contains('+') {
            if in_table && !current.is_empty() {
                let cell = |i: usize| {
                    current
                        .iter()
                        .filter_map(|cols| cols.get(i))
                        .map(|s| s.trim().to_string())
                        .filter(|s| !s.is_empty())
                        .collect::<Vec<_>>()
                        .join("\n")
                };
                rows.push(Row {
                    scenario: cell(0),
                    certificate: cell(1),
                    http: cell(3),
                    outcome: cell(4),
                    ok: cell(5),
                });
            }
            current.clear();
            in_table = true;
            continue;
        }
        if in_table && line.contains('|') {
            current.push(line.split('|').map(str::to_string).collect());
        } else if in_table && line.trim().is_empty() {
            break;
        }
    }
    rows
}

fn run_demo() -> (i32, String, Duration) {
    let started = Instant::now();
    let mut child = Command::new(env!("CARGO_BIN_EXE_frontproxy"))
        .arg("demo")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start frontproxy demo");
    let mut stdout = child.stdout.take().unwrap();
    let reader = std::thread::spawn(move || {
        let mut s = String::new();
        stdout.read_to_string(&mut s).unwrap();
        s
    });
    let deadline = started + Duration::from_secs(60);
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!("frontproxy demo did not finish within 60 s");
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    let elapsed = started.elapsed();
    let mut stderr = String::new();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut stderr)
        .unwrap();
    let stdout = reader.join().unwrap();
    assert!(stderr.is_empty(), "stderr: {stderr}");
    (status.code().expect("exit code"), stdout, elapsed)
}

#[test]
fn demo_shows_every_scenario_as_kubernetes_behaves() {
    let (code, stdout, elapsed) = run_demo();
    assert_eq!(code, 0, "{stdout}");
    assert!(elapsed < Duration::from_secs(30), "took {elapsed:?}");

    let rows = parse_table(&stdout);
    let mut by_key: BTreeMap<char, Vec<&Row>> = BTreeMap::new();
    for row in &rows {
        let key = row
            .scenario
            .chars()
            .nth(1)
            .expect("a scenario label like (a)");
        by_key.entry(key).or_default().push(row);
    }
    // (scenario, rule, HTTP status, what the outcome cell must say)
    let expected: [(char, &str, &str, &[&str]); 8] = [
        (
            'a',
            "§1.2-§1.5: the aggregator's identity",
            "200",
            &[
                "user alice (requestheader)",
                "developers, system:authenticated",
                "extra scopes=openid",
                "X-Remote-Extra-Scopes",
            ],
        ),
        (
            'b',
            "§1.8 r27: no certificate is anonymous",
            "200",
            &[
                "user system:anonymous (anonymous)",
                "system:unauthenticated",
                "stripped X-Remote-User, X-Remote-Group",
            ],
        ),
        (
            'c',
            "§1.7 r22: CN not allowed",
            "401",
            &["Status Unauthorized", "common_name_not_allowed"],
        ),
        (
            'd',
            "§1.8 r28: x509 user, spoofed header stripped",
            "200",
            &[
                "user jane (x509)",
                "dev, system:authenticated",
                "stripped X-Remote-User",
            ],
        ),
        (
            'e',
            "§1.8 r28: proxy cert without X-Remote-User",
            "401",
            // Issue 8: the real cause, not only the x509 authenticator's reason code.
            &[
                "Status Unauthorized",
                "unknown_authority",
                "cause: no username header -> request-header no opinion -> x509 rejected the proxy certificate",
            ],
        ),
        (
            'f',
            "§1.7 r21: unknown CA",
            "401",
            &["Status Unauthorized", "unknown_authority"],
        ),
        (
            'g',
            "§0.1: one verification per connection",
            "200",
            &["peer verified 1x"],
        ),
        ('h', "§0.1: proof of possession", "-", &["no HTTP response"]),
    ];
    for (key, rule, status, outcome) in expected {
        let rows = by_key
            .get(&key)
            .unwrap_or_else(|| panic!("({key}) {rule}: no row\n{stdout}"));
        for row in rows {
            assert_eq!(row.http, status, "({key}) {rule}: {row:?}");
            assert_eq!(row.ok, "yes", "({key}) {rule}: {row:?}");
            // Wrapped cell lines joined back into one text.
            let outcome_text = row.outcome.replace('\n', " ");
            for text in outcome {
                assert!(
                    outcome_text.contains(text),
                    "({key}) {rule}: {text:?} not in {row:?}"
                );
            }
        }
        // Attacks never come out as the identity they claimed.
        for row in rows {
            assert!(
                !row.outcome.contains("user system:admin"),
                "({key}): {row:?}"
            );
        }
    }
    assert_eq!(by_key.len(), 8, "{stdout}");

    // (g): two requests on the same connection, the second reusing the first's handle.
    let g = &by_key[&'g'];
    assert_eq!(g.len(), 2, "{g:?}");
    let conn = |row: &Row| {
        let at = row.outcome.find("conn #").expect("connection info");
        row.outcome[at..].split(' ').nth(1).unwrap().to_string()
    };
    assert_eq!(conn(g[0]), conn(g[1]), "same connection");
    assert!(
        g[0].outcome.contains("request 1") && g[1].outcome.contains("request 2"),
        "{g:?}"
    );
    assert!(g[1].outcome.contains("user bob"), "{g:?}");
    assert!(by_key[&'h'][0]
        .certificate
        .contains("without its private key"));

    assert!(
        stdout.contains("TLS handshake refused: invalid peer certificate: BadSignature"),
        "{stdout}"
    );
    assert!(
        stdout.contains("8 connection(s), 8 request(s), 7 peer chain verification(s)"),
        "{stdout}"
    );
    let last = stdout.lines().last().unwrap_or("");
    assert!(
        last.starts_with("demo passed: all 8 scenarios (9 requests)"),
        "{last}"
    );
}

#[test]
fn demo_rejects_arguments() {
    let out = Command::new(env!("CARGO_BIN_EXE_frontproxy"))
        .args(["demo", "--bogus"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
}
