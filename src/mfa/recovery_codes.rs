//! Recovery codes: ten random codes of 80 bits each (`xxxx-xxxx-xxxx-xxxx`, base32 lower
//! case), shown once and stored as SHA-256 of the user id and the normalized code. Their
//! entropy makes a fast hash safe; binding the user id keeps equal codes apart.

use rand::Rng;
use sha2::{Digest, Sha256};

pub const COUNT: usize = 10;
const ALPHABET: &[u8] = b"abcdefghijklmnopqrstuvwxyz234567";

/// Ten fresh codes.
pub fn generate() -> Vec<String> {
    let mut rng = rand::rngs::OsRng;
    (0..COUNT)
        .map(|_| {
            let chars: Vec<char> = (0..16)
                .map(|_| char::from(ALPHABET[rng.gen_range(0..ALPHABET.len())]))
                .collect();
            chars
                .chunks(4)
                .map(|c| c.iter().collect::<String>())
                .collect::<Vec<_>>()
                .join("-")
        })
        .collect()
}

/// The stored form of a code as a user typed it (case, spaces and hyphens ignored).
pub fn digest(user_id: &str, code: &str) -> String {
    let normalized: String = code
        .chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .map(|c| c.to_ascii_lowercase())
        .collect();
    Sha256::digest(format!("{user_id}:{normalized}").as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_distinct_formatted_and_normalized_when_hashed() {
        let codes = generate();
        assert_eq!(codes.len(), COUNT);
        let unique: std::collections::HashSet<_> = codes.iter().collect();
        assert_eq!(unique.len(), COUNT);
        assert!(
            codes
                .iter()
                .all(|c| c.len() == 19 && c.matches('-').count() == 3)
        );
        let typed = codes[0].to_uppercase().replace('-', " ");
        assert_eq!(digest("u1", &typed), digest("u1", &codes[0]));
        assert_ne!(digest("u2", &codes[0]), digest("u1", &codes[0]));
    }
}
