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
