//! Email domain names as organizations claim them: normalized (lower case, no trailing dot),
//! checked to be a DNS name, and never one of the public mail services, whose addresses
//! belong to their users one by one, so no organization can speak for them.

use crate::error::Error;

/// Mail services anyone can get an address at. Not exhaustive; the big ones, so that nobody
/// can route or vouch for their users (SECURITY.md).
const PUBLIC_MAIL_DOMAINS: &[&str] = &[
    "aol.com",
    "fastmail.com",
    "gmail.com",
    "gmx.com",
    "gmx.de",
    "gmx.net",
    "googlemail.com",
    "hey.com",
    "hotmail.co.uk",
    "hotmail.com",
    "hotmail.fr",
    "icloud.com",
    "live.com",
    "mac.com",
    "mail.com",
    "mail.ru",
    "me.com",
    "msn.com",
    "naver.com",
    "outlook.com",
    "pm.me",
    "proton.me",
    "protonmail.com",
    "qq.com",
    "rambler.ru",
    "tutanota.com",
    "web.de",
    "yahoo.co.jp",
    "yahoo.co.uk",
    "yahoo.com",
    "yahoo.fr",
    "yandex.com",
    "yandex.ru",
    "ymail.com",
    "zoho.com",
    "163.com",
    "126.com",
];

/// Whether `domain` (normalized) is a public mail service or one of its subdomains.
pub fn is_public_mail_domain(domain: &str) -> bool {
    PUBLIC_MAIL_DOMAINS
        .iter()
        .any(|public| domain == *public || domain.ends_with(&format!(".{public}")))
}

/// A claimable domain: normalized, a DNS name, not a public mail service.
pub fn parse(field: impl Into<String>, raw: &str) -> Result<String, Error> {
    let field = field.into();
    let domain = raw.trim().trim_end_matches('.').to_ascii_lowercase();
    if !is_domain(&domain) {
        return Err(Error::invalid(
            field,
            "must be a domain name such as \"example.com\"",
        ));
    }
    if is_public_mail_domain(&domain) {
        return Err(Error::invalid(
            field,
            format!("\"{domain}\" is a public mail service; nobody can claim it"),
        ));
    }
    Ok(domain)
}

/// The domain of a normalized email address.
pub fn of_email(normalized: &str) -> &str {
    normalized.rsplit_once('@').map_or("", |(_, domain)| domain)
}

fn is_domain(text: &str) -> bool {
    let label = |l: &str| {
        !l.is_empty()
            && l.len() <= 63
            && !l.starts_with('-')
            && !l.ends_with('-')
            && l.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
    };
    text.len() <= 253 && text.contains('.') && text.split('.').all(label)
}

#[cfg(test)]
mod tests {
    #![expect(clippy::unwrap_used, reason = "tests")]
    use super::*;

    #[test]
    fn domains_are_normalized_and_checked() {
        assert_eq!(parse("d", " Example.COM. ").unwrap(), "example.com");
        for bad in [
            "localhost",
            "-a.com",
            "a..com",
            "exa mple.com",
            "x@y.com",
            "",
        ] {
            assert!(parse("d", bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn public_mail_domains_and_their_subdomains_cannot_be_claimed() {
        for public in ["gmail.com", "GMAIL.com", "outlook.com", "eu.yahoo.com"] {
            let error = parse("d", public).unwrap_err();
            assert_eq!(error.reason(), "VALIDATION_ERROR", "{public}");
        }
        assert!(parse("d", "gmail.com.example.org").is_ok());
        assert!(parse("d", "notgmail.com").is_ok());
    }
}
