#![allow(clippy::unwrap_used, clippy::expect_used)]
//! Every worked scenario of the pricing contract, through the real `sammelkauf price` binary.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

fn scenario_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/scenarios")
}

fn scenario_files(prefix_is_error: bool) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(scenario_dir())
        .expect("scenario folder")
        .map(|e| e.expect("entry").path())
        .filter(|p| {
            let name = p.file_name().and_then(|n| n.to_str()).unwrap_or("");
            name.ends_with(".json")
                && !name.ends_with(".expected.json")
                && name.starts_with('e') == prefix_is_error
        })
        .collect();
    files.sort();
    files
}

fn run_price(arg: &str, stdin: Option<&[u8]>) -> std::process::Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_sammelkauf"))
        .args(["price", arg])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start sammelkauf");
    if let Some(input) = stdin {
        use std::io::Write;
        child
            .stdin
            .take()
            .expect("stdin")
            .write_all(input)
            .expect("write stdin");
    } else {
        drop(child.stdin.take());
    }
    child.wait_with_output().expect("wait")
}

#[test]
fn every_worked_scenario_is_reproduced_exactly() {
    let files = scenario_files(false);
    assert!(
        files.len() >= 13,
        "expected the 13 worked scenarios, found {}",
        files.len()
    );
    for file in files {
        let out = run_price(file.to_str().expect("utf-8 path"), None);
        assert_eq!(
            out.status.code(),
            Some(0),
            "{}: {}",
            file.display(),
            String::from_utf8_lossy(&out.stderr)
        );
        let got: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON on stdout");
        let expected_path = file.with_extension("expected.json");
        let expected: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(&expected_path).expect("expected file"))
                .expect("expected JSON");
        assert_eq!(got, expected, "{}", file.display());
    }
}

#[test]
fn every_invalid_scenario_is_rejected_with_exit_2_and_one_error_line() {
    let files = scenario_files(true);
    assert!(
        files.len() >= 8,
        "expected the 8 invalid scenarios, found {}",
        files.len()
    );
    for file in files {
        let out = run_price(file.to_str().expect("utf-8 path"), None);
        assert_eq!(out.status.code(), Some(2), "{}", file.display());
        assert!(
            out.stdout.is_empty(),
            "{}: printed to stdout",
            file.display()
        );
        let stderr = String::from_utf8(out.stderr).expect("utf-8 stderr");
        let lines: Vec<&str> = stderr.lines().collect();
        assert_eq!(lines.len(), 1, "{}: {stderr}", file.display());
        assert!(
            lines[0].starts_with("error: "),
            "{}: {stderr}",
            file.display()
        );
    }
}

#[test]
fn the_error_line_names_where_the_problem_is() {
    let cases = [
        ("e1-rising-tier-price.json", "quotes[0].tiers[1].unit_price"),
        ("e2-not-multiple-of-increment.json", "orders[0].quantity"),
        ("e3-negative-quantity.json", "orders[0].quantity"),
        ("e4-too-many-decimals.json", "quotes[0].tiers[0].unit_price"),
        ("e5-duplicate-order-id.json", "orders[1].id"),
        ("e6-price-as-float.json", "quotes[0].tiers[0].unit_price"),
        ("e7-unknown-pricing-mode.json", "quotes[0].pricing"),
        ("e8-bad-timestamp.json", "orders[0].placed_at"),
    ];
    for (name, path) in cases {
        let out = run_price(scenario_dir().join(name).to_str().expect("path"), None);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(
            stderr.starts_with(&format!("error: {path}: ")),
            "{name}: {stderr}"
        );
    }
}

#[test]
fn standard_input_is_read_when_the_file_is_a_dash() {
    let input =
        std::fs::read(scenario_dir().join("02-graduated-leftover-cents.json")).expect("read");
    let out = run_price("-", Some(&input));
    assert_eq!(out.status.code(), Some(0));
    let got: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON");
    assert_eq!(got["award"]["unit_price"], "92.8889");
}

#[test]
fn malformed_json_and_a_missing_file_are_rejected() {
    let out = run_price("-", Some(b"{\"lot\": "));
    assert_eq!(out.status.code(), Some(2));
    assert!(out.stdout.is_empty());
    assert!(String::from_utf8_lossy(&out.stderr).starts_with("error: "));

    let out = run_price("/nonexistent/scenario.json", None);
    assert_eq!(out.status.code(), Some(2));
    assert!(out.stdout.is_empty());
}
