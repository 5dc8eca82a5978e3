#![expect(clippy::unwrap_used, clippy::panic, reason = "tests")]

use std::time::Instant;

use serde_json::Value;

use super::*;

const PASSWORD: &[u8] = b"correct horse battery";

fn vectors() -> serde_json::Map<String, Value> {
    serde_json::from_str(include_str!("vectors.json")).unwrap()
}

fn hex(text: &str) -> Vec<u8> {
    (0..text.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&text[i..i + 2], 16).unwrap())
        .collect()
}

fn b64(text: &str) -> Vec<u8> {
    formats::decode("test", text).unwrap()
}

/// Right password matches, a wrong one does not, and the stored form reads back the same.
fn assert_verifies(name: &str, hash: &ImportedHash) {
    assert!(hash.verify(PASSWORD), "{name}: right password refused");
    assert!(
        !hash.verify(b"correct horse batterz"),
        "{name}: wrong password accepted"
    );
    assert!(!hash.verify(b""), "{name}: empty password accepted");
    let stored = hash.stored();
    let again = ImportedHash::parse(&stored).unwrap_or_else(|e| panic!("{name}: {stored}: {e}"));
    assert_eq!(&again, hash, "{name}: stored form differs");
    assert!(again.verify(PASSWORD), "{name}: stored form refused");
}

#[test]
fn every_text_layout_from_the_reference_libraries_verifies() {
    let vectors = vectors();
    let text_kinds = [
        ("bcrypt_2b", "bcrypt"),
        ("bcrypt_2a", "bcrypt"),
        ("bcrypt_2y", "bcrypt"),
        ("argon2id", "argon2id"),
        ("argon2i", "argon2i"),
        ("pbkdf2_phc_sha1", "pbkdf2-sha1"),
        ("pbkdf2_phc_sha256", "pbkdf2-sha256"),
        ("pbkdf2_phc_sha512", "pbkdf2-sha512"),
        ("passlib_pbkdf2_sha1", "pbkdf2-sha1"),
        ("passlib_pbkdf2_sha256", "pbkdf2-sha256"),
        ("passlib_pbkdf2_sha512", "pbkdf2-sha512"),
        ("django_pbkdf2_sha256", "pbkdf2-sha256"),
        ("django_pbkdf2_sha1", "pbkdf2-sha1"),
        ("scrypt_phc", "scrypt"),
        ("passlib_scrypt", "scrypt"),
        ("ldap_ssha", "salted-sha1"),
        ("ldap_ssha256", "salted-sha256"),
        ("ldap_ssha512", "salted-sha512"),
        ("ldap_smd5", "salted-md5"),
    ];
    for (name, kind) in text_kinds {
        let text = vectors[name].as_str().unwrap();
        let hash = ImportedHash::parse(text).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(hash.kind(), kind, "{name}");
        assert_verifies(name, &hash);
    }
}

#[test]
fn keycloak_credentials_verify() {
    let vectors = vectors();
    for name in [
        "keycloak_pbkdf2_sha256",
        "keycloak_pbkdf2_sha1",
        "keycloak_argon2",
    ] {
        let v = &vectors[name];
        let hash = ImportedHash::keycloak(
            v["secretData"].as_str().unwrap(),
            v["credentialData"].as_str().unwrap(),
        )
        .unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_verifies(name, &hash);
    }
}

#[test]
fn firebase_scrypt_verifies_with_the_project_parameters() {
    let v = &vectors()["firebase"];
    let project = FirebaseProject {
        signer_key: b64(v["signer_key"].as_str().unwrap()),
        salt_separator: b64(v["salt_separator"].as_str().unwrap()),
        rounds: u32::try_from(v["rounds"].as_u64().unwrap()).unwrap(),
        mem_cost: u8::try_from(v["mem_cost"].as_u64().unwrap()).unwrap(),
    };
    let hash = project
        .hash(
            b64(v["salt"].as_str().unwrap()),
            b64(v["hash"].as_str().unwrap()),
        )
        .unwrap();
    assert_verifies("firebase", &hash);
    let other_key = FirebaseProject {
        signer_key: vec![7; 64],
        ..project
    };
    let wrong = other_key
        .hash(
            b64(v["salt"].as_str().unwrap()),
            b64(v["hash"].as_str().unwrap()),
        )
        .unwrap();
    assert!(!wrong.verify(PASSWORD), "another project's key matched");
}

#[test]
fn salted_digests_and_hmacs_verify() {
    let vectors = vectors();
    for digest in ["md5", "sha1", "sha256", "sha512"] {
        for position in [SaltPosition::Prefix, SaltPosition::Suffix] {
            let name = format!("salted_{digest}_{}", position.name());
            let v = &vectors[&name];
            let hash = ImportedHash::salted_digest(
                digest,
                position,
                hex(v["salt"].as_str().unwrap()),
                hex(v["hash"].as_str().unwrap()),
            )
            .unwrap();
            assert_verifies(&name, &hash);
        }
        let name = format!("hmac_{digest}");
        let v = &vectors[&name];
        let hash = ImportedHash::hmac(
            digest,
            hex(v["key"].as_str().unwrap()),
            hex(v["hash"].as_str().unwrap()),
        )
        .unwrap();
        assert_verifies(&name, &hash);
    }
}

#[test]
fn hostile_parameters_are_refused_at_parse_before_any_work() {
    let salt = "c2FsdHNhbHRzYWx0c2FsdA";
    let hash32 = "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA";
    let hostile = [
        format!("$argon2id$v=19$m=4194304,t=2,p=1${salt}${hash32}"),
        format!("$argon2id$v=19$m=19456,t=1000,p=1${salt}${hash32}"),
        format!("$argon2i$v=19$m=19456,t=2,p=64${salt}${hash32}"),
        "$2b$31$ro9A7JqwGZLxb1liGemydOjoqOVHKDx3qqDnDWm.GiyqLZoGCvx.6".to_owned(),
        "$2b$17$ro9A7JqwGZLxb1liGemydOjoqOVHKDx3qqDnDWm.GiyqLZoGCvx.6".to_owned(),
        format!("$scrypt$ln=30,r=8,p=1${salt}${hash32}"),
        format!("$scrypt$ln=20,r=8,p=1${salt}${hash32}"),
        format!("$scrypt$ln=14,r=8,p=4096${salt}${hash32}"),
        format!("$pbkdf2-sha256$i=4000000000,l=32${salt}${hash32}"),
        format!("$pbkdf2-sha256$i=5000001,l=32${salt}${hash32}"),
        format!("$pbkdf2-sha256$99999999999999999999${salt}${hash32}"),
        format!("pbkdf2_sha256$10000000$salt${hash32}="),
        format!("$firebase-scrypt$m=40,r=8,sep=Bw,key={hash32}${salt}${hash32}"),
    ];
    for text in &hostile {
        let started = Instant::now();
        let refused = ImportedHash::parse(text);
        assert!(
            matches!(refused, Err(HashError::OutOfBounds(_))),
            "{text}: {refused:?}"
        );
        assert_eq!(refused.unwrap_err().code(), "hash_out_of_bounds");
        // Parsing does no hashing at all; this only guards against a regression that would.
        assert!(started.elapsed().as_secs() < 5, "{text}");
    }
}

#[test]
fn malformed_and_unknown_hashes_are_refused_with_their_code() {
    let malformed = [
        "$2b$04$short",
        "$argon2id$v=19$m=abc",
        "$pbkdf2-sha256$i=1000,l=31$c2FsdA$AAAA",
        "$pbkdf2-sha256$1000$not base64!$AAAA",
        "$scrypt$ln=10$c2FsdA$AAAA",
        "{SSHA}c2hvcnQ",
        "$salted-sha256$pos=middle$c2FsdA$AAAA",
        "$hmac-sha1$c2FsdA$AAAA",
    ];
    for text in malformed {
        let refused = ImportedHash::parse(text);
        assert_eq!(
            refused.as_ref().map_err(HashError::code),
            Err("hash_malformed"),
            "{text}: {refused:?}"
        );
    }
    for text in [
        "",
        "plaintext",
        "$md5$abc$def",
        "{CRYPT}abc",
        "$1$salt$hash",
        "sha1$a$b",
    ] {
        assert_eq!(ImportedHash::parse(text), Err(HashError::Unknown), "{text}");
    }
    let too_long = format!("$pbkdf2-sha256$i=1,l=32${}$AAAA", "A".repeat(5000));
    assert!(matches!(
        ImportedHash::parse(&too_long),
        Err(HashError::Malformed(_))
    ));
    assert!(ImportedHash::keycloak("{}", "{}").is_err());
    assert_eq!(
        ImportedHash::keycloak(
            r#"{"value":"AAAA","salt":"AAAA"}"#,
            r#"{"hashIterations":1,"algorithm":"md4"}"#
        ),
        Err(HashError::Unknown)
    );
}

#[test]
fn debug_output_names_the_kind_only() {
    let text = vectors()["pbkdf2_phc_sha256"].as_str().unwrap().to_owned();
    let hash = ImportedHash::parse(&text).unwrap();
    let debug = format!("{hash:?}");
    assert_eq!(debug, "ImportedHash(pbkdf2-sha256)");
}
