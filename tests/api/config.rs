//! A bad environment value stops `janua` at start-up with a message naming the variable.

fn start_with(vars: &[(&str, &str)]) -> (Option<i32>, String) {
    let dir = tempfile::tempdir().unwrap();
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_janua"))
        .arg("serve")
        .current_dir(dir.path())
        .env_clear()
        .envs(vars.iter().copied())
        .output()
        .unwrap();
    (
        output.status.code(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

#[test]
fn bad_values_stop_start_up_naming_the_variable() {
    for (name, value) in [
        ("PORT", "forty-one-hundred"),
        ("DATABASE_URL", "mysql://localhost/janua"),
        ("JWT_ALGORITHM", "none"),
        ("ACCESS_TOKEN_EXPIRE_MINUTES", "0"),
        ("REDIS_URL", "tcp://localhost"),
        ("LOG_FORMAT", "yaml"),
        // The default origin (the issuer, http://localhost:4100) is not under it.
        ("WEBAUTHN_RP_ID", "example.com"),
        ("WEBAUTHN_ORIGINS", "https://example.com"),
    ] {
        let (code, stderr) = start_with(&[(name, value)]);
        assert_eq!(code, Some(2), "{name}={value}: {stderr}");
        assert!(stderr.contains(name), "{name}={value}: {stderr}");
    }
}

#[test]
fn production_without_an_encryption_key_refuses_to_start() {
    let (code, stderr) = start_with(&[("ENVIRONMENT", "production")]);
    assert_eq!(code, Some(2), "{stderr}");
    assert!(stderr.contains("FIELD_ENCRYPTION_KEY"), "{stderr}");
}

/// Runs `janua args` in `dir` with exactly `vars` as its environment and `stdin` as input.
fn janua_in(
    dir: &std::path::Path,
    args: &[&str],
    vars: &[(&str, &str)],
    stdin: &str,
) -> std::process::Output {
    use std::io::Write;
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_janua"))
        .args(args)
        .current_dir(dir)
        .env_clear()
        .envs(vars.iter().copied())
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(stdin.as_bytes())
        .unwrap();
    child.wait_with_output().unwrap()
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// The names of the files in `dir`.
fn files_in(dir: &std::path::Path) -> Vec<String> {
    std::fs::read_dir(dir)
        .unwrap()
        .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
        .collect()
}

#[test]
fn dotenv_is_read_by_serve_and_config_check_and_the_environment_wins() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join(".env"),
        "# carried over\nPORT=4242\nexport LOG_FORMAT=json\nJANUA_ISSUER=https://id.example.com\n",
    )
    .unwrap();
    let output = janua_in(
        dir.path(),
        &["config", "check"],
        &[("LOG_FORMAT", "text")],
        "",
    );
    assert!(output.status.success(), "{}", text(&output.stderr));
    let shown = text(&output.stdout);
    assert!(shown.contains("PORT=4242  (.env)"), "{shown}");
    assert!(shown.contains("LOG_FORMAT=text  (environment)"), "{shown}");
    assert!(shown.contains("https://id.example.com/"), "{shown}");

    // serve reads the same file: a bad value there stops it, naming the variable.
    std::fs::write(dir.path().join(".env"), "PORT=forty-two\n").unwrap();
    let output = janua_in(dir.path(), &["serve"], &[], "");
    assert_eq!(output.status.code(), Some(2));
    assert!(
        text(&output.stderr).contains("PORT"),
        "{}",
        text(&output.stderr)
    );
    // ... unless the environment sets it (to something bad, so serve stops before binding).
    let output = janua_in(dir.path(), &["config", "check"], &[("PORT", "4343")], "");
    assert!(output.status.success(), "{}", text(&output.stderr));
    assert!(text(&output.stdout).contains("PORT=4343  (environment)"));
}

#[test]
fn a_malformed_dotenv_line_stops_start_up_naming_the_line() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join(".env"),
        "PORT=4242\nFIELD_ENCRYPTION_KEY secret-material\n",
    )
    .unwrap();
    for command in [&["serve"][..], &["config", "check"]] {
        let output = janua_in(dir.path(), command, &[], "");
        let stderr = text(&output.stderr);
        assert_eq!(output.status.code(), Some(2), "{stderr}");
        assert!(
            stderr.contains(".env") && stderr.contains("line 2"),
            "{stderr}"
        );
        assert!(!stderr.contains("secret-material"), "{stderr}");
    }
    assert_eq!(files_in(dir.path()), [".env"], "no database was made");
}

#[test]
fn config_check_masks_secrets_and_fails_on_bad_values_without_making_a_database() {
    let dir = tempfile::tempdir().unwrap();
    let secrets = [
        (
            "DATABASE_URL",
            "postgres://janua:db-pass-7f3a@db.internal/janua",
        ),
        ("REDIS_URL", "redis://:redis-pass-9c2e@cache:6379"),
        (
            "FIELD_ENCRYPTION_KEY",
            "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
        ),
        ("SMTP_HOST", "mail.internal"),
        ("SMTP_USERNAME", "janua"),
        ("SMTP_PASSWORD", "smtp-pass-4b1d"),
        ("METRICS_BEARER_TOKEN", "metrics-token-5e6f7a8b"),
        ("GOOGLE_CLIENT_ID", "google-id"),
        ("GOOGLE_CLIENT_SECRET", "google-secret-1a2b"),
        ("ADMIN_BOOTSTRAP_EMAIL", "root@example.com"),
        ("ADMIN_BOOTSTRAP_PASSWORD", "admin-pass-3c4d"),
    ];
    let output = janua_in(dir.path(), &["config", "check"], &secrets, "");
    let shown = text(&output.stdout);
    assert!(output.status.success(), "{}", text(&output.stderr));
    for (name, value) in secrets {
        let secret_part = value.rsplit(['@', ':']).find(|p| p.contains("pass"));
        let secret = match name {
            "DATABASE_URL" | "REDIS_URL" => secret_part.unwrap(),
            "SMTP_HOST" | "SMTP_USERNAME" | "GOOGLE_CLIENT_ID" | "ADMIN_BOOTSTRAP_EMAIL" => {
                continue;
            }
            _ => value,
        };
        assert!(!shown.contains(secret), "{name}'s secret shown:\n{shown}");
        assert!(shown.contains(name), "{name} not listed:\n{shown}");
    }
    assert!(
        shown.contains("postgres, db.internal:5432/janua as janua"),
        "{shown}"
    );
    assert!(shown.contains("SMTP via mail.internal:587"), "{shown}");

    let output = janua_in(
        dir.path(),
        &["config", "check"],
        &[("JWT_ALGORITHM", "none")],
        "",
    );
    assert_eq!(output.status.code(), Some(2));
    assert!(text(&output.stderr).contains("JWT_ALGORITHM"));
    assert!(
        files_in(dir.path()).is_empty(),
        "{:?}",
        files_in(dir.path())
    );
}

#[test]
fn read_commands_in_an_empty_folder_create_no_database() {
    let dir = tempfile::tempdir().unwrap();
    for command in [
        &["keys", "list"][..],
        &["migrate", "status"],
        &["migrate", "down"],
    ] {
        let output = janua_in(dir.path(), command, &[], "");
        let stderr = text(&output.stderr);
        assert!(!output.status.success(), "{command:?}");
        assert!(
            stderr.contains("no database at janua.db"),
            "{command:?}: {stderr}"
        );
        assert!(stderr.contains("janua migrate up"), "{command:?}: {stderr}");
        assert!(
            files_in(dir.path()).is_empty(),
            "{command:?}: {:?}",
            files_in(dir.path())
        );
    }
}

#[test]
fn help_and_readme_list_every_variable_the_configuration_reads() {
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_janua"))
        .arg("--help")
        .output()
        .unwrap();
    let help = text(&output.stdout);
    let readme =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md")).unwrap();
    let section = readme
        .split("\n## Configuration")
        .nth(1)
        .and_then(|rest| rest.split("\n## ").next())
        .unwrap();
    let table: Vec<&str> = section.lines().filter(|l| l.starts_with('|')).collect();
    for variable in janua::config::VARIABLES {
        assert!(
            help.contains(&format!(
                "  {}  [default: {}]",
                variable.name, variable.default
            )),
            "--help lacks {}",
            variable.name
        );
        let named = format!("`{}`", variable.name);
        assert!(
            table.iter().any(|row| row.contains(&named)),
            "README's configuration table lacks {named}"
        );
    }
}
