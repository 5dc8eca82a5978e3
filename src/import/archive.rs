//! The migration guide's encrypted archive: `tar czf - janua_*_export.json | openssl enc
//! -aes-256-cbc -pbkdf2`, i.e. OpenSSL's `Salted__` layout (8-byte salt; key and IV from
//! PBKDF2-HMAC-SHA256 over the passphrase, 10,000 iterations), AES-256-CBC with PKCS#7
//! padding, around a gzipped tar. Reading streams it (decrypt → gunzip → untar) into a
//! private temporary directory, taking only the export's own file names (no paths), and
//! checks the SHA-256 manifest `janua export --encrypt` adds, since the format has no MAC;
//! the import then reads that directory (and checks the counts) before writing anything.

use std::{
    fs::File,
    io::{self, BufWriter, Read, Write},
    path::{Path, PathBuf},
};

use anyhow::Context;
use openssl::symm::{Cipher, Crypter, Mode};
use rand::RngCore;
use secrecy::{ExposeSecret, SecretString};
use sha2::{Digest, Sha256};

const MAGIC: &[u8; 8] = b"Salted__";
const ITERATIONS: u32 = 10_000;
const BLOCK: usize = 16;
/// The manifest `janua export --encrypt` adds: `{"files": {name: sha256 hex}}`.
pub const MANIFEST_FILE: &str = "janua_manifest.json";
/// The archive `janua export --encrypt` writes.
pub const ARCHIVE_FILE: &str = "janua_export.tar.gz.enc";
/// The largest archive member taken (a user file is far smaller; a bomb is refused).
const MAX_MEMBER_BYTES: u64 = 16 * 1024 * 1024 * 1024;

/// AES-256-CBC with PKCS#7 padding, streaming (OpenSSL's own, as `openssl enc` uses).
fn crypter(mode: Mode, key: &[u8; 32], iv: &[u8; 16]) -> io::Result<Crypter> {
    Crypter::new(Cipher::aes_256_cbc(), mode, key, Some(iv)).map_err(io::Error::other)
}

/// Whether `path` is a file in OpenSSL's `Salted__` layout.
pub fn is_archive(path: &Path) -> bool {
    let mut magic = [0u8; 8];
    path.is_file()
        && File::open(path)
            .and_then(|mut file| file.read_exact(&mut magic))
            .is_ok()
        && &magic == MAGIC
}

fn key_and_iv(passphrase: &SecretString, salt: &[u8]) -> ([u8; 32], [u8; 16]) {
    let mut derived = [0u8; 48];
    pbkdf2::pbkdf2_hmac::<Sha256>(
        passphrase.expose_secret().as_bytes(),
        salt,
        ITERATIONS,
        &mut derived,
    );
    let mut key = [0u8; 32];
    let mut iv = [0u8; 16];
    key.copy_from_slice(&derived[..32]);
    iv.copy_from_slice(&derived[32..]);
    (key, iv)
}

/// A private directory removed when dropped.
pub struct PrivateDir(PathBuf);

impl PrivateDir {
    pub fn create() -> anyhow::Result<Self> {
        let path = std::env::temp_dir().join(format!("janua-import-{}", uuid::Uuid::now_v7()));
        let mut builder = std::fs::DirBuilder::new();
        #[cfg(unix)]
        std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
        builder
            .create(&path)
            .with_context(|| format!("creating {}", path.display()))?;
        Ok(Self(path))
    }

    pub fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for PrivateDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Decrypts and unpacks `archive` into a private directory; a wrong passphrase, a damaged
/// archive or a manifest that does not match is an error (and nothing is kept).
pub fn extract(archive: &Path, passphrase: &SecretString) -> anyhow::Result<PrivateDir> {
    let mut file = File::open(archive).with_context(|| format!("opening {}", archive.display()))?;
    let mut header = [0u8; 16];
    file.read_exact(&mut header)
        .context("the archive is too short")?;
    anyhow::ensure!(
        &header[..8] == MAGIC,
        "not an `openssl enc` archive (no Salted__)"
    );
    let (key, iv) = key_and_iv(passphrase, &header[8..]);
    let plain = CbcReader {
        inner: io::BufReader::new(file),
        cipher: crypter(Mode::Decrypt, &key, &iv)?,
        ready: Vec::new(),
        offset: 0,
        done: false,
    };
    let dir = PrivateDir::create()?;
    let mut tar = tar::Archive::new(flate2::read::GzDecoder::new(plain));
    let entries = tar
        .entries()
        .context("the archive does not open (wrong passphrase, or not a tar.gz inside)")?;
    for entry in entries {
        let mut entry =
            entry.context("the archive does not open (wrong passphrase, or damaged)")?;
        if !entry.header().entry_type().is_file() {
            continue;
        }
        let path = entry.path()?.into_owned();
        let Some(name) = path.file_name().and_then(|n| n.to_str()).map(str::to_owned) else {
            continue;
        };
        let wanted =
            name == MANIFEST_FILE || (name.starts_with("janua_") && name.ends_with("_export.json"));
        if !wanted {
            continue;
        }
        let mut out = BufWriter::new(
            File::create(dir.path().join(&name)).with_context(|| format!("writing {name}"))?,
        );
        let copied = io::copy(&mut (&mut entry).take(MAX_MEMBER_BYTES + 1), &mut out)
            .context("the archive does not open (wrong passphrase, or damaged)")?;
        anyhow::ensure!(
            copied <= MAX_MEMBER_BYTES,
            "{name} in the archive is too large"
        );
        out.flush()?;
    }
    check_manifest(dir.path())?;
    Ok(dir)
}

/// With a manifest, every file it names must be there with its digest.
fn check_manifest(dir: &Path) -> anyhow::Result<()> {
    let path = dir.join(MANIFEST_FILE);
    if !path.is_file() {
        return Ok(());
    }
    let manifest: serde_json::Value = serde_json::from_reader(File::open(&path)?)
        .context("the archive's manifest is not JSON")?;
    let files = manifest["files"]
        .as_object()
        .context("the archive's manifest lists no files")?;
    for (name, digest) in files {
        anyhow::ensure!(
            !name.contains('/') && !name.contains(".."),
            "the manifest names {name}"
        );
        let actual = file_digest(&dir.join(name))
            .with_context(|| format!("the archive lacks {name}, which its manifest lists"))?;
        anyhow::ensure!(
            digest.as_str() == Some(actual.as_str()),
            "{name} does not match the archive's manifest (damaged or altered archive)"
        );
    }
    Ok(())
}

pub fn file_digest(path: &Path) -> anyhow::Result<String> {
    let mut file = File::open(path)?;
    let mut digest = Sha256::new();
    io::copy(&mut file, &mut digest)?;
    Ok(digest
        .finalize()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect())
}

/// Writes `files` (in `dir`) with a manifest as `tar czf … | openssl enc -aes-256-cbc
/// -pbkdf2` would, to `out`.
pub fn create(
    dir: &Path,
    files: &[&str],
    passphrase: &SecretString,
    out: &Path,
) -> anyhow::Result<()> {
    let mut digests = serde_json::Map::new();
    for name in files {
        digests.insert((*name).to_owned(), file_digest(&dir.join(name))?.into());
    }
    let manifest = serde_json::json!({"files": digests});
    std::fs::write(
        dir.join(MANIFEST_FILE),
        serde_json::to_vec_pretty(&manifest)?,
    )?;
    let mut salt = [0u8; 8];
    rand::rngs::OsRng.fill_bytes(&mut salt);
    let (key, iv) = key_and_iv(passphrase, &salt);
    let mut file = super::export::private_file(out)?;
    file.write_all(MAGIC)?;
    file.write_all(&salt)?;
    let writer = CbcWriter {
        inner: BufWriter::new(file),
        cipher: crypter(Mode::Encrypt, &key, &iv)?,
    };
    let mut tar = tar::Builder::new(flate2::write::GzEncoder::new(
        writer,
        flate2::Compression::default(),
    ));
    for name in files.iter().copied().chain([MANIFEST_FILE]) {
        tar.append_path_with_name(dir.join(name), name)?;
    }
    let writer = tar.into_inner()?.finish()?;
    writer.finish()?;
    Ok(())
}

/// AES-256-CBC decryption as a stream; OpenSSL checks and cuts the last block's padding.
struct CbcReader<R> {
    inner: R,
    cipher: Crypter,
    ready: Vec<u8>,
    offset: usize,
    done: bool,
}

impl<R: Read> Read for CbcReader<R> {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        while self.offset == self.ready.len() && !self.done {
            let mut chunk = vec![0u8; 64 * 1024];
            let read = self.inner.read(&mut chunk)?;
            self.ready = vec![0u8; read + 2 * BLOCK];
            self.offset = 0;
            let written = if read == 0 {
                self.done = true;
                self.cipher
                    .finalize(&mut self.ready)
                    .map_err(|_| bad_padding())?
            } else {
                self.cipher
                    .update(&chunk[..read], &mut self.ready)
                    .map_err(|_| bad_padding())?
            };
            self.ready.truncate(written);
        }
        let n = out.len().min(self.ready.len() - self.offset);
        out[..n].copy_from_slice(&self.ready[self.offset..self.offset + n]);
        self.offset += n;
        Ok(n)
    }
}

fn bad_padding() -> io::Error {
    io::Error::new(
        io::ErrorKind::InvalidData,
        "the archive does not decrypt (wrong passphrase, or damaged)",
    )
}

/// AES-256-CBC encryption as a stream; `finish` pads and flushes.
struct CbcWriter<W: Write> {
    inner: W,
    cipher: Crypter,
}

impl<W: Write> CbcWriter<W> {
    fn finish(mut self) -> io::Result<()> {
        let mut out = vec![0u8; 2 * BLOCK];
        let written = self.cipher.finalize(&mut out).map_err(io::Error::other)?;
        self.inner.write_all(&out[..written])?;
        self.inner.flush()
    }
}

impl<W: Write> Write for CbcWriter<W> {
    fn write(&mut self, data: &[u8]) -> io::Result<usize> {
        let mut out = vec![0u8; data.len() + 2 * BLOCK];
        let written = self
            .cipher
            .update(data, &mut out)
            .map_err(io::Error::other)?;
        self.inner.write_all(&out[..written])?;
        Ok(data.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

#[cfg(test)]
mod tests {
    #![expect(clippy::unwrap_used, reason = "tests")]
    use super::*;

    #[test]
    fn an_archive_written_here_extracts_with_the_passphrase_and_not_without() {
        let dir = PrivateDir::create().unwrap();
        let users = serde_json::json!({"users": [{"id": "1"}], "metadata": {"total_users": 1}});
        std::fs::write(
            dir.path().join("janua_users_export.json"),
            users.to_string(),
        )
        .unwrap();
        let out = dir.path().join(ARCHIVE_FILE);
        let passphrase = SecretString::from("a long passphrase".to_owned());
        create(dir.path(), &["janua_users_export.json"], &passphrase, &out).unwrap();
        assert!(is_archive(&out));
        let extracted = extract(&out, &passphrase).unwrap();
        let text = std::fs::read_to_string(extracted.path().join("janua_users_export.json"));
        assert_eq!(text.unwrap(), users.to_string());
        let wrong = SecretString::from("another passphrase".to_owned());
        assert!(extract(&out, &wrong).is_err());
    }
}
