//! Janua's own format: export → import into an empty database → export is equal, with
//! organizations, roles and members; the encrypted archive, as openssl and tar make it.

use super::*;

/// A server with a generated Keycloak population imported into it, the population, and the
/// `--report-dir` argument the import used.
async fn keycloak_population_imported(python: &str) -> (TestApp, Population, String) {
    let first = TestApp::spawn().await;
    let population = generate(python, "keycloak");
    let report = path_arg(&population.dir.path().join("report"));
    let (code, out) = janua(
        &first,
        &[
            "import",
            "run",
            "--source",
            "keycloak",
            &path_arg(&population.input()),
            "--report-dir",
            &report,
        ],
    );
    assert_eq!(code, 0, "{out}");
    (first, population, report)
}

#[tokio::test]
async fn export_then_import_into_an_empty_database_then_export_is_equal() {
    let Some(python) = python_with("argon2") else {
        return;
    };
    let (first, population, report) = keycloak_population_imported(&python).await;
    // An organization with a custom role and members, made through the API.
    let users = population.users();
    let owner = signs_in(&first, &python, &users[1]).await;
    let (status, org) = rest(
        &first,
        "POST",
        "/api/v1/organizations",
        Some(&owner),
        json!({"name": "Acme Import", "slug": "acme-import"}),
    )
    .await;
    assert_eq!(status, 200, "{org}");
    let org_id = org["id"].as_str().unwrap().to_owned();
    let (status, body) = rest(
        &first,
        "POST",
        &format!("/api/v1/organizations/{org_id}/roles"),
        Some(&owner),
        json!({"name": "auditor", "permissions": ["audit:read"]}),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    // AddMember invites; an accepted invitation is a membership like this one.
    for (user, role) in [(&users[2], "auditor"), (&users[4], "member")] {
        janua::store::memberships::insert_membership(
            &first.app.db,
            janua::store::entities::membership::Model {
                organization_id: org_id.clone(),
                user_id: user["source_id"].as_str().unwrap().to_owned(),
                role: role.to_owned(),
                created_at: chrono::Utc::now(),
                joined_via: "invitation".into(),
            },
        )
        .await
        .unwrap();
    }
    let exported = population.dir.path().join("export-1");
    let (code, out) = janua(
        &first,
        &[
            "export",
            "--format",
            "janua-v2",
            "--out",
            &path_arg(&exported),
        ],
    );
    assert_eq!(code, 0, "{out}");
    let second = TestApp::spawn().await;
    let (code, out) = janua(
        &second,
        &[
            "import",
            "run",
            "--source",
            "janua-v2",
            &path_arg(&exported),
            "--report-dir",
            &report,
        ],
    );
    assert_eq!(code, 0, "{out}");
    let again = population.dir.path().join("export-2");
    let (code, _) = janua(
        &second,
        &["export", "--format", "janua-v2", "--out", &path_arg(&again)],
    );
    assert_eq!(code, 0);
    let canonical = |dir: &Path| {
        let read = |name: &str| -> Value {
            serde_json::from_str(&std::fs::read_to_string(dir.join(name)).unwrap()).unwrap()
        };
        let mut users = read("janua_users_export.json");
        users["metadata"]["export_date"] = Value::Null;
        for user in users["users"].as_array_mut().unwrap() {
            user["created_at"] = Value::Null;
        }
        let mut orgs = read("janua_organizations_export.json");
        orgs["metadata"]["export_date"] = Value::Null;
        json!({"users": users, "organizations": orgs})
    };
    assert_export_matches_schemas(&python, &exported);
    let (one, two) = (canonical(&exported), canonical(&again));
    assert_eq!(
        one["users"]["users"].as_array().unwrap().len(),
        population.users().len()
    );
    let members = &one["organizations"]["organizations"][0]["members"];
    assert_eq!(members.as_array().unwrap().len(), 3, "{members}");
    assert_eq!(one, two);
    // Memberships and roles came across.
    let auditor = janua::store::memberships::find_membership(
        &second.app.db,
        &org_id,
        users[2]["source_id"].as_str().unwrap(),
    )
    .await
    .unwrap()
    .unwrap();
    assert_eq!(auditor.role, "auditor");
    // Importing again changes nothing; members naming unknown users or roles are errors.
    let (code, out) = janua(
        &second,
        &[
            "import",
            "run",
            "--source",
            "janua-v2",
            &path_arg(&exported),
            "--report-dir",
            &report,
        ],
    );
    assert_eq!(code, 0, "{out}");
    assert_eq!(
        counts_line(&out, "organizations"),
        "organizations 1 seen 0 imported 0 updated 1 skipped 0 failed"
    );
    assert_eq!(
        counts_line(&out, "memberships"),
        "memberships 3 seen 0 imported 0 updated 3 skipped 0 failed"
    );
    let orgs_file = exported.join("janua_organizations_export.json");
    let mut orgs: Value =
        serde_json::from_str(&std::fs::read_to_string(&orgs_file).unwrap()).unwrap();
    let org = &mut orgs["organizations"][0];
    org["id"] = json!("org-elsewhere");
    org["slug"] = json!("acme-elsewhere");
    let members = org["members"].as_array_mut().unwrap();
    members.push(json!({"user_id": "nobody-here", "role": "member"}));
    members[0]["role"] = json!("no-such-role");
    std::fs::write(&orgs_file, orgs.to_string()).unwrap();
    let (code, out) = janua(
        &second,
        &[
            "import",
            "run",
            "--source",
            "janua-v2",
            &path_arg(&exported),
            "--report-dir",
            &report,
        ],
    );
    assert_eq!(code, 2, "{out}");
    assert_eq!(
        counts_line(&out, "memberships"),
        "memberships 4 seen 2 imported 0 updated 0 skipped 2 failed"
    );
    let errors =
        std::fs::read_to_string(population.dir.path().join("report/errors.ndjson")).unwrap();
    assert!(
        errors.contains("\"code\":\"unknown_member\"")
            && errors.contains("\"code\":\"unknown_role\""),
        "{errors}"
    );
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(exported.join("janua_users_export.json"))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o077, 0, "the export is private to its owner");
    }
    // Ids are kept, and the second database's users sign in with the old passwords.
    for user in population.users() {
        let id = user["source_id"].as_str().unwrap();
        assert!(
            accounts::find_by_id(&second.app.db, id)
                .await
                .unwrap()
                .is_some(),
            "{id}"
        );
    }
    assert_population_signs_in(&second, &python, &population).await;
}

#[tokio::test]
async fn the_guides_openssl_archive_imports_with_its_passphrase_and_not_without() {
    let Some(python) = python_with("argon2") else {
        return;
    };
    let (first, population, report) = keycloak_population_imported(&python).await;
    let dir = population.dir.path();
    let exported = dir.join("export");
    let (code, _) = janua(&first, &["export", "--out", &path_arg(&exported)]);
    assert_eq!(code, 0);
    // The migration guide's command, as written, with the real tar and openssl.
    let archive = dir.join("janua_export.tar.gz.enc");
    let made = std::process::Command::new("sh")
        .args([
            "-c",
            "tar czf - janua_*_export.json | openssl enc -aes-256-cbc -pbkdf2 -pass env:JANUA_ARCHIVE_PASSPHRASE -out \"$0\"",
            &path_arg(&archive),
        ])
        .current_dir(&exported)
        .env("JANUA_ARCHIVE_PASSPHRASE", "the archive passphrase")
        .status()
        .unwrap();
    assert!(made.success());
    let second = TestApp::spawn().await;
    let before = dump_database(&second).await;
    let import = [
        "import",
        "run",
        "--source",
        "janua-v2",
        &path_arg(&archive),
        "--report-dir",
        &report,
        "--passphrase-env",
        "JANUA_ARCHIVE_PASSPHRASE",
    ];
    let (code, _) = janua_with(
        &second,
        &[("JANUA_ARCHIVE_PASSPHRASE", "not the passphrase")],
        &import,
    );
    assert_eq!(code, 1, "a wrong passphrase is fatal");
    assert_eq!(dump_database(&second).await, before, "and writes nothing");
    let (code, out) = janua_with(
        &second,
        &[("JANUA_ARCHIVE_PASSPHRASE", "the archive passphrase")],
        &import,
    );
    assert_eq!(code, 0, "{out}");
    let users = population.users().len();
    assert_eq!(
        counts_line(&out, "users"),
        format!("users {users} seen {users} imported 0 updated 0 skipped 0 failed")
    );
    assert_population_signs_in(&second, &python, &population).await;
}

#[tokio::test]
async fn an_encrypted_export_imports_and_openssl_opens_it() {
    let Some(python) = python_with("argon2") else {
        return;
    };
    let (first, population, report) = keycloak_population_imported(&python).await;
    let dir = population.dir.path();
    let out = dir.join("encrypted");
    let secret = ("EXPORT_PASSPHRASE", "export passphrase");
    let (code, printed) = janua_with(
        &first,
        &[secret],
        &[
            "export",
            "--encrypt",
            "--passphrase-env",
            "EXPORT_PASSPHRASE",
            "--out",
            &path_arg(&out),
        ],
    );
    assert_eq!(code, 0, "{printed}");
    let names: Vec<_> = std::fs::read_dir(&out)
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(
        names,
        ["janua_export.tar.gz.enc"],
        "no plain file is left beside the archive"
    );
    let archive = out.join("janua_export.tar.gz.enc");
    // openssl opens it and finds the export and its manifest.
    let listed = std::process::Command::new("sh")
        .args(["-c", "openssl enc -d -aes-256-cbc -pbkdf2 -pass env:EXPORT_PASSPHRASE -in \"$0\" | tar tzf -", &path_arg(&archive)])
        .env(secret.0, secret.1)
        .output()
        .unwrap();
    assert!(listed.status.success());
    let listed = String::from_utf8(listed.stdout).unwrap();
    assert!(
        listed.contains("janua_users_export.json") && listed.contains("janua_manifest.json"),
        "{listed}"
    );
    let second = TestApp::spawn().await;
    let (code, out) = janua_with(
        &second,
        &[secret],
        &[
            "import",
            "run",
            "--source",
            "janua-v2",
            &path_arg(&archive),
            "--passphrase-env",
            "EXPORT_PASSPHRASE",
            "--report-dir",
            &report,
        ],
    );
    assert_eq!(code, 0, "{out}");
    assert_population_signs_in(&second, &python, &population).await;
}
