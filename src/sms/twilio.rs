//! Twilio's Messages API: `POST {base}/2010-04-01/Accounts/{sid}/Messages.json` with HTTP basic
//! auth (account SID, auth token) and a form body `To`, `From` or `MessagingServiceSid`, `Body`.

use async_trait::async_trait;
use secrecy::{ExposeSecret, SecretString};
use url::Url;

use super::{SmsProvider, TextMessage, post};
use crate::config::TwilioSender;

pub struct Twilio {
    http: reqwest::Client,
    messages_url: Url,
    account_sid: String,
    auth_token: SecretString,
    sender: TwilioSender,
}

impl Twilio {
    pub fn new(
        http: reqwest::Client,
        api_base_url: &Url,
        account_sid: &str,
        auth_token: SecretString,
        sender: TwilioSender,
    ) -> anyhow::Result<Self> {
        let base = api_base_url.as_str().trim_end_matches('/');
        let messages_url = Url::parse(&format!(
            "{base}/2010-04-01/Accounts/{account_sid}/Messages.json"
        ))?;
        Ok(Self {
            http,
            messages_url,
            account_sid: account_sid.to_owned(),
            auth_token,
            sender,
        })
    }
}

#[async_trait]
impl SmsProvider for Twilio {
    async fn send(&self, message: &TextMessage) -> anyhow::Result<()> {
        let sender = match &self.sender {
            TwilioSender::From(number) => ("From", number.as_str()),
            TwilioSender::MessagingService(sid) => ("MessagingServiceSid", sid.as_str()),
        };
        let form = [
            ("To", message.to.as_str()),
            sender,
            ("Body", message.body.as_str()),
        ];
        post(
            self.http
                .post(self.messages_url.clone())
                .basic_auth(&self.account_sid, Some(self.auth_token.expose_secret()))
                .form(&form),
        )
        .await
    }
}
