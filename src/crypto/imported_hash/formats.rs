//! The text layouts: reading every self-describing hash string an import may carry, and
//! writing the one form Janua stores for each kind.

use base64::{
    Engine as _, alphabet,
    engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig},
};

use super::{
    DigestKind, HashError, ImportedHash, MAX_ARGON2_LANES, MAX_ARGON2_MEMORY_KIB,
    MAX_ARGON2_PASSES, MAX_BCRYPT_COST, SaltPosition, check_lengths, check_pbkdf2, check_scrypt,
    structured,
};

/// Standard base64, padded or not; `decode` also takes passlib's `.` and the URL-safe
/// alphabet. Janua writes it unpadded (PHC's B64).
const B64: GeneralPurpose = GeneralPurpose::new(
    &alphabet::STANDARD,
    GeneralPurposeConfig::new()
        .with_encode_padding(false)
        .with_decode_padding_mode(DecodePaddingMode::Indifferent),
);

pub(super) fn decode(field: &str, text: &str) -> Result<Vec<u8>, HashError> {
    let normalized: String = text
        .trim()
        .chars()
        .map(|c| match c {
            '.' | '-' => '+',
            '_' => '/',
            c => c,
        })
        .collect();
    B64.decode(normalized.as_bytes())
        .map_err(|_| HashError::malformed(format!("{field} is not base64")))
}

pub(super) fn encode(bytes: &[u8]) -> String {
    B64.encode(bytes)
}

pub(super) fn parse(text: &str) -> Result<ImportedHash, HashError> {
    if ["$2a$", "$2b$", "$2y$"].iter().any(|p| text.starts_with(p)) {
        return bcrypt_hash(text);
    }
    if text.starts_with("$argon2") {
        return argon2_hash(text);
    }
    if text.starts_with('{') {
        return ldap(text);
    }
    if let Some(rest) = text.strip_prefix("pbkdf2_") {
        return django_pbkdf2(rest);
    }
    let parts: Vec<&str> = text.split('$').collect();
    let Some(("", scheme)) = parts.first().copied().zip(parts.get(1).copied()) else {
        return Err(HashError::Unknown);
    };
    let rest = &parts[2..];
    match scheme {
        "pbkdf2" => pbkdf2_mcf(DigestKind::Sha1, rest),
        "scrypt" => scrypt_phc(rest),
        "firebase-scrypt" => firebase(rest),
        _ => {
            if let Some(digest) = scheme.strip_prefix("pbkdf2-") {
                return pbkdf2_mcf(digest_named(digest)?, rest);
            }
            if let Some(digest) = scheme.strip_prefix("salted-") {
                return salted(digest_named(digest)?, rest);
            }
            if let Some(digest) = scheme.strip_prefix("hmac-") {
                return hmac(digest_named(digest)?, rest);
            }
            Err(HashError::Unknown)
        }
    }
}

pub(super) fn stored(hash: &ImportedHash) -> String {
    match hash {
        ImportedHash::Bcrypt(text) | ImportedHash::Argon2(text) => text.clone(),
        ImportedHash::Pbkdf2 {
            digest,
            iterations,
            salt,
            hash,
        } => format!(
            "$pbkdf2-{}$i={iterations},l={}${}${}",
            digest.name(),
            hash.len(),
            encode(salt),
            encode(hash)
        ),
        ImportedHash::Scrypt {
            log_n,
            r,
            p,
            salt,
            hash,
        } => format!(
            "$scrypt$ln={log_n},r={r},p={p}${}${}",
            encode(salt),
            encode(hash)
        ),
        ImportedHash::FirebaseScrypt {
            mem_cost,
            rounds,
            salt,
            salt_separator,
            signer_key,
            hash,
        } => format!(
            "$firebase-scrypt$m={mem_cost},r={rounds},sep={},key={}${}${}",
            encode(salt_separator),
            encode(signer_key),
            encode(salt),
            encode(hash)
        ),
        ImportedHash::SaltedDigest {
            digest,
            position,
            salt,
            hash,
        } => format!(
            "$salted-{}$pos={}${}${}",
            digest.name(),
            position.name(),
            encode(salt),
            encode(hash)
        ),
        ImportedHash::Hmac { digest, key, hash } => {
            format!("$hmac-{}${}${}", digest.name(), encode(key), encode(hash))
        }
    }
}

fn digest_named(name: &str) -> Result<DigestKind, HashError> {
    DigestKind::from_name(name).ok_or(HashError::Unknown)
}

fn bcrypt_hash(text: &str) -> Result<ImportedHash, HashError> {
    let cost: u32 = text
        .get(4..6)
        .and_then(|cost| cost.parse().ok())
        .ok_or_else(|| HashError::malformed("bcrypt cost"))?;
    if !(4..=MAX_BCRYPT_COST).contains(&cost) {
        return Err(HashError::OutOfBounds(format!(
            "bcrypt cost {cost} (4 to {MAX_BCRYPT_COST})"
        )));
    }
    text.parse::<bcrypt::HashParts>()
        .map_err(|_| HashError::malformed("bcrypt layout"))?;
    Ok(ImportedHash::Bcrypt(text.to_owned()))
}

fn argon2_hash(text: &str) -> Result<ImportedHash, HashError> {
    let parsed = argon2::PasswordHash::new(text)
        .map_err(|e| HashError::malformed(format!("argon2: {e}")))?;
    if !matches!(
        parsed.algorithm.as_str(),
        "argon2id" | "argon2i" | "argon2d"
    ) {
        return Err(HashError::Unknown);
    }
    let params = argon2::Params::try_from(&parsed)
        .map_err(|e| HashError::malformed(format!("argon2 parameters: {e}")))?;
    if params.m_cost() > MAX_ARGON2_MEMORY_KIB
        || params.t_cost() > MAX_ARGON2_PASSES
        || params.p_cost() > MAX_ARGON2_LANES
    {
        return Err(HashError::OutOfBounds(format!(
            "argon2 m = {} KiB, t = {}, p = {} (m ≤ {MAX_ARGON2_MEMORY_KIB}, t ≤ {MAX_ARGON2_PASSES}, p ≤ {MAX_ARGON2_LANES})",
            params.m_cost(),
            params.t_cost(),
            params.p_cost()
        )));
    }
    if parsed.hash.is_none() {
        return Err(HashError::malformed("argon2 without a hash value"));
    }
    Ok(ImportedHash::Argon2(text.to_owned()))
}

/// `$pbkdf2-<digest>$i=N[,l=L]$salt$hash` (PHC) or passlib's `$pbkdf2-<digest>$N$salt$hash`
/// (`$pbkdf2$` is SHA-1 there), both with the salt and hash in (adapted) base64.
fn pbkdf2_mcf(digest: DigestKind, rest: &[&str]) -> Result<ImportedHash, HashError> {
    let [params, salt, hash] = rest else {
        return Err(HashError::malformed("pbkdf2 layout"));
    };
    let iterations = if params.starts_with("i=") {
        let fields = phc_params(params)?;
        let value = field(&fields, "i")?;
        if let Some(len) = fields.iter().find(|(k, _)| *k == "l") {
            let hash_len = decode("hash", hash)?.len();
            if len.1.parse::<usize>().ok() != Some(hash_len) {
                return Err(HashError::malformed(
                    "pbkdf2 l= differs from the hash length",
                ));
            }
        }
        value
    } else {
        number("pbkdf2 iterations", params)?
    };
    pbkdf2(
        digest,
        iterations,
        decode("salt", salt)?,
        decode("hash", hash)?,
    )
}

/// Django: `pbkdf2_<digest>$N$salt$base64(hash)`, the salt used as its UTF-8 text.
fn django_pbkdf2(rest: &str) -> Result<ImportedHash, HashError> {
    let parts: Vec<&str> = rest.split('$').collect();
    let [digest, iterations, salt, hash] = parts.as_slice() else {
        return Err(HashError::malformed("django pbkdf2 layout"));
    };
    pbkdf2(
        digest_named(digest)?,
        number("pbkdf2 iterations", iterations)?,
        salt.as_bytes().to_vec(),
        decode("hash", hash)?,
    )
}

pub(super) fn pbkdf2(
    digest: DigestKind,
    iterations: u32,
    salt: Vec<u8>,
    hash: Vec<u8>,
) -> Result<ImportedHash, HashError> {
    check_pbkdf2(iterations, &salt, &hash)?;
    Ok(ImportedHash::Pbkdf2 {
        digest,
        iterations,
        salt,
        hash,
    })
}

fn scrypt_phc(rest: &[&str]) -> Result<ImportedHash, HashError> {
    let [params, salt, hash] = rest else {
        return Err(HashError::malformed("scrypt layout"));
    };
    let fields = phc_params(params)?;
    let log_n: u8 = field(&fields, "ln")?;
    let r: u32 = field(&fields, "r")?;
    let p: u32 = field(&fields, "p")?;
    scrypt(log_n, r, p, decode("salt", salt)?, decode("hash", hash)?)
}

pub(super) fn scrypt(
    log_n: u8,
    r: u32,
    p: u32,
    salt: Vec<u8>,
    hash: Vec<u8>,
) -> Result<ImportedHash, HashError> {
    check_lengths(&salt, &hash)?;
    check_scrypt(log_n, r, p, hash.len())?;
    Ok(ImportedHash::Scrypt {
        log_n,
        r,
        p,
        salt,
        hash,
    })
}

fn firebase(rest: &[&str]) -> Result<ImportedHash, HashError> {
    let [params, salt, hash] = rest else {
        return Err(HashError::malformed("firebase-scrypt layout"));
    };
    let fields = phc_params(params)?;
    let project = structured::FirebaseProject {
        signer_key: decode("key", text_field(&fields, "key")?)?,
        salt_separator: decode("sep", text_field(&fields, "sep")?)?,
        rounds: field(&fields, "r")?,
        mem_cost: field(&fields, "m")?,
    };
    project.hash(decode("salt", salt)?, decode("hash", hash)?)
}

fn salted(digest: DigestKind, rest: &[&str]) -> Result<ImportedHash, HashError> {
    let [params, salt, hash] = rest else {
        return Err(HashError::malformed("salted digest layout"));
    };
    let fields = phc_params(params)?;
    let position = SaltPosition::from_name(text_field(&fields, "pos")?)
        .ok_or_else(|| HashError::malformed("salt position"))?;
    structured::salted_digest(
        digest,
        position,
        decode("salt", salt)?,
        decode("hash", hash)?,
    )
}

fn hmac(digest: DigestKind, rest: &[&str]) -> Result<ImportedHash, HashError> {
    let [key, hash] = rest else {
        return Err(HashError::malformed("hmac layout"));
    };
    structured::hmac(digest, decode("key", key)?, decode("hash", hash)?)
}

/// LDAP: `{SSHA}`, `{SSHA256}`, `{SSHA512}`, `{SMD5}` (base64 of digest ‖ salt) and the
/// unsalted `{SHA}`, `{SHA256}`, `{SHA512}`, `{MD5}`.
fn ldap(text: &str) -> Result<ImportedHash, HashError> {
    let Some((scheme, value)) = text.strip_prefix('{').and_then(|rest| rest.split_once('}')) else {
        return Err(HashError::Unknown);
    };
    let (digest, salted) = match scheme.to_ascii_uppercase().as_str() {
        "SSHA" => (DigestKind::Sha1, true),
        "SSHA256" => (DigestKind::Sha256, true),
        "SSHA512" => (DigestKind::Sha512, true),
        "SMD5" => (DigestKind::Md5, true),
        "SHA" => (DigestKind::Sha1, false),
        "SHA256" => (DigestKind::Sha256, false),
        "SHA512" => (DigestKind::Sha512, false),
        "MD5" => (DigestKind::Md5, false),
        _ => return Err(HashError::Unknown),
    };
    let bytes = decode("ldap value", value)?;
    let len = digest.output_len();
    if bytes.len() < len || (!salted && bytes.len() != len) {
        return Err(HashError::malformed("ldap value length"));
    }
    let (hash, salt) = bytes.split_at(len);
    structured::salted_digest(digest, SaltPosition::Suffix, salt.to_vec(), hash.to_vec())
}

/// `k=v,k=v` into pairs.
fn phc_params(text: &str) -> Result<Vec<(&str, &str)>, HashError> {
    text.split(',')
        .map(|pair| {
            pair.split_once('=')
                .ok_or_else(|| HashError::malformed("parameter list"))
        })
        .collect()
}

fn text_field<'a>(fields: &[(&str, &'a str)], name: &str) -> Result<&'a str, HashError> {
    fields
        .iter()
        .find(|(key, _)| *key == name)
        .map(|(_, value)| *value)
        .ok_or_else(|| HashError::malformed(format!("parameter {name} missing")))
}

fn field<T: std::str::FromStr>(fields: &[(&str, &str)], name: &str) -> Result<T, HashError> {
    number(name, text_field(fields, name)?)
}

/// A decimal number; one too large for its type is out of bounds, not malformed.
fn number<T: std::str::FromStr>(name: &str, text: &str) -> Result<T, HashError> {
    if text.is_empty() || !text.bytes().all(|b| b.is_ascii_digit()) {
        return Err(HashError::malformed(format!("{name} is not a number")));
    }
    text.parse()
        .map_err(|_| HashError::OutOfBounds(format!("{name} = {text}")))
}
