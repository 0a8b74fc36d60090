#![allow(clippy::unwrap_used, clippy::expect_used)]
//! Every worked example of the call-off contract, through the real `sammelkauf calloffs`
//! binary: byte for byte, and every invalid input refused with exit 2 and where it is wrong.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

fn dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/calloff-scenarios")
}

fn files(invalid: bool) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir())
        .expect("scenario folder")
        .map(|e| e.expect("entry").path())
        .filter(|p| {
            let name = p.file_name().and_then(|n| n.to_str()).unwrap_or("");
            name.ends_with(".json")
                && !name.ends_with(".expected.json")
                && name.starts_with('f') == invalid
        })
        .collect();
    files.sort();
    files
}

fn run(arg: &str, stdin: Option<&[u8]>) -> std::process::Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_sammelkauf"))
        .args(["calloffs", arg])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start sammelkauf");
    let mut input = child.stdin.take().expect("stdin");
    if let Some(bytes) = stdin {
        use std::io::Write;
        input.write_all(bytes).expect("write stdin");
    }
    drop(input);
    child.wait_with_output().expect("wait")
}

#[test]
fn every_worked_example_is_reproduced_byte_for_byte() {
    let files = files(false);
    assert!(
        files.len() >= 7,
        "expected the 7 worked examples, found {}",
        files.len()
    );
    for file in files {
        let out = run(file.to_str().expect("path"), None);
        assert_eq!(
            out.status.code(),
            Some(0),
            "{}: {}",
            file.display(),
            String::from_utf8_lossy(&out.stderr)
        );
        let expected =
            std::fs::read_to_string(file.with_extension("expected.json")).expect("expected");
        let got = String::from_utf8(out.stdout).expect("utf-8");
        assert_eq!(got.trim_end(), expected.trim_end(), "{}", file.display());
    }
}

#[test]
fn every_invalid_input_exits_2_naming_where_it_is_wrong() {
    let cases = [
        ("f1-initial-net-inconsistent.json", "initial[0].net"),
        ("f2-max-below-initial.json", "framework.max_quantity"),
        ("f3-end-before-start.json", "framework.end"),
        ("f4-calloff-not-multiple.json", "calloffs[0].quantity"),
        ("f5-duplicate-id.json", "calloffs[0].id"),
        ("f6-no-initial.json", "initial"),
    ];
    assert_eq!(
        files(true).len(),
        cases.len(),
        "every invalid example has its case"
    );
    for (name, path) in cases {
        let out = run(dir().join(name).to_str().expect("path"), None);
        assert_eq!(out.status.code(), Some(2), "{name}");
        assert!(out.stdout.is_empty(), "{name} printed a result");
        let stderr = String::from_utf8(out.stderr).expect("utf-8");
        assert_eq!(stderr.lines().count(), 1, "{name}: {stderr}");
        assert!(
            stderr.starts_with(&format!("error: {path}: ")),
            "{name}: {stderr}"
        );
    }
}

#[test]
fn hostile_input_is_refused_with_exit_2_not_a_crash() {
    let base = std::fs::read_to_string(dir().join("01-all-units-credits.json")).expect("read");
    let doc: serde_json::Value = serde_json::from_str(&base).expect("json");
    type Change = Box<dyn Fn(&mut serde_json::Value)>;
    let variants: Vec<(&str, Change)> = vec![
        (
            "huge quantity",
            Box::new(|d| d["calloffs"][0]["quantity"] = 9_223_372_036_854_775_807i64.into()),
        ),
        (
            "negative quantity",
            Box::new(|d| d["calloffs"][0]["quantity"] = (-5).into()),
        ),
        (
            "huge max",
            Box::new(|d| d["framework"]["max_quantity"] = 100_000_001.into()),
        ),
        (
            "net with 3 decimals",
            Box::new(|d| d["initial"][0]["net"] = "5400.001".into()),
        ),
        (
            "net as number",
            Box::new(|d| d["initial"][0]["net"] = 5400.into()),
        ),
        (
            "net huge",
            Box::new(|d| d["initial"][0]["net"] = "99999999999999999999999".into()),
        ),
        (
            "NUL in member",
            Box::new(|d| d["calloffs"][0]["member"] = "A\u{0}B".into()),
        ),
        (
            "100 KB id",
            Box::new(|d| d["calloffs"][0]["id"] = "x".repeat(100_000).into()),
        ),
        (
            "bad time",
            Box::new(|d| d["calloffs"][0]["at"] = "yesterday".into()),
        ),
        (
            "empty tiers",
            Box::new(|d| d["framework"]["tiers"] = serde_json::json!([])),
        ),
    ];
    for (what, change) in variants {
        let mut d = doc.clone();
        change(&mut d);
        let out = run("-", Some(d.to_string().as_bytes()));
        assert_eq!(
            out.status.code(),
            Some(2),
            "{what}: {}",
            String::from_utf8_lossy(&out.stdout)
        );
        assert!(
            String::from_utf8_lossy(&out.stderr).starts_with("error: "),
            "{what}"
        );
    }
    let out = run("-", Some(b"{\"framework\": "));
    assert_eq!(out.status.code(), Some(2));
}
