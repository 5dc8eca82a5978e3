//! TOTP (RFC 6238) as Janua uses it: SHA-1, 6 digits, 30-second steps, one step of skew
//! either way, 160-bit secrets (imported ones may be shorter, down to 80 bits, and still
//! verify). `verify` returns the step a code matched so the caller can
//! accept each step at most once (the replay guard lives with the factor row).

use rand::RngCore;
use totp_rs::{Algorithm, Builder, Secret, Totp};

use crate::error::Error;

const DIGITS: u8 = 6;
const STEP_SECONDS: u64 = 30;
const SKEW_STEPS: u16 = 1;

/// A new 160-bit secret.
pub fn new_secret() -> Vec<u8> {
    let mut secret = vec![0u8; 20];
    rand::rngs::OsRng.fill_bytes(&mut secret);
    secret
}

fn totp(secret: &[u8], issuer: &str, account: &str) -> Result<Totp, Error> {
    Builder::new()
        .with_algorithm(Algorithm::SHA1)
        .with_digits(DIGITS)
        .with_skew(SKEW_STEPS)
        .with_step_duration(STEP_SECONDS)
        .with_secret(Secret::from(secret.to_vec()))
        .with_issuer(Some(issuer.replace(':', "")))
        .with_account_name(account.replace(':', ""))
        .build()
        .map_err(|e| Error::Internal(anyhow::anyhow!("building a TOTP: {e}")))
}

/// What an authenticator app needs: the base32 secret, the `otpauth://` URI, and the URI
/// as a QR code PNG.
pub struct Enrollment {
    pub secret_base32: String,
    pub uri: String,
    pub qr_png: Vec<u8>,
}

pub fn enrollment(secret: &[u8], issuer: &str, account: &str) -> Result<Enrollment, Error> {
    let totp = totp(secret, issuer, account)?;
    let uri = totp
        .to_url()
        .map_err(|e| Error::Internal(anyhow::anyhow!("building an otpauth URI: {e}")))?;
    let qr_png = totp
        .to_qr_png()
        .map_err(|e| Error::Internal(anyhow::anyhow!("drawing a QR code: {e}")))?;
    Ok(Enrollment {
        secret_base32: totp.secret().to_base32(),
        uri,
        qr_png,
    })
}

/// The step (`unix time / 30`) whose code `code` is, within one step of `unix_time`;
/// None for a wrong or malformed code. Spaces in the code are ignored.
pub fn verify(secret: &[u8], code: &str, unix_time: u64) -> Option<u64> {
    let code: String = code.chars().filter(|c| !c.is_whitespace()).collect();
    if code.len() != usize::from(DIGITS) || !code.chars().all(|c| c.is_ascii_digit()) {
        return None;
    }
    // Built without RFC 4226's 128-bit minimum: imported secrets are often 80 bits
    // (mfa::imported_totp bounds them), and Janua's own are 160.
    let totp = Builder::new()
        .with_algorithm(Algorithm::SHA1)
        .with_digits(DIGITS)
        .with_skew(SKEW_STEPS)
        .with_step_duration(STEP_SECONDS)
        .with_secret(Secret::from(secret.to_vec()))
        .build_noncompliant();
    totp.check(&code, unix_time)
}

#[cfg(test)]
mod tests {
    #![expect(clippy::unwrap_used, reason = "tests")]
    use super::*;

    /// RFC 6238 appendix B, SHA-1 seed "12345678901234567890", last 6 of the 8 digits.
    const RFC_SECRET: &[u8] = b"12345678901234567890";
    const VECTORS: [(u64, &str); 6] = [
        (59, "287082"),
        (1_111_111_109, "081804"),
        (1_111_111_111, "050471"),
        (1_234_567_890, "005924"),
        (2_000_000_000, "279037"),
        (20_000_000_000, "353130"),
    ];

    #[test]
    fn rfc_6238_test_vectors_pass() {
        for (time, code) in VECTORS {
            assert_eq!(verify(RFC_SECRET, code, time), Some(time / 30), "at {time}");
        }
    }

    #[test]
    fn an_80_bit_imported_secret_verifies() {
        // The common 80-bit example seed base32 JBSWY3DPEHPK3PXP at 1234567890, by RFC 6238
        // computed with Python's hmac (pyotp refuses seeds under 112 bits).
        let secret = b"Hello!\xde\xad\xbe\xef";
        assert_eq!(
            verify(secret, "742275", 1_234_567_890),
            Some(1_234_567_890 / 30)
        );
    }

    #[test]
    fn one_step_of_skew_is_accepted_and_two_are_not() {
        let (time, code) = VECTORS[3];
        assert!(verify(RFC_SECRET, code, time + 30).is_some());
        assert!(verify(RFC_SECRET, code, time - 30).is_some());
        assert_eq!(verify(RFC_SECRET, code, time + 60), None);
        assert_eq!(verify(RFC_SECRET, "000000", time), None);
        assert_eq!(verify(RFC_SECRET, "12345", time), None);
        assert_eq!(verify(RFC_SECRET, "00592a", time), None);
        assert!(verify(RFC_SECRET, "005 924", time).is_some());
    }

    #[test]
    fn enrollment_gives_an_otpauth_uri_with_issuer_and_label() {
        let secret = new_secret();
        let enrolled = enrollment(&secret, "Janua", "ada@example.com").unwrap();
        assert!(
            enrolled
                .uri
                .starts_with("otpauth://totp/Janua:ada%40example.com?")
        );
        assert!(
            enrolled
                .uri
                .contains(&format!("secret={}", enrolled.secret_base32))
        );
        assert!(enrolled.uri.contains("issuer=Janua"));
        assert!(enrolled.qr_png.starts_with(b"\x89PNG"));
    }
}
