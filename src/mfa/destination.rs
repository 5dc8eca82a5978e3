//! Where one-time codes go: phone numbers in E.164 form, the country each belongs to (for the
//! operator's allow-list, a toll-fraud guard), and the masked forms users are shown
//! (`+1 ••• ••• ••42`, `a•••@example.com`). Only parsing and formatting; it never decides who
//! may enroll.
//!
//! Countries come from a small embedded table of calling codes. The North American Numbering
//! Plan (+1) spans many countries: a +1 number is Canadian when its area code is one of
//! Canada's, belongs to a Caribbean or Pacific member when its area code is one of theirs, and
//! is counted as the United States otherwise. Calling codes shared by several countries (+7)
//! count as the largest of them. A number whose calling code is not in the table belongs to no
//! country, so no allow-list admits it.

use crate::error::Error;

/// A phone number in E.164 form: `+`, then 8 to 15 digits, the first not zero.
#[derive(Clone, PartialEq, Eq)]
pub struct PhoneNumber(String);

/// Never printed whole: a phone number is personal data.
impl std::fmt::Debug for PhoneNumber {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "PhoneNumber({})", self.masked())
    }
}

impl PhoneNumber {
    /// Parses E.164, allowing spaces, dashes, dots and parentheses between digits.
    pub fn parse(field: &str, raw: &str) -> Result<Self, Error> {
        let invalid = || {
            Error::invalid(
                field,
                "must be a phone number in E.164 form: + and 8 to 15 digits, such as +14155550142",
            )
        };
        let rest = raw.trim().strip_prefix('+').ok_or_else(invalid)?;
        let mut digits = String::new();
        for c in rest.chars() {
            match c {
                '0'..='9' => digits.push(c),
                ' ' | '-' | '.' | '(' | ')' => {}
                _ => return Err(invalid()),
            }
        }
        if !(8..=15).contains(&digits.len()) || digits.starts_with('0') {
            return Err(invalid());
        }
        Ok(Self(format!("+{digits}")))
    }

    /// The number as stored (sealed) and sent: `+14155550142`.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    fn digits(&self) -> &str {
        self.0.get(1..).unwrap_or_default()
    }

    /// The calling code and the country it names, when the table has it.
    fn calling_code(&self) -> Option<(&str, &'static str)> {
        let digits = self.digits();
        (1..=3).find_map(|len| {
            let code = digits.get(..len)?;
            let country = match code {
                "1" => nanp_country(digits.get(1..4)?),
                _ => country_of_calling_code(code)?,
            };
            Some((code, country))
        })
    }

    /// The ISO 3166 alpha-2 code of the number's country; None when the table does not know
    /// its calling code.
    pub fn country(&self) -> Option<&'static str> {
        self.calling_code().map(|(_, country)| country)
    }

    /// `+1 ••• ••• ••42`: the calling code and the last two digits.
    pub fn masked(&self) -> String {
        let digits = self.digits();
        let code_len = self.calling_code().map_or(1, |(code, _)| code.len());
        let (code, national) = digits.split_at(code_len.min(digits.len()));
        let shown = national.len().saturating_sub(2);
        let hidden: String = national
            .chars()
            .enumerate()
            .map(|(i, c)| if i < shown { '•' } else { c })
            .collect();
        // The last four together (`••42`), the rest in threes from the right.
        let chars: Vec<char> = hidden.chars().collect();
        let (head, last) = chars.split_at(chars.len().saturating_sub(4));
        let mut groups: Vec<String> = head
            .rchunks(3)
            .rev()
            .map(|group| group.iter().collect())
            .collect();
        groups.push(last.iter().collect());
        format!("+{code} {}", groups.join(" "))
    }
}

/// `a•••@example.com`: the first character of the local part and the domain.
pub fn masked_email(address: &str) -> String {
    match address.rsplit_once('@') {
        Some((local, domain)) => {
            let first: String = local.chars().take(1).collect();
            format!("{first}•••@{domain}")
        }
        None => "•••".to_owned(),
    }
}

/// Canada's area codes, and the other NANP members' (the rest of +1 is the United States).
fn nanp_country(area: &str) -> &'static str {
    const CANADA: &[&str] = &[
        "204", "226", "236", "249", "250", "263", "289", "306", "343", "354", "365", "367", "368",
        "382", "403", "416", "418", "428", "431", "437", "438", "450", "468", "474", "506", "514",
        "519", "548", "579", "581", "584", "587", "600", "604", "613", "639", "647", "672", "683",
        "705", "709", "742", "753", "778", "780", "782", "807", "819", "825", "867", "873", "879",
        "902", "905",
    ];
    const OTHER_MEMBERS: &[(&str, &str)] = &[
        ("242", "BS"),
        ("246", "BB"),
        ("264", "AI"),
        ("268", "AG"),
        ("284", "VG"),
        ("340", "VI"),
        ("345", "KY"),
        ("441", "BM"),
        ("473", "GD"),
        ("649", "TC"),
        ("658", "JM"),
        ("664", "MS"),
        ("670", "MP"),
        ("671", "GU"),
        ("684", "AS"),
        ("721", "SX"),
        ("758", "LC"),
        ("767", "DM"),
        ("784", "VC"),
        ("787", "PR"),
        ("809", "DO"),
        ("829", "DO"),
        ("849", "DO"),
        ("868", "TT"),
        ("869", "KN"),
        ("876", "JM"),
        ("939", "PR"),
    ];
    if CANADA.contains(&area) {
        return "CA";
    }
    OTHER_MEMBERS
        .iter()
        .find(|(code, _)| *code == area)
        .map_or("US", |(_, country)| country)
}

/// Calling codes outside +1 (ITU-T E.164 assignments), the common ones.
fn country_of_calling_code(code: &str) -> Option<&'static str> {
    const TABLE: &[(&str, &str)] = &[
        ("7", "RU"),
        ("20", "EG"),
        ("27", "ZA"),
        ("30", "GR"),
        ("31", "NL"),
        ("32", "BE"),
        ("33", "FR"),
        ("34", "ES"),
        ("36", "HU"),
        ("39", "IT"),
        ("40", "RO"),
        ("41", "CH"),
        ("43", "AT"),
        ("44", "GB"),
        ("45", "DK"),
        ("46", "SE"),
        ("47", "NO"),
        ("48", "PL"),
        ("49", "DE"),
        ("51", "PE"),
        ("52", "MX"),
        ("54", "AR"),
        ("55", "BR"),
        ("56", "CL"),
        ("57", "CO"),
        ("58", "VE"),
        ("60", "MY"),
        ("61", "AU"),
        ("62", "ID"),
        ("63", "PH"),
        ("64", "NZ"),
        ("65", "SG"),
        ("66", "TH"),
        ("81", "JP"),
        ("82", "KR"),
        ("84", "VN"),
        ("86", "CN"),
        ("90", "TR"),
        ("91", "IN"),
        ("92", "PK"),
        ("212", "MA"),
        ("234", "NG"),
        ("254", "KE"),
        ("351", "PT"),
        ("352", "LU"),
        ("353", "IE"),
        ("354", "IS"),
        ("358", "FI"),
        ("370", "LT"),
        ("371", "LV"),
        ("372", "EE"),
        ("380", "UA"),
        ("385", "HR"),
        ("386", "SI"),
        ("420", "CZ"),
        ("421", "SK"),
        ("852", "HK"),
        ("886", "TW"),
        ("966", "SA"),
        ("971", "AE"),
        ("972", "IL"),
    ];
    TABLE.iter().find(|(c, _)| *c == code).map(|(_, iso)| *iso)
}

#[cfg(test)]
mod tests {
    #![expect(clippy::unwrap_used, reason = "tests")]
    use super::*;

    #[test]
    fn e164_numbers_parse_with_separators_and_bad_ones_do_not() {
        let number = PhoneNumber::parse("p", "+1 (415) 555-0142").unwrap();
        assert_eq!(number.as_str(), "+14155550142");
        for bad in [
            "14155550142",
            "+0123456789",
            "+1234",
            "+1415555014299999",
            "+1 415 abc",
        ] {
            assert!(PhoneNumber::parse("p", bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn countries_follow_calling_codes_and_nanp_area_codes() {
        let country = |raw| PhoneNumber::parse("p", raw).unwrap().country();
        assert_eq!(country("+14155550142"), Some("US"));
        assert_eq!(country("+14165550142"), Some("CA"));
        assert_eq!(country("+18765550142"), Some("JM"));
        assert_eq!(country("+4915112345678"), Some("DE"));
        assert_eq!(country("+447700900123"), Some("GB"));
        assert_eq!(country("+35312345678"), Some("IE"));
        assert_eq!(country("+88212345678"), None);
    }

    #[test]
    fn masks_show_the_calling_code_and_last_two_digits_or_first_letter() {
        let masked = |raw| PhoneNumber::parse("p", raw).unwrap().masked();
        assert_eq!(masked("+14155550142"), "+1 ••• ••• ••42");
        assert_eq!(masked("+4915112345678"), "+49 • ••• ••• ••78");
        assert_eq!(masked_email("ada@example.com"), "a•••@example.com");
        assert!(!format!("{:?}", PhoneNumber::parse("p", "+14155550142").unwrap()).contains("555"));
    }
}
