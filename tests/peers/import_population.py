"""Generates small user populations for the import tests (tests/api/import.rs), hashed by
the reference libraries (bcrypt, argon2-cffi, passlib, hashlib, cryptography), and what the
tests must find after importing them.

  python import_population.py FORMAT OUT_DIR     FORMAT: csv | auth0 | keycloak | firebase

Writes the input file(s) into OUT_DIR and OUT_DIR/expected.json:
  {"input": file, "users": [{"email", "password", "signs_in", "totp_base32", "email_verified",
   "source_id"}], "failed": N, "passwords_reset": N, "firebase": {...} (firebase only)}
"signs_in" false means the user was imported without a password (its hash was refused).
Every user's password is different; TOTP secrets are 80 or 160 bits.
"""
import base64
import csv
import hashlib
import hmac
import json
import os
import sys

import bcrypt
from argon2 import PasswordHasher
from argon2.low_level import Type, hash_secret, hash_secret_raw
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from passlib import hash as ph

FORMAT, OUT = sys.argv[1], sys.argv[2]
os.makedirs(OUT, exist_ok=True)
RUN = os.urandom(3).hex()


def b64(data, pad=True):
    text = base64.b64encode(data).decode()
    return text if pad else text.rstrip("=")


def email(i, tag):
    return f"{tag}{i}-{RUN}@import.test"


def password(i):
    return f"old password {i} {RUN}"


def totp_secret(i):
    """Every third user has TOTP; alternately 80-bit and 160-bit secrets."""
    if i % 3 != 0:
        return None
    return os.urandom(10 if i % 2 == 0 else 20)


def b32(secret):
    return base64.b32encode(secret).decode().rstrip("=") if secret else None


# Text hashes the CSV and Auth0 `password_hash`/`custom_password_hash` carry.
def text_hashes():
    salt = os.urandom(16)
    return [
        lambda p: bcrypt.hashpw(p.encode(), bcrypt.gensalt(4)).decode(),
        lambda p: bcrypt.hashpw(p.encode(), bcrypt.gensalt(4, prefix=b"2a")).decode(),
        lambda p: "$2y$" + bcrypt.hashpw(p.encode(), bcrypt.gensalt(4)).decode()[4:],
        lambda p: PasswordHasher(time_cost=1, memory_cost=8192, parallelism=1).hash(p),
        lambda p: hash_secret(p.encode(), os.urandom(16), time_cost=2, memory_cost=4096,
                              parallelism=1, hash_len=32, type=Type.I).decode(),
        lambda p: f"$pbkdf2-sha256$i=1000,l=32${b64(salt, False)}$"
                  f"{b64(hashlib.pbkdf2_hmac('sha256', p.encode(), salt, 1000, 32), False)}",
        lambda p: f"$pbkdf2-sha512$i=1000,l=64${b64(salt, False)}$"
                  f"{b64(hashlib.pbkdf2_hmac('sha512', p.encode(), salt, 1000, 64), False)}",
        lambda p: ph.pbkdf2_sha1.using(rounds=1000).hash(p),
        lambda p: ph.pbkdf2_sha256.using(rounds=1000).hash(p),
        lambda p: ph.pbkdf2_sha512.using(rounds=1000).hash(p),
        lambda p: ph.django_pbkdf2_sha256.using(rounds=1000).hash(p),
        lambda p: ph.django_pbkdf2_sha1.using(rounds=1000).hash(p),
        lambda p: f"$scrypt$ln=10,r=8,p=1${b64(salt, False)}$"
                  f"{b64(hashlib.scrypt(p.encode(), salt=salt, n=1024, r=8, p=1, dklen=32), False)}",
        lambda p: ph.scrypt.using(rounds=10).hash(p),
        lambda p: ph.ldap_salted_sha1.hash(p),
        lambda p: ph.ldap_salted_sha256.hash(p),
        lambda p: ph.ldap_salted_sha512.hash(p),
        lambda p: ph.ldap_salted_md5.hash(p),
    ]


# Hashes whose parameters are hostile (or whose kind is unknown): imported without a password.
HOSTILE = [
    "$argon2id$v=19$m=4194304,t=2,p=1$c2FsdHNhbHRzYWx0c2FsdA$" + "A" * 43,
    "$argon2id$v=19$m=19456,t=4000,p=1$c2FsdHNhbHRzYWx0c2FsdA$" + "A" * 43,
    "$2b$31$ro9A7JqwGZLxb1liGemydOjoqOVHKDx3qqDnDWm.GiyqLZoGCvx.6",
    "$scrypt$ln=30,r=8,p=1$c2FsdHNhbHRzYWx0c2FsdA$" + "A" * 43,
    "$pbkdf2-sha256$i=1000000000,l=32$c2FsdHNhbHRzYWx0c2FsdA$" + "A" * 43,
    "$1$saltsalt$md5cryptisnotsupported",
]


def expectation(i, tag, signs_in=True, secret=None, verified=True, source_id=""):
    return {"email": email(i, tag), "password": password(i), "signs_in": signs_in,
            "totp_base32": b32(secret), "email_verified": verified, "source_id": source_id}


def write_expected(input_name, users, failed, resets, extra=None):
    data = {"input": input_name, "users": users, "failed": failed, "passwords_reset": resets}
    data.update(extra or {})
    with open(os.path.join(OUT, "expected.json"), "w") as f:
        json.dump(data, f, indent=1)


def csv_population():
    rows, users = [], []
    for i, make in enumerate(text_hashes()):
        secret = totp_secret(i)
        verified = i % 4 != 1
        rows.append([f"app-{i}", email(i, "csv"), "true" if verified else "false",
                     make(password(i)), f"CSV User {i}", b32(secret) or ""])
        users.append(expectation(i, "csv", secret=secret, verified=verified, source_id=f"app-{i}"))
    base = len(rows)
    for j, bad in enumerate(HOSTILE):
        i = base + j
        rows.append([f"app-{i}", email(i, "csv"), "", bad, f"Hostile {i}", ""])
        users.append(expectation(i, "csv", signs_in=False, verified=False, source_id=f"app-{i}"))
    # A case-only duplicate of the first user, and an invalid email: both fail.
    rows.append(["app-dup", email(0, "csv").upper(), "true", "", "Dup", ""])
    rows.append(["app-bad", "not an email", "true", "", "Bad", ""])
    # The app's own column names, mapped with --map.
    with open(os.path.join(OUT, "users.csv"), "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["user_id", "mail", "verified", "pw", "name", "otp", "plan"])
        for row in rows:
            w.writerow(row + ["pro"])
    write_expected("users.csv", users, failed=2, resets=len(HOSTILE),
                   extra={"map": "user_id=id,mail=email,verified=email_verified,pw=password_hash,"
                                 "name=display_name,otp=totp_secret"})


def auth0_population():
    records, users = [], []
    texts = text_hashes()
    for i in range(24):
        p = password(i)
        secret = totp_secret(i)
        rec = {"email": email(i, "auth0"), "user_id": f"auth0|{RUN}{i:04d}",
               "given_name": "Auth", "family_name": f"Zero {i}",
               "app_metadata": {"plan": "pro"}, "user_metadata": {"i": i}}
        if i != 5:
            rec["email_verified"] = i % 4 != 1
        salt = os.urandom(8)
        kind = i % 12
        if kind == 0:
            rec["password_hash"] = bcrypt.hashpw(p.encode(), bcrypt.gensalt(4)).decode()
        elif kind in (1, 2, 3, 4):
            digest = ["md5", "sha1", "sha256", "sha512"][kind - 1]
            position = "prefix" if i % 2 else "suffix"
            data = salt + p.encode() if position == "prefix" else p.encode() + salt
            encoding = "hex" if i % 3 else "base64"
            value = hashlib.new(digest, data).digest()
            rec["custom_password_hash"] = {
                "algorithm": digest,
                "hash": {"value": value.hex() if encoding == "hex" else b64(value), "encoding": encoding},
                "salt": {"value": salt.hex(), "encoding": "hex", "position": position}}
        elif kind == 5:
            key = os.urandom(16)
            rec["custom_password_hash"] = {
                "algorithm": "hmac",
                "hash": {"value": b64(hmac.new(key, p.encode(), "sha256").digest()),
                         "encoding": "base64", "digest": "sha256"},
                "key": {"value": b64(key), "encoding": "base64"}}
        elif kind == 6:
            rec["custom_password_hash"] = {"algorithm": "scrypt",
                "hash": {"value": b64(hashlib.scrypt(p.encode(), salt=salt, n=1024, r=8, p=1, dklen=32)),
                         "encoding": "base64"},
                "salt": {"value": b64(salt), "encoding": "base64"},
                "keylen": 32, "cost": 1024, "blockSize": 8, "parallelization": 1}
        elif kind == 7:
            rec["custom_password_hash"] = {"algorithm": "pbkdf2",
                                           "hash": {"value": texts[5](p), "encoding": "utf8"}}
        elif kind == 8:
            rec["custom_password_hash"] = {"algorithm": "argon2",
                                           "hash": {"value": texts[3](p), "encoding": "utf8"}}
        elif kind == 9:
            rec["custom_password_hash"] = {"algorithm": "ldap",
                                           "hash": {"value": texts[14](p), "encoding": "utf8"}}
        elif kind == 10:
            rec["custom_password_hash"] = {"algorithm": "bcrypt",
                                           "hash": {"value": texts[1](p), "encoding": "utf8"}}
        else:
            rec["custom_password_hash"] = {"algorithm": "md4",
                                           "hash": {"value": "00", "encoding": "hex"}}
        if secret:
            rec["mfa_factors"] = [{"totp": {"secret": b32(secret)}}]
        records.append(rec)
        users.append(expectation(i, "auth0", signs_in=kind != 11, secret=secret,
                                 verified=rec.get("email_verified", False),
                                 source_id=f"{RUN}{i:04d}"))
    with open(os.path.join(OUT, "users.json"), "w") as f:
        json.dump(records, f, indent=1)
    write_expected("users.json", users, failed=0, resets=2)


def keycloak_population():
    users_json, users = [], []
    for i in range(20):
        p = password(i).encode()
        salt = os.urandom(16)
        kind = i % 4
        if kind < 3:
            algorithm, digest, n = [("pbkdf2", "sha1", 20), ("pbkdf2-sha256", "sha256", 64),
                                    ("pbkdf2-sha512", "sha512", 64)][kind]
            value = hashlib.pbkdf2_hmac(digest, p, salt, 1000, n)
            cred_data = {"hashIterations": 1000, "algorithm": algorithm, "additionalParameters": {}}
        else:
            value = hash_secret_raw(p, salt, time_cost=3, memory_cost=7168, parallelism=1,
                                    hash_len=32, type=Type.ID)
            cred_data = {"hashIterations": 3, "algorithm": "argon2", "additionalParameters": {
                "hashLength": ["32"], "memory": ["7168"], "type": ["id"], "version": ["1.3"],
                "parallelism": ["1"]}}
        credentials = [{"type": "password", "userLabel": "My password", "createdDate": 1700000000000,
                        "secretData": json.dumps({"value": b64(value), "salt": b64(salt),
                                                  "additionalParameters": {}}),
                        "credentialData": json.dumps(cred_data)}]
        secret = None
        if i % 3 == 0:
            if i % 2 == 0:
                # Keycloak's default: the secret is the raw UTF-8 of a 20-character string.
                raw = os.urandom(10).hex()
                secret = raw.encode()
                secret_data, encoding = {"value": raw}, {}
            else:
                secret = os.urandom(20)
                secret_data, encoding = {"value": b32(secret)}, {"secretEncoding": "BASE32"}
            credentials.append({"type": "otp", "userLabel": "phone",
                                "secretData": json.dumps(secret_data),
                                "credentialData": json.dumps({"subType": "totp", "digits": 6, "counter": 0,
                                                              "period": 30, "algorithm": "HmacSHA1",
                                                              **encoding})})
        uid = f"{RUN}00-0000-4000-8000-{i:012d}"
        users_json.append({"id": uid, "username": f"kc{i}", "email": email(i, "kc"),
                           "emailVerified": i % 5 != 0, "enabled": True, "firstName": "Key",
                           "lastName": f"Cloak {i}", "credentials": credentials,
                           "groups": ["/engineering"] if i % 2 else [], "attributes": {"dept": ["x"]}})
        users.append(expectation(i, "kc", secret=secret, verified=i % 5 != 0, source_id=uid))
    realm = {"id": "acme", "realm": "acme", "groups": [{"name": "engineering", "path": "/engineering"}],
             "users": users_json, "clients": []}
    with open(os.path.join(OUT, "realm-export.json"), "w") as f:
        json.dump(realm, f, indent=1)
    write_expected("realm-export.json", users, failed=0, resets=0)


def firebase_population():
    signer, sep, rounds, mem_cost = os.urandom(64), b"\x07", 8, 12
    rows, users = [], []
    for i in range(6):
        salt = os.urandom(12)
        key = hashlib.scrypt(password(i).encode(), salt=salt + sep, n=2 ** mem_cost, r=rounds,
                             p=1, dklen=64)[:32]
        enc = Cipher(algorithms.AES(key), modes.CTR(b"\0" * 16)).encryptor()
        rows.append([f"fb{i}", email(i, "fb"), "true", b64(enc.update(signer) + enc.finalize()), b64(salt)])
        users.append(expectation(i, "fb", source_id=f"fb{i}"))
    with open(os.path.join(OUT, "firebase.csv"), "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["id", "email", "email_verified", "password_hash", "password_salt"])
        w.writerows(rows)
    write_expected("firebase.csv", users, failed=0, resets=0, extra={"firebase": {
        "signer_key": b64(signer), "salt_separator": b64(sep), "rounds": rounds, "mem_cost": mem_cost}})


{"csv": csv_population, "auth0": auth0_population, "keycloak": keycloak_population,
 "firebase": firebase_population}[FORMAT]()
