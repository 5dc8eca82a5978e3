//! A gateway of the operator's: the message as JSON `{"to", "body"}` POSTed to
//! `SMS_WEBHOOK_URL`, with `X-Janua-Signature: sha256=<hex>`, the HMAC-SHA256 of the exact body
//! under `SMS_WEBHOOK_SECRET`, so the gateway can tell Janua's requests from anyone's.

use async_trait::async_trait;
use hmac::{Hmac, Mac};
use secrecy::{ExposeSecret, SecretString};
use url::Url;

use super::{SmsProvider, TextMessage, post};

/// The header carrying the body's signature.
pub const SIGNATURE_HEADER: &str = "x-janua-signature";

pub struct Webhook {
    http: reqwest::Client,
    url: Url,
    secret: SecretString,
}

impl Webhook {
    pub fn new(http: reqwest::Client, url: Url, secret: SecretString) -> Self {
        Self { http, url, secret }
    }
}

/// `sha256=<hex HMAC-SHA256 of body>`.
pub fn signature(secret: &[u8], body: &[u8]) -> anyhow::Result<String> {
    let mut mac = Hmac::<sha2::Sha256>::new_from_slice(secret)
        .map_err(|_| anyhow::anyhow!("an unusable webhook secret"))?;
    mac.update(body);
    let hex: String = mac
        .finalize()
        .into_bytes()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    Ok(format!("sha256={hex}"))
}

#[async_trait]
impl SmsProvider for Webhook {
    async fn send(&self, message: &TextMessage) -> anyhow::Result<()> {
        let body = serde_json::to_vec(&serde_json::json!({
            "to": message.to,
            "body": message.body,
        }))?;
        let signed = signature(self.secret.expose_secret().as_bytes(), &body)?;
        post(
            self.http
                .post(self.url.clone())
                .header(reqwest::header::CONTENT_TYPE, "application/json")
                .header(SIGNATURE_HEADER, signed)
                .body(body),
        )
        .await
    }
}

#[cfg(test)]
mod tests {
    #![expect(clippy::unwrap_used, reason = "tests")]
    use super::*;

    #[test]
    fn the_signature_is_rfc4231_hmac_sha256_in_hex() {
        // RFC 4231 test case 2.
        let signed = signature(b"Jefe", b"what do ya want for nothing?").unwrap();
        assert_eq!(
            signed,
            "sha256=5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
    }
}
