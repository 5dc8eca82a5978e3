//! List pagination: `page_size` (default 50, at most 500) and an opaque `page_token`.
//! `Page` counts rows (offset), fine for short, per-user lists; `Cursor` remembers the sort
//! key of the last row returned (keyset), so a list that grows while it is read returns
//! every row exactly once.

use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use sha2::{Digest, Sha256};

use crate::error::Error;

const DEFAULT_PAGE_SIZE: u64 = 50;
const MAX_PAGE_SIZE: u64 = 500;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Page {
    pub offset: u64,
    pub size: u64,
}

impl Page {
    /// Reads a request's `page_size` and `page_token`; sizes above the maximum are lowered to it.
    pub fn parse(page_size: i32, page_token: &str) -> Result<Self, Error> {
        let size = page_size_of(page_size)?;
        let offset = if page_token.is_empty() {
            0
        } else {
            URL_SAFE_NO_PAD
                .decode(page_token)
                .ok()
                .and_then(|bytes| String::from_utf8(bytes).ok())
                .and_then(|text| text.strip_prefix("o:").and_then(|n| n.parse().ok()))
                .ok_or_else(|| Error::invalid("page_token", "is not a token this list gave out"))?
        };
        Ok(Self { offset, size })
    }

    /// Given up to `size + 1` rows read from `offset`, keeps `size` and returns the token of
    /// the next page (empty on the last page).
    pub fn next_token<T>(&self, rows: &mut Vec<T>) -> String {
        let size = usize::try_from(self.size).unwrap_or(usize::MAX);
        if rows.len() <= size {
            return String::new();
        }
        rows.truncate(size);
        URL_SAFE_NO_PAD.encode(format!("o:{}", self.offset + self.size))
    }
}

fn page_size_of(page_size: i32) -> Result<u64, Error> {
    match u64::try_from(page_size) {
        Ok(0) => Ok(DEFAULT_PAGE_SIZE),
        Ok(size) => Ok(size.min(MAX_PAGE_SIZE)),
        Err(_) => Err(Error::invalid("page_size", "must not be negative")),
    }
}

fn foreign_token() -> Error {
    Error::invalid("page_token", "is not a token this list gave out")
}

/// Keyset pagination. The token holds the last row's sort key and a fingerprint of the
/// request's filters, so a token is refused with other filters than it was made for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cursor {
    pub size: u64,
    /// Sort key of the last row of the previous page; rows come strictly after it.
    pub after: Option<String>,
    fingerprint: String,
}

impl Cursor {
    /// Reads `page_size` and `page_token`; `filters` describes the request's other fields.
    pub fn parse(page_size: i32, page_token: &str, filters: &str) -> Result<Self, Error> {
        let size = page_size_of(page_size)?;
        let fingerprint = fingerprint(filters);
        let after = if page_token.is_empty() {
            None
        } else {
            let text = URL_SAFE_NO_PAD
                .decode(page_token)
                .ok()
                .and_then(|bytes| String::from_utf8(bytes).ok())
                .ok_or_else(foreign_token)?;
            let (print, key) = text
                .strip_prefix("k:")
                .and_then(|rest| rest.split_once(':'))
                .ok_or_else(foreign_token)?;
            if print != fingerprint {
                return Err(Error::invalid(
                    "page_token",
                    "was made for a request with other filters",
                ));
            }
            Some(key.to_owned())
        };
        Ok(Self {
            size,
            after,
            fingerprint,
        })
    }

    /// How many rows to read: one more than the page, to know whether another page follows.
    pub fn limit(&self) -> u64 {
        self.size + 1
    }

    /// Given up to `limit()` rows, keeps `size` and returns the next page's token (empty on
    /// the last page), made from the sort key of the last row kept.
    pub fn next_token<T>(&self, rows: &mut Vec<T>, key: impl Fn(&T) -> String) -> String {
        let size = usize::try_from(self.size).unwrap_or(usize::MAX);
        if rows.len() <= size {
            return String::new();
        }
        rows.truncate(size);
        match rows.last() {
            Some(last) => URL_SAFE_NO_PAD.encode(format!("k:{}:{}", self.fingerprint, key(last))),
            None => String::new(),
        }
    }
}

fn fingerprint(filters: &str) -> String {
    Sha256::digest(filters.as_bytes())
        .iter()
        .take(6)
        .map(|b| format!("{b:02x}"))
        .collect()
}

#[cfg(test)]
mod tests {
    #![expect(clippy::unwrap_used, reason = "tests")]
    use super::*;

    #[test]
    fn sizes_default_and_cap() {
        assert_eq!(Page::parse(0, "").unwrap().size, 50);
        assert_eq!(Page::parse(10_000, "").unwrap().size, 500);
        assert!(Page::parse(-1, "").is_err());
    }

    #[test]
    fn tokens_round_trip_and_junk_is_refused() {
        let page = Page::parse(2, "").unwrap();
        let mut rows = vec![1, 2, 3];
        let token = page.next_token(&mut rows);
        assert_eq!(rows, [1, 2]);
        assert_eq!(Page::parse(2, &token).unwrap().offset, 2);
        assert!(Page::parse(2, "garbage!").is_err());
        let mut last = vec![1];
        assert_eq!(page.next_token(&mut last), "");
    }

    #[test]
    fn cursors_carry_the_last_key_and_refuse_other_filters() {
        let cursor = Cursor::parse(2, "", "status=active").unwrap();
        assert_eq!(cursor.after, None);
        let mut rows = vec!["a", "b", "c"];
        let token = cursor.next_token(&mut rows, |r| (*r).to_owned());
        assert_eq!(rows, ["a", "b"]);
        let next = Cursor::parse(2, &token, "status=active").unwrap();
        assert_eq!(next.after.as_deref(), Some("b"));
        assert!(Cursor::parse(2, &token, "status=suspended").is_err());
        assert!(Cursor::parse(2, "bm9wZQ", "").is_err());
        let mut last = vec!["z"];
        assert_eq!(next.next_token(&mut last, |r| (*r).to_owned()), "");
    }
}
