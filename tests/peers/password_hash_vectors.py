"""Password-hash test vectors from the reference libraries (bcrypt, argon2-cffi, passlib,
hashlib, cryptography), for the unit tests of src/crypto/imported_hash. Regenerate with
  .venv/bin/python tests/peers/password_hash_vectors.py > src/crypto/imported_hash/vectors.json
Every hash is of the password "correct horse battery"."""
import base64, hashlib, hmac, json, os
import bcrypt, argon2
from argon2.low_level import hash_secret, hash_secret_raw, Type
from passlib import hash as ph
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

PW = "correct horse battery"
pw = PW.encode()
b64 = lambda b: base64.b64encode(b).decode().rstrip("=")
b64p = lambda b: base64.b64encode(b).decode()
out = {}
out["bcrypt_2b"] = bcrypt.hashpw(pw, bcrypt.gensalt(4)).decode()
out["bcrypt_2a"] = bcrypt.hashpw(pw, bcrypt.gensalt(5, prefix=b"2a")).decode()
out["bcrypt_2y"] = "$2y$" + bcrypt.hashpw(pw, bcrypt.gensalt(4)).decode()[4:]
out["argon2id"] = argon2.PasswordHasher(time_cost=1, memory_cost=8192, parallelism=1).hash(PW)
out["argon2i"] = hash_secret(pw, os.urandom(16), time_cost=2, memory_cost=4096, parallelism=2, hash_len=32, type=Type.I).decode()
salt = os.urandom(16)
for d, n in [("sha1", 20), ("sha256", 32), ("sha512", 64)]:
    out[f"pbkdf2_phc_{d}"] = f"$pbkdf2-{d}$i=1000,l={n}${b64(salt)}${b64(hashlib.pbkdf2_hmac(d, pw, salt, 1000, n))}"
out["passlib_pbkdf2_sha1"] = ph.pbkdf2_sha1.using(rounds=1200).hash(PW)
out["passlib_pbkdf2_sha256"] = ph.pbkdf2_sha256.using(rounds=1200).hash(PW)
out["passlib_pbkdf2_sha512"] = ph.pbkdf2_sha512.using(rounds=1200).hash(PW)
out["django_pbkdf2_sha256"] = ph.django_pbkdf2_sha256.using(rounds=1500).hash(PW)
out["django_pbkdf2_sha1"] = ph.django_pbkdf2_sha1.using(rounds=1500).hash(PW)
ks = os.urandom(16)
out["keycloak_pbkdf2_sha256"] = {"secretData": json.dumps({"value": b64p(hashlib.pbkdf2_hmac("sha256", pw, ks, 1000, 64)), "salt": b64p(ks), "additionalParameters": {}}),
    "credentialData": json.dumps({"hashIterations": 1000, "algorithm": "pbkdf2-sha256", "additionalParameters": {}})}
out["keycloak_pbkdf2_sha1"] = {"secretData": json.dumps({"value": b64p(hashlib.pbkdf2_hmac("sha1", pw, ks, 1000, 20)), "salt": b64p(ks), "additionalParameters": {}}),
    "credentialData": json.dumps({"hashIterations": 1000, "algorithm": "pbkdf2", "additionalParameters": {}})}
out["keycloak_argon2"] = {"secretData": json.dumps({"value": b64p(hash_secret_raw(pw, ks, time_cost=3, memory_cost=7168, parallelism=1, hash_len=32, type=Type.ID)), "salt": b64p(ks), "additionalParameters": {}}),
    "credentialData": json.dumps({"hashIterations": 3, "algorithm": "argon2", "additionalParameters": {"hashLength": ["32"], "memory": ["7168"], "type": ["id"], "version": ["1.3"], "parallelism": ["1"]}})}
out["scrypt_phc"] = f"$scrypt$ln=10,r=8,p=1${b64(salt)}${b64(hashlib.scrypt(pw, salt=salt, n=1024, r=8, p=1, dklen=32))}"
out["passlib_scrypt"] = ph.scrypt.using(rounds=10).hash(PW)
# Firebase modified scrypt
signer = os.urandom(64); sep = base64.b64decode("Bw=="); fsalt = os.urandom(12)
key = hashlib.scrypt(pw, salt=fsalt + sep, n=2**12, r=8, p=1, dklen=64)[:32]
enc = Cipher(algorithms.AES(key), modes.CTR(b"\0" * 16)).encryptor()
out["firebase"] = {"signer_key": b64p(signer), "salt_separator": "Bw==", "rounds": 8, "mem_cost": 12, "salt": b64p(fsalt), "hash": b64p(enc.update(signer) + enc.finalize())}
ds = os.urandom(8)
for d in ["md5", "sha1", "sha256", "sha512"]:
    out[f"salted_{d}_prefix"] = {"salt": ds.hex(), "hash": hashlib.new(d, ds + pw).hexdigest()}
    out[f"salted_{d}_suffix"] = {"salt": ds.hex(), "hash": hashlib.new(d, pw + ds).hexdigest()}
    out[f"hmac_{d}"] = {"key": ds.hex(), "hash": hmac.new(ds, pw, d).hexdigest()}
out["ldap_ssha"] = ph.ldap_salted_sha1.hash(PW)
out["ldap_ssha256"] = ph.ldap_salted_sha256.hash(PW)
out["ldap_ssha512"] = ph.ldap_salted_sha512.hash(PW)
out["ldap_smd5"] = ph.ldap_salted_md5.hash(PW)
print(json.dumps(out, indent=1))
