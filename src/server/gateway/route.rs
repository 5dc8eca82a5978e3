//! REST routes read from the `google.api.http` annotations of the descriptor set: parsing
//! the path templates and matching request paths against them. Adding an RPC with an
//! annotation adds its route; nothing here names an RPC.

use std::collections::HashMap;

use anyhow::{Context, bail};
use http::Method;
use percent_encoding::percent_decode_str;
use prost_reflect::{DescriptorPool, DynamicMessage, MethodDescriptor, ReflectMessage, Value};

/// Where the HTTP request body goes in the request message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BodyTarget {
    /// No body is read.
    None,
    /// `body: "*"`: the body is the request message (minus path fields).
    Whole,
    /// `body: "field"`: the body is that field.
    Field(String),
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Matcher {
    Literal(String),
    /// `*`: exactly one segment.
    Segment,
    /// `**`: the rest of the path (last position only).
    Rest,
}

#[derive(Debug, Clone)]
struct Part {
    matcher: Matcher,
    /// Index into `PathTemplate::variables` when this part is captured.
    variable: Option<usize>,
}

/// A parsed `google.api.http` path template such as `/api/v1/users/{user_id}/suspend`.
#[derive(Debug, Clone)]
pub struct PathTemplate {
    parts: Vec<Part>,
    /// Dotted field paths, in order of appearance.
    variables: Vec<String>,
    verb: Option<String>,
}

/// One REST binding of one RPC.
#[derive(Debug, Clone)]
pub struct Route {
    pub http_method: Method,
    /// The template as written in the contract.
    pub template_source: String,
    pub template: PathTemplate,
    pub body: BodyTarget,
    /// `response_body`: the response field written as the HTTP body, if not the whole message.
    pub response_body: Option<String>,
    pub method: MethodDescriptor,
    /// The gRPC path, `/package.Service/Method`.
    pub grpc_path: String,
}

/// A route matched to a request path, with the captured path variables.
pub struct Matched<'a> {
    pub route: &'a Route,
    pub bindings: Vec<(String, String)>,
}

/// Every REST route of the contract.
#[derive(Debug, Clone, Default)]
pub struct RouteTable {
    by_method: HashMap<Method, Vec<Route>>,
}

impl RouteTable {
    /// Reads the `google.api.http` option (and its additional bindings) of every method of
    /// every service in the pool.
    pub fn from_pool(pool: &DescriptorPool) -> anyhow::Result<Self> {
        let mut table = Self::default();
        let Some(http_ext) = pool.get_extension_by_name("google.api.http") else {
            return Ok(table);
        };
        for service in pool.services() {
            for method in service.methods() {
                let options = method.options();
                if !options.has_extension(&http_ext) {
                    continue;
                }
                let Value::Message(rule) = options.get_extension(&http_ext).into_owned() else {
                    continue;
                };
                table.add_rule(&method, &rule, true)?;
            }
        }
        Ok(table)
    }

    fn add_rule(
        &mut self,
        method: &MethodDescriptor,
        rule: &DynamicMessage,
        top: bool,
    ) -> anyhow::Result<()> {
        let (http_method, path) = rule_pattern(rule)
            .with_context(|| format!("{}: http rule without a pattern", method.full_name()))?;
        let template = PathTemplate::parse(&path)
            .with_context(|| format!("{}: {path}", method.full_name()))?;
        let body = match string_field(rule, "body").as_str() {
            "" => BodyTarget::None,
            "*" => BodyTarget::Whole,
            field => BodyTarget::Field(field.to_owned()),
        };
        let response_body = Some(string_field(rule, "response_body")).filter(|s| !s.is_empty());
        self.by_method
            .entry(http_method.clone())
            .or_default()
            .push(Route {
                http_method,
                template_source: path,
                template,
                body,
                response_body,
                grpc_path: format!("/{}/{}", method.parent_service().full_name(), method.name()),
                method: method.clone(),
            });
        // Additional bindings are one level deep (google.api.http forbids nesting them).
        let extra = rule
            .get_field_by_name("additional_bindings")
            .map(|v| v.into_owned());
        if let (true, Some(Value::List(extra))) = (top, extra) {
            for binding in extra {
                if let Value::Message(binding) = binding {
                    self.add_rule(method, &binding, false)?;
                }
            }
        }
        Ok(())
    }

    /// All routes, for listings and tests.
    pub fn routes(&self) -> impl Iterator<Item = &Route> {
        self.by_method.values().flatten()
    }

    /// The most specific route for this method and path. `Err(true)` when the path exists
    /// under another HTTP method.
    pub fn find(&self, method: &Method, path: &str) -> Result<Matched<'_>, bool> {
        let segments: Vec<&str> = path.trim_start_matches('/').split('/').collect();
        let best = self
            .by_method
            .get(method)
            .into_iter()
            .flatten()
            .filter_map(|route| route.template.match_segments(&segments).map(|b| (route, b)))
            .max_by_key(|(route, _)| route.template.specificity());
        match best {
            Some((route, bindings)) => Ok(Matched { route, bindings }),
            None => Err(self
                .by_method
                .values()
                .flatten()
                .any(|route| route.template.match_segments(&segments).is_some())),
        }
    }
}

fn string_field(message: &DynamicMessage, name: &str) -> String {
    match message.get_field_by_name(name).as_deref() {
        Some(Value::String(s)) => s.clone(),
        _ => String::new(),
    }
}

fn rule_pattern(rule: &DynamicMessage) -> Option<(Method, String)> {
    for (name, method) in [
        ("get", Method::GET),
        ("put", Method::PUT),
        ("post", Method::POST),
        ("delete", Method::DELETE),
        ("patch", Method::PATCH),
    ] {
        let field = rule.descriptor().get_field_by_name(name)?;
        if rule.has_field(&field) {
            return Some((method, string_field(rule, name)));
        }
    }
    let custom = rule.descriptor().get_field_by_name("custom")?;
    if !rule.has_field(&custom) {
        return None;
    }
    let Value::Message(custom) = rule.get_field(&custom).into_owned() else {
        return None;
    };
    let method = Method::from_bytes(string_field(&custom, "kind").as_bytes()).ok()?;
    Some((method, string_field(&custom, "path")))
}

impl PathTemplate {
    /// Parses `/seg/{field.path=pattern/**}/seg:verb`.
    pub fn parse(template: &str) -> anyhow::Result<Self> {
        let Some(rest) = template.strip_prefix('/') else {
            bail!("a path template starts with '/'");
        };
        let (body, verb) = split_verb(rest);
        let mut parsed = Self {
            parts: Vec::new(),
            variables: Vec::new(),
            verb: verb.map(str::to_owned),
        };
        let mut remaining = body;
        while !remaining.is_empty() {
            remaining = if let Some(after_brace) = remaining.strip_prefix('{') {
                let end = after_brace.find('}').context("unclosed '{'")?;
                parsed.push_variable(&after_brace[..end])?;
                after_brace[end + 1..]
                    .strip_prefix('/')
                    .unwrap_or(&after_brace[end + 1..])
            } else {
                let (segment, tail) = remaining.split_once('/').unwrap_or((remaining, ""));
                parsed.parts.push(Part {
                    matcher: matcher(segment)?,
                    variable: None,
                });
                tail
            };
        }
        let rest_positions = parsed
            .parts
            .iter()
            .filter(|p| p.matcher == Matcher::Rest)
            .count();
        if rest_positions > 1
            || (rest_positions == 1
                && parsed.parts.last().map(|p| &p.matcher) != Some(&Matcher::Rest))
        {
            bail!("'**' may only end a template");
        }
        Ok(parsed)
    }

    /// The dotted field paths bound from the URL path, in order of appearance.
    pub fn variables(&self) -> &[String] {
        &self.variables
    }

    fn push_variable(&mut self, spec: &str) -> anyhow::Result<()> {
        let (field, pattern) = spec.split_once('=').unwrap_or((spec, "*"));
        if field.is_empty() || !field.split('.').all(is_identifier) {
            bail!("bad variable {spec:?}");
        }
        let index = self.variables.len();
        self.variables.push(field.to_owned());
        for segment in pattern.split('/') {
            self.parts.push(Part {
                matcher: matcher(segment)?,
                variable: Some(index),
            });
        }
        Ok(())
    }

    /// More literal segments win; among equals, fewer open-ended ones.
    fn specificity(&self) -> (usize, usize) {
        let literals = self
            .parts
            .iter()
            .filter(|p| matches!(p.matcher, Matcher::Literal(_)))
            .count();
        let open = self
            .parts
            .iter()
            .filter(|p| p.matcher == Matcher::Rest)
            .count();
        (literals, usize::MAX - open)
    }

    /// The captured variables when `segments` (raw, still percent-encoded) match.
    fn match_segments(&self, segments: &[&str]) -> Option<Vec<(String, String)>> {
        let stemmed: Vec<&str>;
        let segments = match &self.verb {
            Some(verb) => {
                let (last, init) = segments.split_last()?;
                let stem = last.strip_suffix(verb.as_str())?.strip_suffix(':')?;
                stemmed = init.iter().copied().chain([stem]).collect();
                &stemmed[..]
            }
            None => segments,
        };
        // Every route of the method is tried, and most fail on a literal: the shape is
        // checked before anything is allocated. `**` only ever ends a template (`parse`), so
        // part i matches segment i, and `**` the rest.
        let ends_open = self.parts.last().map(|p| &p.matcher) == Some(&Matcher::Rest);
        let fits = self
            .parts
            .iter()
            .enumerate()
            .all(|(i, part)| match &part.matcher {
                Matcher::Literal(literal) => segments.get(i) == Some(&literal.as_str()),
                Matcher::Segment => segments.get(i).is_some_and(|s| !s.is_empty()),
                Matcher::Rest => i <= segments.len(),
            });
        if !fits || (!ends_open && segments.len() != self.parts.len()) {
            return None;
        }
        let mut captured: Vec<Vec<String>> = vec![Vec::new(); self.variables.len()];
        for (i, part) in self.parts.iter().enumerate() {
            let Some(index) = part.variable else {
                continue;
            };
            let taken = match part.matcher {
                Matcher::Rest => &segments[i..],
                _ => &segments[i..=i],
            };
            captured[index].extend(taken.iter().map(|s| decode_segment(s)));
        }
        Some(
            self.variables
                .iter()
                .cloned()
                .zip(captured.into_iter().map(|parts| parts.join("/")))
                .collect(),
        )
    }
}

fn split_verb(rest: &str) -> (&str, Option<&str>) {
    // The verb follows the last ':' that is outside any variable braces.
    let after_last_brace = rest.rfind('}').map_or(0, |i| i + 1);
    match rest[after_last_brace..].rfind(':') {
        Some(i) => (
            &rest[..after_last_brace + i],
            Some(&rest[after_last_brace + i + 1..]),
        ),
        None => (rest, None),
    }
}

fn matcher(segment: &str) -> anyhow::Result<Matcher> {
    Ok(match segment {
        "*" => Matcher::Segment,
        "**" => Matcher::Rest,
        "" => bail!("empty path segment"),
        literal if literal.contains(['{', '}', '*']) => bail!("bad segment {literal:?}"),
        literal => Matcher::Literal(literal.to_owned()),
    })
}

fn is_identifier(s: &str) -> bool {
    !s.is_empty() && s.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
}

fn decode_segment(segment: &str) -> String {
    percent_decode_str(segment).decode_utf8_lossy().into_owned()
}

#[cfg(test)]
mod tests {
    #![expect(clippy::unwrap_used, reason = "tests")]
    use super::*;

    fn captures(template: &str, path: &str) -> Option<Vec<(String, String)>> {
        let template = PathTemplate::parse(template).unwrap();
        let segments: Vec<&str> = path.trim_start_matches('/').split('/').collect();
        template.match_segments(&segments)
    }

    fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
        list.iter()
            .map(|(a, b)| (a.to_string(), b.to_string()))
            .collect()
    }

    #[test]
    fn literal_and_variable_segments_match() {
        assert_eq!(
            captures("/api/v1/users/{user_id}", "/api/v1/users/u-1"),
            Some(pairs(&[("user_id", "u-1")]))
        );
        assert_eq!(captures("/api/v1/users/{user_id}", "/api/v1/users"), None);
        assert_eq!(captures("/api/v1/users/{user_id}", "/api/v1/users/"), None);
        assert_eq!(
            captures("/api/v1/users/{user_id}", "/api/v1/users/a/b"),
            None
        );
        assert_eq!(captures("/api/v1/users", "/api/v1/users"), Some(vec![]));
    }

    #[test]
    fn variables_are_percent_decoded() {
        assert_eq!(
            captures("/x/{id}", "/x/a%20b%2Fc"),
            Some(pairs(&[("id", "a b/c")]))
        );
    }

    #[test]
    fn patterned_and_nested_variables_match() {
        assert_eq!(
            captures("/v1/{name=orgs/*/members/*}", "/v1/orgs/o1/members/m2"),
            Some(pairs(&[("name", "orgs/o1/members/m2")]))
        );
        assert_eq!(
            captures("/v1/{user.id}", "/v1/7"),
            Some(pairs(&[("user.id", "7")]))
        );
        assert_eq!(
            captures("/files/{path=**}", "/files/a/b/c"),
            Some(pairs(&[("path", "a/b/c")]))
        );
    }

    #[test]
    fn verbs_must_match() {
        assert_eq!(
            captures("/v1/{id}:suspend", "/v1/42:suspend"),
            Some(pairs(&[("id", "42")]))
        );
        assert_eq!(captures("/v1/{id}:suspend", "/v1/42:resume"), None);
        assert_eq!(captures("/v1/{id}:suspend", "/v1/42"), None);
    }

    #[test]
    fn malformed_templates_are_refused() {
        for bad in [
            "api/v1",
            "/a/{unclosed",
            "/a/**/b",
            "/a//b",
            "/a/{}",
            "/a/{x=**}/{y=**}",
        ] {
            assert!(PathTemplate::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn literal_routes_beat_variables() {
        let exact = PathTemplate::parse("/api/v1/auth/me").unwrap();
        let open = PathTemplate::parse("/api/v1/auth/{x}").unwrap();
        assert!(exact.specificity() > open.specificity());
    }
}
