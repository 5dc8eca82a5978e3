"""Fixtures of the README examples' test: the live Janua that sdk-gen/test started, and an
account with TOTP for an example to sign in to, so that its MFA branch runs."""

from __future__ import annotations

import os
import time
import uuid
from dataclasses import dataclass

import pyotp
import pytest

from janua.auth.v1.auth_service_pb2 import RegisterRequest
from janua.mfa.v1.mfa_service_pb2 import ConfirmTotpRequest, EnrollTotpRequest
from janua_sdk import JanuaClient

PASSWORD = "correct horse battery staple"


@dataclass(frozen=True)
class MfaAccount:
    email: str
    password: str
    totp: pyotp.TOTP
    confirmed_at: float

    def next_code(self) -> str:
        """A code Janua has not seen: Janua accepts each TOTP step once (enrolment used the
        step of `confirmed_at`) and one step of skew, so the step after enrolment, or the
        current one once time has moved past it."""
        return self.totp.at(max(time.time(), self.confirmed_at + self.totp.interval))

    def example_env(self) -> dict[str, str]:
        """What the README examples read: where Janua is, who signs in, the TOTP code."""
        return {
            **os.environ,
            "JANUA_EMAIL": self.email,
            "JANUA_PASSWORD": self.password,
            "JANUA_TOTP_CODE": self.next_code(),
        }


@pytest.fixture(scope="session")
def janua_url() -> str:
    url = os.environ.get("JANUA_URL", "")
    if not url:
        pytest.fail("JANUA_URL is not set; run sdk-gen/test")
    return url


@pytest.fixture
def mfa_account(janua_url: str) -> MfaAccount:
    """A new account with a confirmed TOTP factor, whose codes come from pyotp."""
    email = f"readme-{uuid.uuid4().hex[:12]}@example.com"
    with JanuaClient(janua_url) as janua:
        janua.auth.Register(RegisterRequest(email=email, password=PASSWORD))
        enrolled = janua.mfa.EnrollTotp(EnrollTotpRequest())
        totp = pyotp.TOTP(enrolled.secret)
        confirmed_at = time.time()
        code = totp.at(confirmed_at)
        janua.mfa.ConfirmTotp(ConfirmTotpRequest(factor_id=enrolled.factor_id, totp_code=code))
    return MfaAccount(email, PASSWORD, totp, confirmed_at)
