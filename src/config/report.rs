//! The configuration told to its operator: the summary that start-up logs and
//! `janua config check` prints (database kind, cache, issuer, environment, mail, listen
//! address), and every variable's effective value. It must never show a secret: passwords in
//! URLs and the variables the table marks secret are masked.

use super::{
    Config, Environment,
    input::{ConfigInput, Origin},
    table::{Shown, VARIABLES},
};

const MASK: &str = "********";

/// What this configuration runs on, as (topic, description) pairs.
pub fn summary(config: &Config) -> Vec<(&'static str, String)> {
    let cache = match &config.redis_url {
        Some(url) => format!("redis, {}", without_password(url)),
        None => "in-process (this node only)".to_owned(),
    };
    let mail = match &config.smtp {
        Some(smtp) => format!("SMTP via {}:{}, from {}", smtp.host, smtp.port, smtp.from),
        None => "log only (no SMTP_HOST): mail is logged and kept in the outbox".to_owned(),
    };
    let environment = match config.environment {
        Environment::Development => "development",
        Environment::Production => "production",
    };
    let field_key = if config.field_encryption_key.is_some() {
        "FIELD_ENCRYPTION_KEY"
    } else {
        "a generated development key (.janua/field-encryption.key)"
    };
    let metrics = match config.metrics.address {
        Some(address) => format!("/metrics on {address}"),
        None => "/metrics on the API port".to_owned(),
    };
    let guard = if config.metrics.bearer_token.is_some() {
        ", behind METRICS_BEARER_TOKEN"
    } else {
        ""
    };
    vec![
        ("database", database(&config.database_url)),
        ("cache", cache),
        ("issuer", config.issuer.to_string()),
        ("environment", environment.to_owned()),
        ("mail", mail),
        ("secrets at rest", format!("encrypted with {field_key}")),
        (
            "listen",
            format!(
                "{}:{} (gRPC, gRPC-web, REST)",
                config.bind_address, config.port
            ),
        ),
        ("metrics", format!("{metrics}{guard}")),
    ]
}

/// The database's kind and place, never its password: `sqlite, file janua.db` or
/// `postgres, db.internal:5432/janua as janua`.
fn database(url: &str) -> String {
    if let Some(rest) = url.strip_prefix("sqlite:") {
        let path = rest.trim_start_matches("//");
        let path = path.split_once('?').map_or(path, |(path, _)| path);
        return match path {
            ":memory:" | "" => "sqlite, in memory".to_owned(),
            path => format!("sqlite, file {path}"),
        };
    }
    match url::Url::parse(url) {
        Ok(parsed) => format!(
            "postgres, {}:{}{}{}",
            parsed.host_str().unwrap_or("localhost"),
            parsed.port().unwrap_or(5432),
            parsed.path(),
            match parsed.username() {
                "" => String::new(),
                user => format!(" as {user}"),
            }
        ),
        Err(_) => format!("postgres, {}", without_password(url)),
    }
}

/// A URL with its password masked. One that does not parse (a Sentinel URL naming several
/// hosts) loses everything before its last `@`.
fn without_password(url: &str) -> String {
    match url::Url::parse(url) {
        Ok(mut parsed) if parsed.password().is_some() => {
            let _ = parsed.set_password(Some(MASK));
            parsed.to_string()
        }
        Ok(_) => url.to_owned(),
        Err(_) => match (url.split_once("://"), url.rsplit_once('@')) {
            (Some((scheme, _)), Some((_, host))) => format!("{scheme}://{MASK}@{host}"),
            _ => url.to_owned(),
        },
    }
}

/// One line per variable of the table: its value and where it came from, or its default.
pub fn effective_variables(input: &ConfigInput) -> Vec<String> {
    VARIABLES
        .iter()
        .map(|variable| match input.get(variable.name) {
            Some((value, origin)) => {
                let value = match variable.shown {
                    Shown::Plainly => value.to_owned(),
                    Shown::Masked => MASK.to_owned(),
                    Shown::WithoutPassword => without_password(value),
                };
                let origin = match origin {
                    Origin::Environment => "environment",
                    Origin::DotEnv => ".env",
                };
                format!("{}={value}  ({origin})", variable.name)
            }
            None => format!("{}  (default: {})", variable.name, variable.default),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_in_urls_are_masked() {
        assert_eq!(
            without_password("postgres://janua:hunter2@db:5432/janua"),
            "postgres://janua:********@db:5432/janua"
        );
        assert_eq!(
            without_password("redis-sentinel://:pw@a:26379,b:26379/mymaster"),
            "redis-sentinel://********@a:26379,b:26379/mymaster"
        );
        assert_eq!(without_password("redis://cache:6379"), "redis://cache:6379");
        assert_eq!(
            database("postgres://janua:hunter2@db/janua"),
            "postgres, db:5432/janua as janua"
        );
        assert_eq!(
            database("sqlite://janua.db?mode=rwc"),
            "sqlite, file janua.db"
        );
    }
}
