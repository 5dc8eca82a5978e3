//! Roles and permissions, as rules without storage: the built-in roles and what they grant,
//! the shape of permission strings and role names, and the escalation rule (nobody hands out
//! a server permission they do not hold).
//!
//! Built-in roles, in every organization:
//! - `owner`: every permission, including application-defined ones (`*`).
//! - `admin`: every server permission except `org:delete`.
//! - `member`: `org:read`, `members:read`.
//! - `viewer`: `org:read`.

use std::collections::BTreeSet;

use crate::error::Error;

/// The permissions the server itself checks. Any other `<resource>:<action>` string is
/// application-defined: Janua stores it and answers `CheckPermission` for it.
pub const SERVER_PERMISSIONS: [&str; 12] = [
    "org:read",
    "org:update",
    "org:delete",
    "members:read",
    "members:write",
    "invitations:write",
    "roles:write",
    "api_keys:write",
    "sso:write",
    "oauth_clients:write",
    "webhooks:write",
    "audit:read",
];

/// Stands for every permission; held only by the built-in `owner`.
pub const EVERY_PERMISSION: &str = "*";
pub const OWNER: &str = "owner";
pub const ADMIN: &str = "admin";
pub const MEMBER: &str = "member";
pub const VIEWER: &str = "viewer";
pub const BUILT_IN_ROLES: [&str; 4] = [OWNER, ADMIN, MEMBER, VIEWER];
/// The built-in roles a custom role may start from (not `owner`: "everything" plus more is
/// the owner itself).
pub const BASE_ROLES: [&str; 3] = [VIEWER, MEMBER, ADMIN];
const MAX_PERMISSIONS: usize = 100;
const MAX_PERMISSION_LENGTH: usize = 100;

/// What a role grants.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Permissions {
    /// Every permission (the owner, or a platform administrator acting in an organization).
    All,
    Listed(BTreeSet<String>),
}

impl Permissions {
    pub fn grants(&self, permission: &str) -> bool {
        match self {
            Self::All => true,
            Self::Listed(listed) => listed.contains(permission),
        }
    }

    /// The permission strings, as a role or a token shows them.
    pub fn to_strings(&self) -> Vec<String> {
        match self {
            Self::All => vec![EVERY_PERMISSION.to_owned()],
            Self::Listed(listed) => listed.iter().cloned().collect(),
        }
    }

    /// Everything `self` or `other` grants.
    pub fn union(self, other: Permissions) -> Permissions {
        match (self, other) {
            (Self::Listed(mut mine), Self::Listed(theirs)) => {
                mine.extend(theirs);
                Self::Listed(mine)
            }
            _ => Self::All,
        }
    }

    /// Whether a holder of `self` may give `other` to someone: every server permission in
    /// `other` must be one `self` holds. Application-defined permissions are not limited.
    pub fn may_grant(&self, other: &Permissions) -> bool {
        match (self, other) {
            (Self::All, _) => true,
            (Self::Listed(_), Self::All) => false,
            (Self::Listed(_), Self::Listed(wanted)) => wanted
                .iter()
                .filter(|p| SERVER_PERMISSIONS.contains(&p.as_str()))
                .all(|p| self.grants(p)),
        }
    }
}

/// The permissions of a built-in role, or None for any other name.
pub fn built_in(name: &str) -> Option<Permissions> {
    let listed =
        |names: &[&str]| Permissions::Listed(names.iter().map(|p| (*p).to_owned()).collect());
    match name {
        OWNER => Some(Permissions::All),
        ADMIN => Some(listed(
            &SERVER_PERMISSIONS
                .iter()
                .copied()
                .filter(|p| *p != "org:delete")
                .collect::<Vec<_>>(),
        )),
        MEMBER => Some(listed(&["org:read", "members:read"])),
        VIEWER => Some(listed(&["org:read"])),
        _ => None,
    }
}

/// A custom role's base role: `viewer` when empty, else one of [`BASE_ROLES`].
pub fn parse_base_role(field: &str, raw: &str) -> Result<&'static str, Error> {
    match raw.trim() {
        "" => Ok(VIEWER),
        given => BASE_ROLES
            .into_iter()
            .find(|base| *base == given)
            .ok_or_else(|| Error::invalid(field, "must be \"viewer\", \"member\" or \"admin\"")),
    }
}

/// What a holder of a custom role has: its base role's permissions and its own.
pub fn custom_role_permissions(base_role: &str, own: Permissions) -> Permissions {
    built_in(base_role)
        .filter(|_| BASE_ROLES.contains(&base_role))
        .unwrap_or_else(|| Permissions::Listed(BTreeSet::new()))
        .union(own)
}

/// A custom role's name: lowercase letters, digits, `-` and `_`, 1 to 63 characters, not
/// the name of a built-in role.
pub fn parse_role_name(field: &str, name: &str) -> Result<String, Error> {
    let name = name.trim();
    let valid = !name.is_empty()
        && name.len() <= 63
        && name.starts_with(|c: char| c.is_ascii_lowercase())
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '_');
    if !valid {
        return Err(Error::invalid(
            field,
            "must be 1 to 63 lowercase letters, digits, '-' or '_', starting with a letter",
        ));
    }
    if BUILT_IN_ROLES.contains(&name) {
        return Err(Error::Conflict(format!("\"{name}\" is a built-in role")));
    }
    Ok(name.to_owned())
}

/// A custom role's permission strings: each `<resource>:<action>` of lowercase letters,
/// digits, `_`, `-` and `.`, at most 100 characters; at most 100 of them; duplicates merged.
pub fn parse_permissions(field: &str, permissions: &[String]) -> Result<Permissions, Error> {
    if permissions.len() > MAX_PERMISSIONS {
        return Err(Error::invalid(field, "at most 100 permissions"));
    }
    let mut listed = BTreeSet::new();
    for (index, permission) in permissions.iter().enumerate() {
        if !is_permission(permission) {
            return Err(Error::invalid(
                format!("{field}[{index}]"),
                "must look like \"resource:action\" (lowercase letters, digits, '_', '-', '.')",
            ));
        }
        listed.insert(permission.clone());
    }
    Ok(Permissions::Listed(listed))
}

/// Whether `text` is a well-formed permission string.
pub fn is_permission(text: &str) -> bool {
    let part = |s: &str| {
        !s.is_empty()
            && s.chars().all(|c| {
                c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '_' | '-' | '.')
            })
    };
    text.len() <= MAX_PERMISSION_LENGTH
        && text
            .split_once(':')
            .is_some_and(|(resource, action)| part(resource) && part(action))
}

#[cfg(test)]
mod tests {
    #![expect(clippy::unwrap_used, reason = "tests")]
    use super::*;

    #[test]
    fn built_in_roles_grant_their_documented_permissions() {
        let admin = built_in(ADMIN).unwrap();
        assert!(admin.grants("members:write") && admin.grants("audit:read"));
        assert!(!admin.grants("org:delete") && !admin.grants("invoices:approve"));
        assert!(built_in(OWNER).unwrap().grants("invoices:approve"));
        let member = built_in(MEMBER).unwrap();
        assert!(member.grants("members:read") && !member.grants("members:write"));
        let viewer = built_in(VIEWER).unwrap();
        assert!(viewer.grants("org:read") && !viewer.grants("members:read"));
        assert_eq!(built_in("billing"), None);
    }

    #[test]
    fn nobody_grants_a_server_permission_they_lack() {
        let admin = built_in(ADMIN).unwrap();
        let custom =
            parse_permissions("p", &["invoices:approve".into(), "members:read".into()]).unwrap();
        assert!(admin.may_grant(&custom));
        assert!(!admin.may_grant(&built_in(OWNER).unwrap()));
        let deleter = parse_permissions("p", &["org:delete".into()]).unwrap();
        assert!(!admin.may_grant(&deleter));
        assert!(built_in(OWNER).unwrap().may_grant(&deleter));
    }

    #[test]
    fn permission_strings_and_role_names_are_checked() {
        assert!(is_permission("invoices:approve") && is_permission("a.b:c-d_e"));
        for bad in ["", "invoices", ":x", "x:", "Invoices:approve", "a:b c", "*"] {
            assert!(!is_permission(bad), "{bad}");
        }
        assert!(parse_permissions("p", &["nope".into()]).is_err());
        assert_eq!(parse_role_name("name", " billing ").unwrap(), "billing");
        assert!(parse_role_name("name", "Billing").is_err());
        assert!(matches!(
            parse_role_name("name", "owner"),
            Err(Error::Conflict(_))
        ));
    }
}
