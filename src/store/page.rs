//! List pagination: `page_size` (default 50, at most 500) and an opaque `page_token`.

use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};

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
        let size = match u64::try_from(page_size) {
            Ok(0) => DEFAULT_PAGE_SIZE,
            Ok(size) => size.min(MAX_PAGE_SIZE),
            Err(_) => return Err(Error::invalid("page_size", "must not be negative")),
        };
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
}
