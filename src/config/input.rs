//! Where the variables come from: the process environment, over the `.env` file of the
//! working directory (as the earlier Python service read it, so an existing one carries
//! over). A variable set in the real environment wins over the same name in `.env`; a line
//! of `.env` that does not parse stops start-up, naming the line.

use std::{
    collections::HashMap,
    path::{Path, PathBuf},
};

use super::vars::{ConfigError, problem};

/// Where a variable's value came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Origin {
    Environment,
    DotEnv,
}

/// The variables Janua was given, each with its origin.
#[derive(Debug, Clone, Default)]
pub struct ConfigInput {
    values: HashMap<String, (String, Origin)>,
    /// The `.env` file that was read, if there was one.
    pub dotenv: Option<PathBuf>,
}

impl ConfigInput {
    /// The process environment over `dir/.env`.
    pub fn gather(dir: &Path) -> Result<Self, ConfigError> {
        Self::from_parts(std::env::vars(), dir)
    }

    /// `environment` over `dir/.env` (a test's own environment).
    pub fn from_parts(
        environment: impl IntoIterator<Item = (String, String)>,
        dir: &Path,
    ) -> Result<Self, ConfigError> {
        let path = dir.join(".env");
        let mut input = Self::default();
        if let Some(pairs) = read_dotenv(&path)? {
            for (name, value) in pairs {
                input.values.insert(name, (value, Origin::DotEnv));
            }
            input.dotenv = Some(path);
        }
        for (name, value) in environment {
            input.values.insert(name, (value, Origin::Environment));
        }
        Ok(input)
    }

    /// Every variable and its value, for `Config::from_vars`.
    pub fn pairs(&self) -> impl Iterator<Item = (String, String)> + '_ {
        self.values
            .iter()
            .map(|(name, (value, _))| (name.clone(), value.clone()))
    }

    /// A variable's value and origin, when it is set (to anything but blanks).
    pub fn get(&self, name: &str) -> Option<(&str, Origin)> {
        self.values
            .get(name)
            .filter(|(value, _)| !value.trim().is_empty())
            .map(|(value, origin)| (value.trim(), *origin))
    }
}

/// The pairs of a `.env` file, or None when there is none.
fn read_dotenv(path: &Path) -> Result<Option<Vec<(String, String)>>, ConfigError> {
    let text = match std::fs::read_to_string(path) {
        Ok(text) => text,
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(err) => {
            return Err(problem(
                ".env",
                format!("cannot read {}: {err}", path.display()),
            ));
        }
    };
    dotenvy::from_read_iter(text.as_bytes())
        .map(|pair| pair.map_err(|err| dotenv_problem(path, &text, err)))
        .collect::<Result<Vec<_>, _>>()
        .map(Some)
}

/// The error for a line of `.env` that does not parse: its number, never its text (the line
/// may hold a secret).
fn dotenv_problem(path: &Path, text: &str, err: dotenvy::Error) -> ConfigError {
    let file = path.display();
    match err {
        dotenvy::Error::LineParse(line, _) => {
            let first = line.lines().next().unwrap_or_default().trim();
            let line = text
                .lines()
                .position(|candidate| candidate.trim() == first)
                .map_or_else(
                    || "a line".to_owned(),
                    |index| format!("line {}", index + 1),
                );
            problem(
                ".env",
                format!("{file}: {line} does not parse (expected NAME=value)"),
            )
        }
        other => problem(".env", format!("{file}: {other}")),
    }
}
