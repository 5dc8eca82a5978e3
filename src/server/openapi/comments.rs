//! The proto comments of the contract, from the descriptor set's source info (build.rs keeps
//! it): the documentation of every service, method, message, field and enum value, looked up
//! by the descriptor's path within its file.

use std::collections::HashMap;

use prost_reflect::{DescriptorPool, FileDescriptor};

/// Leading (else trailing) comments by (file name, descriptor path).
pub struct Comments {
    by_path: HashMap<(String, Vec<i32>), String>,
}

impl Comments {
    pub fn of(pool: &DescriptorPool) -> Self {
        let mut by_path = HashMap::new();
        for file in pool.files() {
            let Some(info) = &file.file_descriptor_proto().source_code_info else {
                continue;
            };
            for location in &info.location {
                let text = location
                    .leading_comments
                    .as_deref()
                    .or(location.trailing_comments.as_deref())
                    .map(unindent)
                    .unwrap_or_default();
                if !text.is_empty() {
                    by_path.insert((file.name().to_owned(), location.path.clone()), text);
                }
            }
        }
        Self { by_path }
    }

    /// The comment of the descriptor at `path` in `file`, if it has one.
    pub fn get(&self, file: &FileDescriptor, path: &[i32]) -> Option<&str> {
        self.by_path
            .get(&(file.name().to_owned(), path.to_vec()))
            .map(String::as_str)
    }
}

/// `// text` comments arrive as lines with their leading space kept; joined as Markdown
/// paragraphs (a line break inside a paragraph is a space, a blank line stays).
fn unindent(raw: &str) -> String {
    let lines: Vec<&str> = raw
        .lines()
        .map(|line| line.strip_prefix(' ').unwrap_or(line).trim_end())
        .collect();
    lines.join("\n").trim().to_owned()
}

#[cfg(test)]
mod tests {
    #![expect(clippy::unwrap_used, reason = "tests")]
    use super::*;

    #[test]
    fn messages_fields_and_methods_have_their_comments() {
        let pool = crate::proto::descriptor_pool().unwrap();
        let comments = Comments::of(&pool);
        let login = pool
            .get_message_by_name("janua.auth.v1.LoginRequest")
            .unwrap();
        let email = login.get_field_by_name("email").unwrap();
        let text = comments.get(&email.parent_file(), email.path()).unwrap();
        assert!(!text.starts_with(' ') && !text.is_empty(), "{text:?}");
        let service = pool
            .get_service_by_name("janua.auth.v1.AuthService")
            .unwrap();
        let method = service.methods().find(|m| m.name() == "Login").unwrap();
        assert!(comments.get(&method.parent_file(), method.path()).is_some());
    }

    #[test]
    fn comment_lines_lose_the_space_after_the_slashes() {
        assert_eq!(unindent(" One line\n two lines.\n"), "One line\ntwo lines.");
    }
}
