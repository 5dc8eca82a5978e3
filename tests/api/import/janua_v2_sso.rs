//! A user who signed in through an organization's SAML connection (pysaml2, the real IdP of
//! `sso_saml`) is exported with the link to that connection; after an import into an empty
//! database, their first SAML sign-in there finds the same user through the link instead of
//! provisioning another account.

use super::*;
use crate::sso_saml::{APP_CALLBACK, Options, Saml};

#[tokio::test]
async fn a_first_saml_sign_in_after_the_import_finds_the_imported_user_by_its_link() {
    let Some(mut saml) = Saml::start(Options::default()).await else {
        return;
    };
    let ada = saml.email("ada");
    let code = saml.sign_in(&ada, "staff", "signed_assertion").await;
    let (status, body) = saml.exchange(&code).await;
    assert_eq!(status, 200, "{body}");
    let user_id = body["user"]["id"].as_str().unwrap().to_owned();
    let dir = tempfile::tempdir().unwrap();
    let exported = dir.path().join("export");
    let (code, out) = janua(&saml.app, &["export", "--out", &path_arg(&exported)]);
    assert_eq!(code, 0, "{out}");

    let target = TestApp::spawn_with(&[("SSO_ALLOWED_REDIRECT_URIS", APP_CALLBACK)]).await;
    let (code, out) = import_janua_v2(&target, &exported, &dir.path().join("report"));
    assert_eq!(code, 0, "{out}");
    assert_counts(&out, &[("identities", [1, 1, 0, 0, 0])]);
    // The imported account gets another address, so only the link (never the email) can
    // lead the IdP's identity to it: without the link, JIT would provision ada anew.
    let account = accounts::find_by_id(&target.app.db, &user_id)
        .await
        .unwrap()
        .unwrap();
    let moved = janua::store::entities::user::Model {
        email: saml.email("ada-moved"),
        ..account.clone()
    };
    accounts::update_live(&target.app.db, &account, &moved)
        .await
        .unwrap();

    // The IdP now answers the new server (its SP entity id is under that server's issuer).
    saml.app = target;
    let sp_metadata = saml.sp_metadata().await;
    saml.idp.trust_sp(&sp_metadata).await;
    let code = saml.sign_in(&ada, "staff", "signed_assertion").await;
    let (status, body) = saml.exchange(&code).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["user"]["id"], user_id.as_str());
    // (The IdP's attributes may bring the address back; it is still the one account.)
    let by_email = accounts::find_by_email(&saml.app.app.db, &ada)
        .await
        .unwrap();
    assert!(
        by_email.is_none_or(|account| account.id == user_id),
        "no second account for ada"
    );
}
