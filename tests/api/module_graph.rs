//! The dependencies between the top-level modules under `src/` run one way (STYLE.md
//! "Dependencies run one way"): no two of them import each other. Reads the source tree,
//! collects every `crate::<module>` reference (the names inside `use crate::{...}` groups
//! too), leaves comments out, and names the lines that make each direction of a cycle.

use std::{
    collections::{BTreeMap, BTreeSet},
    fs,
    path::{Path, PathBuf},
};

/// For each importing top-level module, the modules it names, each with the `file:line`
/// places that name it.
type Graph = BTreeMap<String, BTreeMap<String, Vec<String>>>;

#[test]
fn no_two_top_level_modules_import_each_other() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let graph = module_graph(&src);
    let mut cycles = Vec::new();
    for (from, targets) in &graph {
        for (to, places) in targets {
            let back = graph.get(to).and_then(|targets| targets.get(from));
            if let (true, Some(back)) = (from < to, back) {
                cycles.push(format!(
                    "{from} <-> {to}\n    {from} -> {to}: {}\n    {to} -> {from}: {}",
                    places.join(" "),
                    back.join(" ")
                ));
            }
        }
    }
    assert!(
        cycles.is_empty(),
        "top-level modules that import each other:\n{}",
        cycles.join("\n")
    );
}

#[test]
fn the_reader_sees_grouped_imports_and_skips_comments() {
    let text = "use crate::{\n    auth::{self, Caller},\n    store::Db,\n};\n\
                // crate::sso in a comment\n/* crate::mfa in a block */\n\
                fn f() { crate::orgs::scope(); }\nuse crate::{ a::{b::{c, d}}, users };\n";
    let found: Vec<(String, usize)> = references(text);
    let names: BTreeSet<&str> = found.iter().map(|(name, _)| name.as_str()).collect();
    assert_eq!(
        names,
        BTreeSet::from(["a", "auth", "orgs", "store", "users"])
    );
    assert!(found.contains(&("store".to_owned(), 3)));
    assert!(found.contains(&("orgs".to_owned(), 7)));
}

/// The top-level modules (files and folders of `src/`, without the crate roots) and what
/// each names of the others.
fn module_graph(src: &Path) -> Graph {
    let tops: BTreeSet<String> = fs::read_dir(src)
        .expect("src/ is readable")
        .map(|entry| entry.expect("a directory entry").path())
        .filter_map(|path| top_name(&path))
        .filter(|name| name != "lib" && name != "main")
        .collect();
    let mut graph = Graph::new();
    for file in rust_files(src) {
        let relative = file.strip_prefix(src).expect("under src/");
        let Some(from) = relative
            .components()
            .next()
            .and_then(|first| top_name(Path::new(first.as_os_str())))
        else {
            continue;
        };
        if !tops.contains(&from) {
            continue;
        }
        let text = fs::read_to_string(&file).expect("a readable source file");
        for (to, line) in references(&text) {
            if to != from && tops.contains(&to) {
                graph
                    .entry(from.clone())
                    .or_default()
                    .entry(to)
                    .or_default()
                    .push(format!("src/{}:{line}", relative.display()));
            }
        }
    }
    graph
}

/// A module's name from its file (`config.rs`) or folder (`auth`).
fn top_name(path: &Path) -> Option<String> {
    let name = path.file_name()?.to_str()?;
    match name.strip_suffix(".rs") {
        Some(stem) => Some(stem.to_owned()),
        None if !name.contains('.') => Some(name.to_owned()),
        None => None,
    }
}

fn rust_files(dir: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    let mut pending = vec![dir.to_path_buf()];
    while let Some(dir) = pending.pop() {
        for entry in fs::read_dir(&dir).expect("a readable directory") {
            let path = entry.expect("a directory entry").path();
            if path.is_dir() {
                pending.push(path);
            } else if path.extension().is_some_and(|ext| ext == "rs") {
                files.push(path);
            }
        }
    }
    files.sort();
    files
}

/// Every module named as `crate::<name>` (directly or as an item of a `use crate::{...}`
/// group), with its 1-based line. Comments are blanked first, keeping line breaks.
fn references(text: &str) -> Vec<(String, usize)> {
    let code = without_comments(text);
    let line_of = |at: usize| code[..at].matches('\n').count() + 1;
    let mut found = Vec::new();
    for (at, _) in code.match_indices("crate::") {
        let before = code[..at].chars().next_back();
        if before.is_some_and(|c| c.is_alphanumeric() || c == '_') {
            continue;
        }
        let rest = &code[at + "crate::".len()..];
        if let Some(group) = rest.strip_prefix('{') {
            let group_at = at + "crate::{".len();
            for (item, offset) in top_level_items(group) {
                found.push((item, line_of(group_at + offset)));
            }
        } else {
            let name = identifier(rest);
            if !name.is_empty() {
                found.push((name, line_of(at)));
            }
        }
    }
    found
}

/// The first path segment of each item of a `{...}` group (`text` starts after the brace),
/// with the item's offset in `text`.
fn top_level_items(text: &str) -> Vec<(String, usize)> {
    let mut items = Vec::new();
    let (mut depth, mut start) = (0usize, 0usize);
    let mut item = |start: usize, end: usize| {
        let raw = &text[start..end];
        let trimmed = raw.trim_start();
        let name = identifier(trimmed);
        if !name.is_empty() {
            items.push((name, start + raw.len() - trimmed.len()));
        }
    };
    for (at, c) in text.char_indices() {
        match c {
            '{' => depth += 1,
            '}' if depth == 0 => {
                item(start, at);
                break;
            }
            '}' => depth -= 1,
            ',' if depth == 0 => {
                item(start, at);
                start = at + 1;
            }
            _ => {}
        }
    }
    items
}

fn identifier(text: &str) -> String {
    text.chars()
        .take_while(|c| c.is_alphanumeric() || *c == '_')
        .collect()
}

/// The text without its `//` and `/* */` comments (line breaks kept); string and character
/// literals are left as they are, so a `//` inside one is not taken for a comment.
fn without_comments(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars().peekable();
    let mut in_string = false;
    while let Some(c) = chars.next() {
        if in_string {
            out.push(c);
            if c == '\\' {
                if let Some(escaped) = chars.next() {
                    out.push(escaped);
                }
            } else if c == '"' {
                in_string = false;
            }
            continue;
        }
        match (c, chars.peek()) {
            ('"', _) => {
                in_string = true;
                out.push(c);
            }
            // A character literal that could pass for a string's quote: '"' or '\"'.
            ('\'', Some('"' | '\\')) => {
                out.push(c);
                out.extend(chars.next());
                out.extend(chars.next());
            }
            ('/', Some('/')) => {
                for skipped in chars.by_ref() {
                    if skipped == '\n' {
                        out.push('\n');
                        break;
                    }
                }
            }
            ('/', Some('*')) => {
                chars.next();
                let mut previous = ' ';
                for skipped in chars.by_ref() {
                    if skipped == '\n' {
                        out.push('\n');
                    }
                    if previous == '*' && skipped == '/' {
                        break;
                    }
                    previous = skipped;
                }
            }
            _ => out.push(c),
        }
    }
    out
}
