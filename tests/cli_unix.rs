//! Issue 8: `frontproxy` behaves like a well-made Unix tool. A usage or configuration error is
//! one line on stderr and exit status 2 (no usage text after it); `--help`, `help COMMAND`,
//! `--version` and `version` print to stdout and exit 0; no argument — not UTF-8, or huge —
//! makes it panic; `doctor --output json` is one parseable object.

mod common;

use std::ffi::OsString;
use std::os::unix::ffi::OsStringExt;
use std::process::Command;

use common::pki::*;
use serde_json::Value;

struct Run {
    code: i32,
    stdout: String,
    stderr: String,
}

fn frontproxy<S: Into<OsString> + Clone>(args: &[S]) -> Run {
    let out = Command::new(env!("CARGO_BIN_EXE_frontproxy"))
        .args(args.iter().cloned().map(Into::into))
        .output()
        .expect("run frontproxy");
    Run {
        // A signal (a panic with abort) has no code: -1 fails every assertion below.
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

fn os(s: &str) -> OsString {
    s.into()
}

fn bytes(b: &[u8]) -> OsString {
    OsString::from_vec(b.to_vec())
}

/// A front-proxy CA and its leaf, written to a directory.
struct Fixture {
    dir: PkiDir,
    ca: String,
    chain: String,
}

fn fixture() -> Fixture {
    let key = |slot| KeyKind::EcdsaP256.pooled(slot);
    let ca = self_signed(ca_spec("front-proxy-ca"), key(90));
    let leaf = ca.issue(client_leaf_spec("front-proxy-client"), key(91));
    let dir = PkiDir::new();
    Fixture {
        ca: dir.write_cert("ca.pem", &ca).display().to_string(),
        chain: dir.write_bundle("leaf.pem", &[&leaf]).display().to_string(),
        dir,
    }
}

fn assert_one_line_error(what: &str, run: &Run) {
    assert_eq!(run.code, 2, "{what}: {}{}", run.stdout, run.stderr);
    assert!(run.stdout.is_empty(), "{what}: stdout {:?}", run.stdout);
    assert_eq!(
        run.stderr.lines().count(),
        1,
        "{what}: one line of error, got {:?}",
        run.stderr
    );
    assert!(
        run.stderr.starts_with("frontproxy: "),
        "{what}: {}",
        run.stderr
    );
    assert!(!run.stderr.contains("usage:"), "{what}: {}", run.stderr);
}

#[test]
fn usage_and_configuration_errors_are_one_line_and_exit_2() {
    let f = fixture();
    let ca = format!("--requestheader-client-ca-file={}", f.ca);
    let missing = f.dir.path().join("missing.pem").display().to_string();
    let cases: Vec<(&str, Vec<String>)> = vec![
        ("no command", vec![]),
        ("unknown command", vec!["frobnicate".into()]),
        (
            "check unknown flag",
            vec!["check".into(), ca.clone(), "--bogus".into()],
        ),
        ("check no configuration", vec!["check".into()]),
        (
            "check missing chain",
            vec![
                "check".into(),
                ca.clone(),
                "--chain".into(),
                missing.clone(),
            ],
        ),
        (
            "check bad --repeat",
            vec!["check".into(), ca.clone(), "--repeat".into(), "0".into()],
        ),
        (
            "check missing CA",
            vec!["check".into(), format!("--client-ca-file={missing}")],
        ),
        ("doctor no configuration", vec!["doctor".into()]),
        (
            "doctor bad --output",
            vec![
                "doctor".into(),
                ca.clone(),
                "--output".into(),
                "yaml".into(),
            ],
        ),
        ("demo argument", vec!["demo".into(), "--bogus".into()]),
        ("version argument", vec!["version".into(), "extra".into()]),
        (
            "help unknown command",
            vec!["help".into(), "frobnicate".into()],
        ),
    ];
    for (what, args) in cases {
        assert_one_line_error(what, &frontproxy(&args));
    }
}

#[test]
fn help_and_version_go_to_stdout_with_exit_0() {
    let cases: [(&[&str], &[&str]); 10] = [
        (
            &["--help"],
            &["usage:", "check", "doctor", "demo", "comma-separated"],
        ),
        (&["help"], &["usage:", "exit status"]),
        (&["-h"], &["usage:"]),
        (
            &["check", "--help"],
            &[
                "--explain",
                "--repeat",
                "--resumed",
                "--at",
                "comma-separated",
                "exit status",
            ],
        ),
        (&["help", "check"], &["--explain", "authenticators"]),
        (
            &["doctor", "--help"],
            &["--output", "exit status: 0 no warnings, 1 warnings only, 3"],
        ),
        (&["help", "doctor"], &["--output"]),
        (&["demo", "--help"], &["usage: frontproxy demo"]),
        (&["--version"], &["frontproxy "]),
        (&["version"], &["frontproxy "]),
    ];
    for (args, needles) in cases {
        let run = frontproxy(args);
        assert_eq!(run.code, 0, "{args:?}: {}", run.stderr);
        assert!(run.stderr.is_empty(), "{args:?}: {}", run.stderr);
        for n in needles {
            assert!(
                run.stdout.contains(n),
                "{args:?} lacks {n:?}:\n{}",
                run.stdout
            );
        }
    }
    let v = frontproxy(&["version"]);
    assert_eq!(v.stdout.lines().count(), 1, "{}", v.stdout);
}

/// A non-UTF-8 `--header` value goes to the library, which rejects the identity it would
/// carry (`invalid_header`, exit 1) — inline or as the next argument.
#[test]
fn a_non_utf8_header_value_is_the_librarys_invalid_header() {
    let f = fixture();
    for header in [
        vec![os("--header"), bytes(b"X-Remote-User: \xff\xfe")],
        vec![bytes(b"--header=X-Remote-User: \xff\xfe")],
    ] {
        let mut args = vec![
            os("check"),
            os(&format!("--requestheader-client-ca-file={}", f.ca)),
            os("--chain"),
            os(&f.chain),
        ];
        args.extend(header);
        let run = frontproxy(&args);
        assert_eq!(run.code, 1, "{}", run.stderr);
        let v: Value = serde_json::from_str(run.stdout.trim()).expect("JSON");
        assert_eq!(v["reason"], "invalid_header", "{v}");
        assert_eq!(
            v["authenticators"]["requestheader"]["opinion"], "rejected",
            "{v}"
        );
        assert_eq!(
            v["authenticators"]["requestheader"]["reason"], "invalid_header",
            "{v}"
        );
    }
}

/// Every subcommand, given an argument that is not UTF-8 or one far over the argument bound,
/// answers without a panic: an exit status of the contract, and one line when it is an error.
/// (1 MiB is tried first; Linux refuses a single argument over 128 KiB at exec, so the test
/// falls back to 127 KiB, still twice the 64 KiB bound.)
#[test]
fn no_argument_makes_any_subcommand_panic() {
    let f = fixture();
    let config = format!("--requestheader-client-ca-file={}", f.ca);
    let spawnable = |size: usize| {
        Command::new(env!("CARGO_BIN_EXE_frontproxy"))
            .args(["version", &"x".repeat(size)])
            .output()
            .is_ok()
    };
    let big = if spawnable(1 << 20) {
        1 << 20
    } else {
        127 * 1024
    };
    let odd = bytes(b"\xff\xfe-not-utf8");
    let huge = os(&"A".repeat(big));
    let huge_header = os(&format!("X-Remote-User: {}", "a".repeat(big - 20)));
    let mut cases: Vec<(&str, Vec<OsString>, bool)> = Vec::new();
    for (label, arg) in [("non-UTF-8", &odd), ("oversized", &huge)] {
        // (what, arguments, whether it must be a usage error)
        cases.push((label, vec![os("check"), os(&config), arg.clone()], true));
        cases.push((
            label,
            vec![os("check"), os(&config), os("--chain"), arg.clone()],
            true,
        ));
        cases.push((
            label,
            vec![os("check"), os(&config), os("--at"), arg.clone()],
            true,
        ));
        cases.push((
            label,
            vec![os("check"), os("--configmap"), arg.clone()],
            true,
        ));
        cases.push((label, vec![os("doctor"), os(&config), arg.clone()], true));
        cases.push((
            label,
            vec![os("doctor"), os("--client-ca-file"), arg.clone()],
            true,
        ));
        cases.push((label, vec![os("demo"), arg.clone()], true));
        cases.push((label, vec![os("version"), arg.clone()], true));
        cases.push((label, vec![os("help"), arg.clone()], true));
        cases.push((label, vec![arg.clone()], true));
    }
    // Header values are the library's to judge: exit 0 or 1, never a panic.
    cases.push((
        "non-UTF-8 header",
        vec![
            os("check"),
            os(&config),
            os("--header"),
            bytes(b"X-Remote-User: \xff"),
        ],
        false,
    ));
    cases.push((
        "oversized header",
        vec![
            os("check"),
            os(&config),
            os("--chain"),
            os(&f.chain),
            os("--header"),
            huge_header,
        ],
        false,
    ));
    for (label, args, usage_error) in cases {
        let what = format!(
            "{label} {:?}",
            args.iter()
                .map(|a| a.to_string_lossy().chars().take(40).collect::<String>())
                .collect::<Vec<_>>()
        );
        let run = frontproxy(&args);
        assert!(!run.stderr.contains("panicked"), "{what}: {}", run.stderr);
        assert!(
            [0, 1, 2, 3].contains(&run.code),
            "{what}: exit {}",
            run.code
        );
        if usage_error {
            assert_one_line_error(&what, &run);
        } else {
            assert!(
                run.code == 0 || run.code == 1,
                "{what}: exit {} {}",
                run.code,
                run.stderr
            );
            let v: Value = serde_json::from_str(run.stdout.trim()).expect("JSON");
            assert!(v["decision"].is_string(), "{v}");
        }
    }
}

/// `doctor --output json`: one object, the findings and the summary, and the same exit status
/// as the text report.
#[test]
fn doctor_output_json_parses_back() {
    let f = fixture();
    let config = format!("--requestheader-client-ca-file={}", f.ca);
    let text = frontproxy(&["doctor", &config]);
    let run = frontproxy(&["doctor", &config, "--output", "json"]);
    assert_eq!(run.code, text.code, "{}", run.stderr);
    assert_eq!(
        run.code, 1,
        "empty allowed names is a warning: {}",
        run.stdout
    );
    assert_eq!(run.stdout.lines().count(), 1, "{}", run.stdout);
    let v: Value = serde_json::from_str(&run.stdout).expect("JSON");
    assert_eq!(v["exit_status"], 1);
    assert_eq!(v["summary"]["critical"], 0);
    assert!(v["summary"]["warning"].as_u64().unwrap() >= 1, "{v}");
    let findings = v["findings"].as_array().expect("findings");
    assert!(
        findings
            .iter()
            .any(|f| f["severity"] == "warning" && f["check"] == "allowed-names"),
        "{v}"
    );
    for f in findings {
        let mut keys: Vec<&str> = f.as_object().unwrap().keys().map(String::as_str).collect();
        keys.sort();
        assert_eq!(keys, ["check", "message", "severity"], "{f}");
    }
    let default = frontproxy(&["doctor", &config, "--output=text"]);
    assert_eq!(default.stdout, text.stdout);
}
