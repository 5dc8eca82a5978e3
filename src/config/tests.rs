#![expect(clippy::unwrap_used, reason = "tests")]
//! The configuration as a whole: defaults, each bad value naming its variable, pairs.
use super::*;

fn config(vars: &[(&str, &str)]) -> Result<Config, ConfigError> {
    Config::from_vars(vars.iter().map(|(k, v)| (k.to_string(), v.to_string())))
}

#[test]
fn empty_environment_gives_the_embedded_defaults() {
    let config = config(&[]).unwrap();
    assert_eq!(config.database_url, "sqlite://janua.db?mode=rwc");
    assert_eq!(config.redis_url, None);
    assert_eq!(config.port, 4100);
    assert_eq!(config.issuer.as_str(), "http://localhost:4100/");
    assert_eq!(config.access_token_ttl, Duration::from_secs(900));
    assert_eq!(config.refresh_token_ttl, Duration::from_secs(7 * 86_400));
    assert_eq!(config.jwt_algorithm, SigningAlgorithm::Rs256);
    assert_eq!(config.environment, Environment::Development);
}

#[test]
fn each_bad_value_names_its_variable() {
    for (name, value) in [
        ("PORT", "http"),
        ("PORT", "70000"),
        ("DATABASE_URL", "mysql://x"),
        ("REDIS_URL", "memcached://x"),
        ("JANUA_ISSUER", "not a url"),
        ("JWT_ALGORITHM", "HS256"),
        ("ACCESS_TOKEN_EXPIRE_MINUTES", "-5"),
        ("ACCESS_TOKEN_EXPIRE_MINUTES", "0"),
        ("REFRESH_TOKEN_EXPIRE_DAYS", "a week"),
        ("FIELD_ENCRYPTION_KEY", "too-short"),
        ("SMTP_PORT", "x"),
        ("ENVIRONMENT", "staging"),
        ("LOG_FORMAT", "xml"),
        ("CORS_ALLOWED_ORIGINS", "ftp://x"),
        ("WEBAUTHN_ORIGINS", "nope"),
        ("GOOGLE_ISSUER", "http://accounts.example.com"),
        ("MICROSOFT_ISSUER", "login"),
        ("GITHUB_OAUTH_URL", "ftp://github.example.com"),
        ("GITHUB_API_URL", "http://10.1.2.3"),
        ("TRUSTED_PROXIES", "10.0.0.0/8, proxy.internal"),
        ("TRUSTED_PROXIES", "10.0.0.0/40"),
        ("JANUA_HEADER_READ_TIMEOUT_SECONDS", "0"),
        ("MAX_CONNECTIONS_PER_IP", "many"),
        ("SIGNUP_EXISTING_EMAIL", "ignore"),
        ("METRICS_BEARER_TOKEN", "short"),
        ("METRICS_ADDRESS", "localhost"),
    ] {
        let mut vars = vec![(name, value)];
        if name == "SMTP_PORT" {
            vars.push(("SMTP_HOST", "localhost"));
        }
        let err = config(&vars).unwrap_err();
        assert_eq!(err.variable, name, "{name}={value}");
        assert!(err.to_string().contains(name));
    }
}

#[test]
fn production_refuses_to_start_without_an_encryption_key() {
    let err = config(&[("ENVIRONMENT", "production")]).unwrap_err();
    assert_eq!(err.variable, "FIELD_ENCRYPTION_KEY");
    let key = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
    assert!(config(&[("ENVIRONMENT", "production"), ("FIELD_ENCRYPTION_KEY", key)]).is_ok());
}

#[test]
fn half_configured_pairs_are_refused() {
    assert_eq!(
        config(&[("GITHUB_CLIENT_ID", "x")]).unwrap_err().variable,
        "GITHUB_CLIENT_SECRET"
    );
    assert_eq!(
        config(&[("ADMIN_BOOTSTRAP_EMAIL", "a@b.c")])
            .unwrap_err()
            .variable,
        "ADMIN_BOOTSTRAP_PASSWORD"
    );
}

#[test]
fn webauthn_defaults_to_the_issuer_host_and_origin() {
    let webauthn = config(&[("JANUA_ISSUER", "https://id.example.com/base")])
        .unwrap()
        .webauthn
        .unwrap();
    assert_eq!(webauthn.rp_id, "id.example.com");
    assert_eq!(
        webauthn.origins,
        [Url::parse("https://id.example.com").unwrap()]
    );
    // An issuer on an IP address has no domain to bind passkeys to: they are off.
    let on_ip = config(&[("JANUA_ISSUER", "http://127.0.0.1:4100")]).unwrap();
    assert_eq!(on_ip.webauthn, None);
}

#[test]
fn webauthn_origins_may_be_subdomains_of_the_relying_party() {
    let webauthn = config(&[
        ("WEBAUTHN_RP_ID", "Example.com"),
        (
            "WEBAUTHN_ORIGINS",
            "https://example.com, https://app.example.com:8443/login",
        ),
    ])
    .unwrap()
    .webauthn
    .unwrap();
    assert_eq!(webauthn.rp_id, "example.com");
    assert_eq!(
        webauthn.origins,
        [
            Url::parse("https://example.com").unwrap(),
            Url::parse("https://app.example.com:8443").unwrap()
        ]
    );
}

#[test]
fn webauthn_mismatches_name_their_variable() {
    for (vars, variable) in [
        // The default origin (the issuer, localhost) is not under example.com.
        (vec![("WEBAUTHN_RP_ID", "example.com")], "WEBAUTHN_RP_ID"),
        (
            vec![
                ("WEBAUTHN_RP_ID", "example.com"),
                ("WEBAUTHN_ORIGINS", "https://badexample.com"),
            ],
            "WEBAUTHN_ORIGINS",
        ),
        (
            vec![
                ("WEBAUTHN_RP_ID", "example.com"),
                ("WEBAUTHN_ORIGINS", "http://example.com"),
            ],
            "WEBAUTHN_ORIGINS",
        ),
        (
            vec![("WEBAUTHN_RP_ID", "https://example.com")],
            "WEBAUTHN_RP_ID",
        ),
        (vec![("WEBAUTHN_RP_ID", "10.0.0.1")], "WEBAUTHN_RP_ID"),
        (
            vec![
                ("JANUA_ISSUER", "http://127.0.0.1:4100"),
                ("WEBAUTHN_ORIGINS", "https://localhost:8443"),
            ],
            "WEBAUTHN_RP_ID",
        ),
    ] {
        let err = config(&vars).unwrap_err();
        assert_eq!(err.variable, variable, "{vars:?}: {err}");
    }
}

#[test]
fn cors_origins_are_normalised() {
    let config = config(&[(
        "CORS_ALLOWED_ORIGINS",
        "https://app.example.com/, http://localhost:3000",
    )])
    .unwrap();
    assert_eq!(
        config.cors_allowed_origins,
        ["https://app.example.com", "http://localhost:3000"]
    );
}

#[test]
fn edge_settings_default_to_trusting_no_proxy_and_bounded_connections() {
    let defaults = config(&[]).unwrap();
    assert!(defaults.trusted_proxies.is_empty());
    assert_eq!(defaults.header_read_timeout, Duration::from_secs(10));
    assert_eq!(defaults.max_connections_per_ip, 256);
    assert_eq!(
        defaults.signup_existing_email,
        SignupExistingEmail::Conflict
    );
    assert!(defaults.metrics.bearer_token.is_none() && defaults.metrics.address.is_none());
    let set = config(&[
        ("TRUSTED_PROXIES", "10.0.0.0/8, ::1"),
        ("SIGNUP_EXISTING_EMAIL", "Notify"),
        ("METRICS_ADDRESS", "127.0.0.1:9100"),
    ])
    .unwrap();
    assert!(set.trusted_proxies.contains("::1".parse().unwrap()));
    assert_eq!(set.signup_existing_email, SignupExistingEmail::Notify);
    assert_eq!(set.metrics.address, Some("127.0.0.1:9100".parse().unwrap()));
}

#[test]
fn the_variable_table_is_exactly_what_the_reader_reads() {
    // Values that take every branch, so conditional variables (SMTP_PORT after SMTP_HOST)
    // are asked for too.
    let vars = Vars::new(
        [("SMTP_HOST", "mail.example.com")]
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
    );
    Config::read(&vars).unwrap();
    let asked = vars.asked();
    let table: std::collections::BTreeSet<&str> = VARIABLES.iter().map(|v| v.name).collect();
    assert_eq!(asked, table, "the reader and src/config/table.rs disagree");
    assert_eq!(table.len(), VARIABLES.len(), "a variable is listed twice");
}

#[test]
fn dotenv_is_read_beneath_the_real_environment() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join(".env"),
        "# comment\nPORT=4200\nexport JANUA_ISSUER=https://id.example.com\nLOG_FORMAT=json\n",
    )
    .unwrap();
    let environment = [("LOG_FORMAT".to_owned(), "text".to_owned())];
    let input = ConfigInput::from_parts(environment, dir.path()).unwrap();
    let config = Config::from_vars(input.pairs()).unwrap();
    assert_eq!(config.port, 4200);
    assert_eq!(config.issuer.as_str(), "https://id.example.com/");
    assert_eq!(config.log_format, LogFormat::Text, "the environment wins");
    assert_eq!(input.get("PORT"), Some(("4200", Origin::DotEnv)));
    assert_eq!(input.get("LOG_FORMAT"), Some(("text", Origin::Environment)));
}

#[test]
fn a_malformed_dotenv_line_is_an_error_naming_the_line_not_its_text() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join(".env"),
        "PORT=4200\n\nFIELD_ENCRYPTION_KEY some-secret\n",
    )
    .unwrap();
    let err = ConfigInput::from_parts([], dir.path()).unwrap_err();
    assert_eq!(err.variable, ".env");
    assert!(err.problem.contains("line 3"), "{err}");
    assert!(!err.to_string().contains("some-secret"), "{err}");
}

#[test]
fn secrets_are_masked_in_the_effective_variables() {
    let input = ConfigInput::from_parts(
        [
            ("DATABASE_URL", "postgres://janua:db-password@db/janua"),
            ("FIELD_ENCRYPTION_KEY", "key-material"),
            ("SMTP_PASSWORD", "smtp-password"),
            ("REDIS_URL", "redis://:redis-password@cache:6379"),
            ("METRICS_BEARER_TOKEN", "metrics-token-material"),
            ("GITHUB_CLIENT_SECRET", "github-secret"),
            ("ADMIN_BOOTSTRAP_PASSWORD", "admin-password"),
            ("PORT", "4300"),
        ]
        .map(|(k, v)| (k.to_owned(), v.to_owned())),
        tempfile::tempdir().unwrap().path(),
    )
    .unwrap();
    let shown = effective_variables(&input).join("\n");
    for secret in [
        "db-password",
        "key-material",
        "smtp-password",
        "redis-password",
        "metrics-token-material",
        "github-secret",
        "admin-password",
    ] {
        assert!(!shown.contains(secret), "{secret} shown:\n{shown}");
    }
    assert!(shown.contains("PORT=4300  (environment)"), "{shown}");
    assert!(shown.contains("DATABASE_URL=postgres://janua:********@db/janua"));
    assert!(shown.contains("JWT_ALGORITHM  (default: RS256)"));
}
