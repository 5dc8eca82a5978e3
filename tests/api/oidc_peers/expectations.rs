//! What each peer of `oidc_peers` must have seen of Janua: the assertions on their JSON
//! answers, and the comparison with oidc-provider held to issue #16 (plus its Markdown).

use serde_json::{Value, json};

use super::{AUDIENCE, Fixtures, text};

/// openid-client: discovery, the code flow through the pages, the ID and access tokens,
/// UserInfo, rotation and reuse, SSO and prompts, introspection, revocation, the machine grant.
pub fn assert_openid_client(seen: &Value, f: &Fixtures) {
    let issuer = f.issuer.as_str();
    let client_id = text(&f.confidential["client_id"]);
    let discovery = &seen["discovery"];
    assert_eq!(discovery["issuer"], issuer);
    assert_eq!(
        discovery["authorization_endpoint"],
        format!("{issuer}/oauth/authorize")
    );
    assert_eq!(
        discovery["code_challenge_methods_supported"],
        json!(["S256"])
    );
    assert_eq!(
        discovery["authorization_response_iss_parameter_supported"],
        true
    );

    let code = &seen["authorization_code"];
    assert_eq!(code["pages"], json!(["sign_in", "consent"]), "{code}");
    assert_eq!(code["redirect_has_iss"], true);
    assert!(
        code["token_type"]
            .as_str()
            .unwrap()
            .eq_ignore_ascii_case("bearer")
    );
    assert_eq!(code["has_refresh_token"], true, "{code}");
    let id = &code["id_token"];
    assert_eq!(id["header"]["alg"], "RS256");
    for claim in [
        "iss",
        "sub",
        "aud",
        "exp",
        "iat",
        "auth_time",
        "nonce",
        "amr",
        "azp",
        "sid",
        "at_hash",
    ] {
        assert!(!id["claims"][claim].is_null(), "{claim} missing from {id}");
    }
    assert_eq!(id["claims"]["email"], f.person.email.as_str(), "{id}");
    assert_eq!(id["claims"]["azp"], client_id);
    let access = &code["access_token"];
    assert_eq!(access["header"]["typ"], "at+jwt", "{access}");
    assert_eq!(access["claims"]["aud"], AUDIENCE);
    assert_eq!(access["claims"]["client_id"], client_id);
    assert_eq!(access["claims"]["iss"], issuer);
    assert_eq!(seen["userinfo"]["sub"], id["claims"]["sub"]);
    assert_eq!(seen["userinfo"]["email"], f.person.email.as_str());

    let refresh = &seen["refresh"];
    assert_eq!(refresh["rotated"], true, "{refresh}");
    assert_eq!(refresh["new_access_token"], true);
    assert_eq!(
        refresh["reuse_of_old"]["error"], "invalid_grant",
        "{refresh}"
    );
    assert_eq!(
        refresh["newest_after_reuse"]["error"], "invalid_grant",
        "reuse revokes the family: {refresh}"
    );

    assert_eq!(
        seen["single_sign_on"]["pages"],
        json!([]),
        "the browser session and the remembered consent: {}",
        seen["single_sign_on"]
    );
    assert_eq!(
        seen["prompt_login"]["pages"],
        json!(["sign_in"]),
        "prompt=login asks again, consent remembered: {}",
        seen["prompt_login"]
    );
    assert_eq!(seen["fresh_sign_on"]["pages"], json!([]), "prompt=none");
    assert_eq!(seen["fresh_sign_on"]["redirect_has_iss"], true);
    let inspected = &seen["introspection"];
    assert_eq!(inspected["access_active"]["active"], true, "{inspected}");
    // A live refresh token introspects too (RFC 7662 §2.1), for its client's organization.
    assert_eq!(inspected["refresh_active"]["active"], true, "{inspected}");
    assert_eq!(inspected["refresh_active"]["token_type"], "refresh_token");
    assert_eq!(
        inspected["refresh_active"]["sub"],
        inspected["access_active"]["sub"]
    );
    assert_eq!(
        inspected["access_after_revocation"],
        json!({"active": false})
    );
    assert_eq!(
        inspected["refresh_after_revocation"],
        json!({"active": false})
    );
    assert_eq!(
        inspected["refresh_grant_after_revocation"]["error"],
        "invalid_grant"
    );
    assert_eq!(inspected["unknown_token_revocation"]["error"], Value::Null);

    let machine = &seen["client_credentials"];
    assert_eq!(machine["has_refresh_token"], false, "{machine}");
    assert_eq!(machine["has_id_token"], false);
    assert_eq!(machine["access_token"]["header"]["typ"], "at+jwt");
    assert_eq!(machine["access_token"]["claims"]["sub"], client_id);
    assert_eq!(machine["active"], true);
    assert_eq!(machine["after_revocation"], json!({"active": false}));
}

/// go-oidc: the ID token for the client, the access token and the machine token for the
/// audience, UserInfo for the same subject.
pub fn assert_go(seen: &Value, f: &Fixtures) {
    let client_id = text(&f.confidential["client_id"]);
    assert_eq!(seen["token_endpoint"], format!("{}/oauth/token", f.issuer));
    assert_eq!(seen["id_token"]["aud"], client_id, "{seen}");
    assert_eq!(seen["access_token"]["typ"], "at+jwt");
    assert_eq!(seen["access_token"]["aud"], AUDIENCE);
    assert_eq!(seen["access_token"]["sub"], seen["id_token"]["sub"]);
    assert_eq!(seen["userinfo"]["sub"], seen["id_token"]["sub"]);
    assert_eq!(seen["client_credentials"]["sub"], client_id);
    assert_eq!(seen["client_credentials"]["client_id"], client_id);
}

/// oidc-client-ts in Chromium: password then TOTP, refresh, CORS, revocation, sign-out.
pub fn assert_spa(seen: &Value, f: &Fixtures) {
    assert_eq!(seen["provider_page_errors"], json!([]), "{seen}");
    let sign_in = &seen["sign_in"];
    assert_eq!(sign_in["pages"], json!(["sign_in", "totp"]), "{seen}");
    assert_eq!(sign_in["profile"]["email"], f.totp_person.0.as_str());
    assert_eq!(sign_in["profile"]["aud"], f.public["client_id"]);
    assert_eq!(
        sign_in["profile"]["amr"],
        json!(["pwd", "otp"]),
        "{sign_in}"
    );
    assert_eq!(sign_in["profile"]["acr"], "urn:janua:acr:mfa");
    assert_eq!(sign_in["has_refresh_token"], true);
    assert_eq!(sign_in["expires_in_positive"], true);
    let silent = &seen["signin_silent"];
    assert_eq!(silent["ok"], true, "{silent}");
    assert_eq!(silent["rotated"], true, "{silent}");
    assert_eq!(silent["same_subject"], true);
    assert_eq!(
        seen["cors"]["own_origin"],
        json!({"readable": true, "status": 400})
    );
    assert_eq!(seen["cors"]["foreign_origin"]["readable"], false);
    assert_eq!(
        seen["revocation"],
        json!({"userinfo_status": 401, "refresh_status": 200}),
        "a revoked access token is refused; its grant still refreshes"
    );
    let sign_out = &seen["sign_out"];
    assert_eq!(
        sign_out["back_at"],
        format!("http://localhost:{}/signed-out.html", f.spa_port)
    );
    assert_eq!(sign_out["state_returned"], true, "{sign_out}");
    assert_eq!(
        sign_out["confirmation_page"], false,
        "a valid id_token_hint signs out without asking: {sign_out}"
    );
    assert_eq!(sign_out["callback"], json!({"ok": true, "state": "bye"}));
    let after = &seen["after_sign_out"];
    assert_eq!(
        after["kept_refresh"],
        json!({"status": 400, "error": "invalid_grant"}),
        "signing out revokes the session's grants: {after}"
    );
    assert_eq!(after["sign_in_page_again"], true);
}

/// The comparison's rows where Janua must answer as issue #16 says, whatever the reference
/// does.
pub fn assert_comparison(rows: &[Value]) {
    let janua = |request: &str| -> String {
        let row = rows
            .iter()
            .find(|row| row["request"] == request)
            .unwrap_or_else(|| panic!("no row {request}"));
        text(&row["janua"]).to_owned()
    };
    for request in [
        "authorize: unknown client_id",
        "authorize: redirect_uri with a suffix",
        "authorize: redirect_uri with a trailing slash",
        "authorize: redirect_uri in another case",
        "authorize: redirect_uri with an extra query",
    ] {
        let answer = janua(request);
        assert!(
            !answer.contains("redirect_uri"),
            "{request}: no redirect, got {answer}"
        );
    }
    let redirected = |request: &str, error: &str| {
        let answer = janua(request);
        assert!(
            answer.starts_with("303 → redirect_uri")
                && answer.contains(&format!("error={error} "))
                && answer.contains("state")
                && answer.contains("iss"),
            "{request}: {answer}"
        );
    };
    redirected(
        "authorize: response_type=token (implicit)",
        "unsupported_response_type",
    );
    redirected("authorize: public client without PKCE", "invalid_request");
    redirected("authorize: code_challenge_method=plain", "invalid_request");
    redirected("authorize: prompt=none without a session", "login_required");
    for request in [
        "authorize: valid request, no session",
        "authorize: the same request by POST (form)",
    ] {
        assert_eq!(janua(request), "303 → own sign-in page", "{request}");
    }
    assert_eq!(
        janua("token: wrong client secret (basic)"),
        "401 invalid_client WWW-Authenticate: Basic"
    );
    assert_eq!(
        janua("token: unsupported grant_type"),
        "400 unsupported_grant_type"
    );
    assert_eq!(janua("token: password grant"), "400 unsupported_grant_type");
    assert_eq!(
        janua("token: invalid authorization code"),
        "400 invalid_grant"
    );
    assert!(janua("revoke: unknown token").starts_with("200 "));
    assert_eq!(janua("introspect: garbage token"), "200 {\"active\":false}");
    assert_eq!(janua("discovery: code_challenge_methods_supported"), "S256");
    assert_eq!(janua("discovery: response_types_supported"), "code");
    for request in [
        "CORS: discovery from any origin",
        "CORS: JWKS from any origin",
    ] {
        let answer = janua(request);
        assert!(
            answer == "ACAO *" || answer == "ACAO https://any.example",
            "{request}: {answer}"
        );
    }
    assert_eq!(
        janua("CORS: token endpoint POST, foreign origin"),
        "ACAO none"
    );
}

/// The comparison as a Markdown table (request | Janua | oidc-provider | same?).
pub fn markdown(rows: &[Value]) -> String {
    let mut table =
        String::from("| request | Janua | oidc-provider | same? |\n| --- | --- | --- | --- |\n");
    for row in rows {
        let same = if row["same"] == true { "yes" } else { "**no**" };
        table.push_str(&format!(
            "| {} | {} | {} | {same} |\n",
            text(&row["request"]),
            text(&row["janua"]).replace('|', "\\|"),
            text(&row["reference"]).replace('|', "\\|"),
        ));
    }
    table
}
