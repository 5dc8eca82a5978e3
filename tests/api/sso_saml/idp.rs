//! `SamlIdp`: the pysaml2 identity provider of `tests/peers/saml_idp.py`, running for one test.

use std::process::Stdio;

use serde_json::Value;
use tokio::{
    io::{AsyncBufReadExt, BufReader},
    process::{Child, ChildStdin, Command},
};

const SCRIPT: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/peers/saml_idp.py");

pub struct SamlIdp {
    pub base_url: String,
    http: reqwest::Client,
    _child: Child,
    _stdin: ChildStdin,
}

/// What the IdP hands the browser to post to the ACS.
#[derive(Debug, Clone)]
pub struct IdpAnswer {
    pub acs_url: String,
    pub saml_response: String,
    pub relay_state: String,
    /// The AuthnRequest id pysaml2 decoded (solicited answers only).
    pub request_id: Option<String>,
}

impl SamlIdp {
    /// Starts the IdP; None (after a note) when no Python with pysaml2 is found and
    /// `JANUA_TEST_REQUIRE_PEERS` is unset.
    pub async fn start() -> Option<Self> {
        let python = super::super::helpers::python_with("saml2")?;
        let mut child = Command::new(python)
            .args(["-W", "ignore", SCRIPT])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .unwrap();
        let stdin = child.stdin.take().unwrap();
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .await
            .unwrap();
        assert!(
            line.starts_with("http://"),
            "saml_idp.py did not start: {line:?}"
        );
        Some(Self {
            base_url: line.trim().to_owned(),
            http: reqwest::Client::new(),
            _child: child,
            _stdin: stdin,
        })
    }

    pub fn metadata_url(&self) -> String {
        format!("{}/metadata", self.base_url)
    }

    pub async fn metadata(&self) -> String {
        let response = self.http.get(self.metadata_url()).send().await.unwrap();
        assert!(response.status().is_success());
        response.text().await.unwrap()
    }

    /// Makes the IdP trust the SP described by `sp_metadata` (pysaml2 parses it).
    pub async fn trust_sp(&self, sp_metadata: &str) {
        let response = self
            .http
            .post(format!("{}/sp", self.base_url))
            .body(sp_metadata.to_owned())
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 204, "{}", response.text().await.unwrap());
    }

    /// Follows Janua's redirect (HTTP-Redirect binding) to the IdP as `user`, in the IdP
    /// groups `groups`, getting a response of the given `variant`.
    pub async fn sign_in(
        &self,
        redirect_url: &str,
        user: &str,
        groups: &str,
        variant: &str,
    ) -> IdpAnswer {
        assert!(redirect_url.starts_with(&self.base_url), "{redirect_url}");
        let url = reqwest::Url::parse_with_params(
            redirect_url,
            &[("user", user), ("groups", groups), ("variant", variant)],
        )
        .unwrap();
        self.answer(url).await
    }

    /// An IdP-initiated response for the SP `sp_entity_id`.
    pub async fn unsolicited(&self, sp_entity_id: &str, user: &str, variant: &str) -> IdpAnswer {
        let url = reqwest::Url::parse_with_params(
            &format!("{}/unsolicited", self.base_url),
            &[("sp", sp_entity_id), ("user", user), ("variant", variant)],
        )
        .unwrap();
        self.answer(url).await
    }

    async fn answer(&self, url: reqwest::Url) -> IdpAnswer {
        let response = self.http.get(url).send().await.unwrap();
        let status = response.status();
        let text = response.text().await.unwrap();
        assert!(status.is_success(), "the IdP failed: {text}");
        let body: Value = serde_json::from_str(&text).unwrap();
        IdpAnswer {
            acs_url: body["acs_url"].as_str().unwrap().to_owned(),
            saml_response: body["SAMLResponse"].as_str().unwrap().to_owned(),
            relay_state: body["RelayState"].as_str().unwrap().to_owned(),
            request_id: body["request_id"].as_str().map(str::to_owned),
        }
    }
}

/// The peer's forged and signature-wrapping variants, with what Janua's refusal says.
pub const FORGED: &[(&str, &str)] = &[
    (
        "unsigned",
        "neither the response nor the assertion is signed",
    ),
    ("rogue_signature", "does not verify"),
    ("tampered_after_signing", "does not verify"),
    ("xsw1", "more than one Response"),
    ("xsw2", "more than one Response"),
    ("xsw3", "more than one assertion"),
    ("xsw4", "more than one assertion"),
    ("xsw5", "more than one assertion"),
    ("xsw6", "more than one assertion"),
    ("xsw7", "more than one assertion"),
    ("xsw8", "more than one assertion"),
    ("duplicated_assertion", "more than one assertion"),
    ("duplicate_id", "appears more than once"),
    (
        "unsigned_assertion_in_signed_response_extra",
        "more than one assertion",
    ),
    (
        "encrypted_assertion",
        "encrypted assertions are not supported",
    ),
    ("comment_in_name_id", "comments"),
    ("doctype_xxe", "DOCTYPE"),
];

/// The peer's variants for another audience, place, time or request, with the refusal.
pub const MISDIRECTED: &[(&str, &str)] = &[
    ("wrong_audience", "another audience"),
    ("no_audience", "no AudienceRestriction"),
    ("wrong_destination", "Destination"),
    ("wrong_recipient", "Recipient"),
    ("expired", "expired"),
    ("not_yet_valid", "not valid yet"),
    (
        "wrong_in_response_to",
        "does not answer this sign-in's request",
    ),
    ("failed_status", "did not report success"),
];
