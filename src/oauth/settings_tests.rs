//! The rules of `settings`, one by one.

#![expect(clippy::unwrap_used, reason = "tests")]

use super::*;

const ISSUER: ReservedAudience<'static> = ReservedAudience("https://id.example.com/");

fn strings(items: &[&str]) -> Vec<String> {
    items.iter().map(|s| (*s).to_owned()).collect()
}

fn request(grants: &[&str], redirects: &[&str]) -> ClientChanges {
    ClientChanges {
        name: Some(" Web app ".into()),
        redirect_uris: Some(strings(redirects)),
        grant_types: Some(strings(grants)),
        ..ClientChanges::default()
    }
}

fn field_of(err: Error) -> String {
    match err {
        Error::Validation { violations, .. } => violations[0].field.clone(),
        other => format!("{other:?}"),
    }
}

#[test]
fn a_new_client_gets_the_default_grant_and_scopes() {
    let settings = new_settings(
        ClientType::Public,
        request(&[], &["https://a.example/cb"]),
        ISSUER,
    )
    .unwrap();
    assert_eq!(settings.name, "Web app");
    assert_eq!(settings.grant_types, [GrantType::AuthorizationCode]);
    assert_eq!(settings.allowed_scopes, DEFAULT_SCOPES);
    assert_eq!(settings.access_token_audience, None);
}

#[test]
fn grant_types_combine_only_as_oauth_allows() {
    let cb = ["https://a.example/cb"];
    let public = |g: &[&str], r: &[&str]| new_settings(ClientType::Public, request(g, r), ISSUER);
    let confidential =
        |g: &[&str], r: &[&str]| new_settings(ClientType::Confidential, request(g, r), ISSUER);
    assert_eq!(
        field_of(public(&["client_credentials"], &[]).unwrap_err()),
        "grant_types"
    );
    assert!(confidential(&["client_credentials"], &[]).is_ok());
    assert_eq!(
        field_of(confidential(&["refresh_token"], &[]).unwrap_err()),
        "grant_types"
    );
    assert!(public(&["authorization_code", "refresh_token"], &cb).is_ok());
    assert_eq!(
        field_of(public(&["authorization_code"], &[]).unwrap_err()),
        "redirect_uris"
    );
    assert_eq!(
        field_of(public(&["password"], &cb).unwrap_err()),
        "grant_types[0]"
    );
    assert_eq!(
        field_of(public(&["authorization_code", "authorization_code"], &cb).unwrap_err()),
        "grant_types[1]"
    );
}

#[test]
fn scopes_names_and_audiences_are_checked() {
    let with = |changes: ClientChanges| {
        new_settings(
            ClientType::Confidential,
            ClientChanges {
                name: changes.name.clone().or(Some("App".into())),
                grant_types: Some(strings(&["client_credentials"])),
                ..changes
            },
            ISSUER,
        )
    };
    let scopes = |s: &[&str]| {
        with(ClientChanges {
            allowed_scopes: Some(strings(s)),
            ..Default::default()
        })
    };
    assert!(scopes(&["openid", "offline_access", "invoices:read", "api.v1-x"]).is_ok());
    assert_eq!(
        field_of(scopes(&["Openid"]).unwrap_err()),
        "allowed_scopes[0]"
    );
    assert_eq!(
        field_of(scopes(&["openid", "a b"]).unwrap_err()),
        "allowed_scopes[1]"
    );
    assert_eq!(
        field_of(scopes(&["email", "email"]).unwrap_err()),
        "allowed_scopes[1]"
    );
    let audience = |a: &str| {
        with(ClientChanges {
            access_token_audience: Some(a.into()),
            ..Default::default()
        })
    };
    assert_eq!(
        audience("https://api.example.com")
            .unwrap()
            .access_token_audience
            .as_deref(),
        Some("https://api.example.com")
    );
    assert_eq!(
        field_of(audience("my api").unwrap_err()),
        "access_token_audience"
    );
    for issuer in ["https://id.example.com", "https://id.example.com/"] {
        let err = audience(issuer).unwrap_err();
        assert_eq!(field_of(err), "access_token_audience");
    }
    let name = |n: &str| {
        with(ClientChanges {
            name: Some(n.into()),
            ..Default::default()
        })
    };
    assert_eq!(field_of(name("   ").unwrap_err()), "name");
    assert_eq!(field_of(name(&"x".repeat(201)).unwrap_err()), "name");
}

#[test]
fn an_update_is_checked_against_the_whole_client() {
    let current = new_settings(
        ClientType::Public,
        request(&["authorization_code"], &["https://a.example/cb"]),
        ISSUER,
    )
    .unwrap();
    let emptied = ClientChanges {
        redirect_uris: Some(Vec::new()),
        ..ClientChanges::default()
    };
    let err = changed_settings(ClientType::Public, current.clone(), emptied, ISSUER).unwrap_err();
    assert_eq!(field_of(err), "redirect_uris");
    let no_grants = ClientChanges {
        grant_types: Some(Vec::new()),
        ..ClientChanges::default()
    };
    let err = changed_settings(ClientType::Public, current.clone(), no_grants, ISSUER).unwrap_err();
    assert_eq!(field_of(err), "grant_types");
    let renamed = ClientChanges {
        name: Some("Renamed".into()),
        ..ClientChanges::default()
    };
    let changed = changed_settings(ClientType::Public, current.clone(), renamed, ISSUER).unwrap();
    assert_eq!(changed.name, "Renamed");
    assert_eq!(changed.redirect_uris, current.redirect_uris);
}
