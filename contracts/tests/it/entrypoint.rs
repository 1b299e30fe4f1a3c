//! scripts/docker/entrypoint.sh, run with sh in a temporary folder, once
//! per case. It needs jq, as the image has it.

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

const KEY: &str = r#"{"type": "service_account", "private_key": "not-a-real-key"}"#;

fn script() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../scripts/docker/entrypoint.sh")
}

/// Runs the entrypoint with only `env` set (and PATH, HOME), with the
/// `contracts` binary behind it printing its version.
fn entrypoint(dir: &Path, env: &[(&str, String)]) -> Output {
    let mut env = env.to_vec();
    env.push(("HOME", dir.display().to_string()));
    entrypoint_of(dir, &env, env!("CARGO_BIN_EXE_contracts"), "--version")
}

/// Runs the entrypoint with only `env` set (and PATH), handing over to
/// `binary` with the one argument `argument`.
fn entrypoint_of(dir: &Path, env: &[(&str, String)], binary: &str, argument: &str) -> Output {
    assert!(
        Command::new("jq").arg("--version").output().is_ok(),
        "jq is missing: install it (apt-get install jq); the image has it"
    );
    let mut command = Command::new("sh");
    command
        .arg(script())
        .arg(argument)
        .current_dir(dir)
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap())
        .env("CONTRACTS_BIN", binary);
    for (key, value) in env {
        command.env(key, value);
    }
    command.output().unwrap()
}

fn base64(text: &str) -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let bytes = text.as_bytes();
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let n = chunk
            .iter()
            .enumerate()
            .fold(0u32, |n, (i, b)| n | (*b as u32) << (16 - 8 * i));
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(ALPHABET[(n >> (18 - 6 * i) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

#[test]
fn without_credentials_it_runs_the_binary() {
    let dir = tempfile::tempdir().unwrap();
    let output = entrypoint(dir.path(), &[]);
    assert!(output.status.success(), "{}", stderr(&output));
    assert!(
        stdout(&output).starts_with("contracts "),
        "{}",
        stdout(&output)
    );
}

#[test]
fn a_valid_key_file_is_left_alone() {
    let dir = tempfile::tempdir().unwrap();
    let key = dir.path().join("key.json");
    std::fs::write(&key, KEY).unwrap();
    let output = entrypoint(
        dir.path(),
        &[
            ("GOOGLE_APPLICATION_CREDENTIALS", key.display().to_string()),
            (
                "GOOGLE_APPLICATION_CREDENTIALS_JSON_BASE64",
                base64(r#"{"other": true}"#),
            ),
        ],
    );
    assert!(output.status.success(), "{}", stderr(&output));
    assert_eq!(std::fs::read_to_string(&key).unwrap(), KEY);
}

#[test]
fn a_missing_or_broken_key_file_is_decoded_from_the_variable() {
    for broken in [None, Some("{not json"), Some("")] {
        let dir = tempfile::tempdir().unwrap();
        let key = dir.path().join("secrets/key.json");
        if let Some(text) = broken {
            std::fs::create_dir_all(key.parent().unwrap()).unwrap();
            std::fs::write(&key, text).unwrap();
        }
        let encoded = base64(KEY);
        let output = entrypoint(
            dir.path(),
            &[
                ("GOOGLE_APPLICATION_CREDENTIALS", key.display().to_string()),
                (
                    "GOOGLE_APPLICATION_CREDENTIALS_JSON_BASE64",
                    encoded.clone(),
                ),
            ],
        );
        assert!(output.status.success(), "{broken:?}: {}", stderr(&output));
        assert_eq!(std::fs::read_to_string(&key).unwrap(), KEY, "{broken:?}");
        let mode = std::fs::metadata(&key).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600, "{broken:?}");
        let printed = stdout(&output) + &stderr(&output);
        assert!(
            !printed.contains(&encoded) && !printed.contains("not-a-real-key"),
            "{printed}"
        );
    }
}

#[test]
fn only_the_variable_writes_the_key_under_the_home_folder() {
    let dir = tempfile::tempdir().unwrap();
    let output = entrypoint(
        dir.path(),
        &[
            ("HOME_DIR", dir.path().display().to_string()),
            ("GOOGLE_APPLICATION_CREDENTIALS_JSON_BASE64", base64(KEY)),
        ],
    );
    assert!(output.status.success(), "{}", stderr(&output));
    let key = dir.path().join(".config/gcloud/credentials.json");
    assert_eq!(std::fs::read_to_string(key).unwrap(), KEY);
}

#[test]
fn without_a_usable_key_it_stops_with_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    let key = dir.path().join("key.json");
    let cases = [
        (
            vec![("GOOGLE_APPLICATION_CREDENTIALS", key.display().to_string())],
            "is missing or not valid JSON, and neither GOOGLE_APPLICATION_CREDENTIALS_JSON_BASE64 nor GOOGLE_APPLICATION_CREDENTIALS_JSON is set",
        ),
        (
            vec![
                ("GOOGLE_APPLICATION_CREDENTIALS", key.display().to_string()),
                (
                    "GOOGLE_APPLICATION_CREDENTIALS_JSON_BASE64",
                    base64("plain text"),
                ),
            ],
            "GOOGLE_APPLICATION_CREDENTIALS_JSON_BASE64 does not hold a JSON key file",
        ),
        (
            vec![
                ("GOOGLE_APPLICATION_CREDENTIALS", key.display().to_string()),
                (
                    "GOOGLE_APPLICATION_CREDENTIALS_JSON_BASE64",
                    "%%% not base64 %%%".to_string(),
                ),
            ],
            "GOOGLE_APPLICATION_CREDENTIALS_JSON_BASE64 does not hold a JSON key file",
        ),
    ];
    for (env, message) in cases {
        let output = entrypoint(dir.path(), &env);
        assert_eq!(
            output.status.code(),
            Some(78),
            "{message}: {}",
            stderr(&output)
        );
        assert!(stderr(&output).contains(message), "{}", stderr(&output));
        assert!(stdout(&output).is_empty(), "the binary must not run");
        assert!(!key.exists(), "no partial key is left behind");
        let left: Vec<_> = std::fs::read_dir(dir.path()).unwrap().collect();
        assert!(
            left.is_empty(),
            "no temporary file is left behind: {left:?}"
        );
    }
}

#[test]
fn the_binary_sees_one_key_file_and_neither_variable() {
    for variable in [
        "GOOGLE_APPLICATION_CREDENTIALS_JSON",
        "GOOGLE_APPLICATION_CREDENTIALS_JSON_BASE64",
    ] {
        let dir = tempfile::tempdir().unwrap();
        let key = dir.path().join("key.json");
        let value = if variable.ends_with("BASE64") {
            base64(KEY)
        } else {
            KEY.to_string()
        };
        let output = entrypoint_of(
            dir.path(),
            &[
                ("GOOGLE_APPLICATION_CREDENTIALS", key.display().to_string()),
                (variable, value.clone()),
            ],
            "env",
            "-0",
        );
        assert!(output.status.success(), "{variable}: {}", stderr(&output));
        assert_eq!(std::fs::read_to_string(&key).unwrap(), KEY, "{variable}");
        let seen = stdout(&output);
        let names: Vec<&str> = seen
            .split('\0')
            .filter_map(|entry| entry.split_once('=').map(|(name, _)| name))
            .collect();
        assert!(
            names.contains(&"GOOGLE_APPLICATION_CREDENTIALS")
                && !names
                    .iter()
                    .any(|name| name.starts_with("GOOGLE_APPLICATION_CREDENTIALS_JSON")),
            "{variable}: the binary saw {names:?}"
        );
        assert!(!seen.contains("not-a-real-key"), "{variable}: {seen}");
    }
}

#[test]
fn a_symlink_at_the_key_path_is_replaced_never_written_through() {
    let dir = tempfile::tempdir().unwrap();
    let victim = dir.path().join("victim.txt");
    std::fs::write(&victim, "do not touch").unwrap();
    let key = dir.path().join("key.json");
    std::os::unix::fs::symlink(&victim, &key).unwrap();
    let output = entrypoint(
        dir.path(),
        &[
            ("GOOGLE_APPLICATION_CREDENTIALS", key.display().to_string()),
            ("GOOGLE_APPLICATION_CREDENTIALS_JSON_BASE64", base64(KEY)),
        ],
    );
    assert!(output.status.success(), "{}", stderr(&output));
    assert_eq!(std::fs::read_to_string(&victim).unwrap(), "do not touch");
    assert!(!std::fs::symlink_metadata(&key).unwrap().is_symlink());
    assert_eq!(std::fs::read_to_string(&key).unwrap(), KEY);
}

#[test]
fn without_any_home_folder_it_says_where_to_put_the_key() {
    let dir = tempfile::tempdir().unwrap();
    let output = entrypoint_of(
        dir.path(),
        &[("GOOGLE_APPLICATION_CREDENTIALS_JSON_BASE64", base64(KEY))],
        env!("CARGO_BIN_EXE_contracts"),
        "--version",
    );
    assert_eq!(output.status.code(), Some(78), "{}", stderr(&output));
    assert!(
        stderr(&output)
            .contains("set GOOGLE_APPLICATION_CREDENTIALS to where the key file should be"),
        "{}",
        stderr(&output)
    );
}

#[test]
fn the_version_names_the_commit_the_image_was_built_from() {
    let dir = tempfile::tempdir().unwrap();
    let output = entrypoint(dir.path(), &[("GIT_COMMIT_HASH", "3f2a9c1".to_string())]);
    assert!(output.status.success(), "{}", stderr(&output));
    assert!(
        stdout(&output).ends_with("(commit 3f2a9c1)\n"),
        "{}",
        stdout(&output)
    );
}
