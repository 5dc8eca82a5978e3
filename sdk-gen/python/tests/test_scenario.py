"""The SDK scenario against a live Janua (JANUA_URL, started by sdk-gen/test), written once
and run with both clients: JanuaClient (blocking; concurrent steps run in threads) and
AsyncJanuaClient (asyncio; concurrent steps are tasks).

register → login → current user → stale access token → one automatic refresh shared by
three concurrent calls → sessions → create organization → members → logout → the next call
raises JanuaError with reason TOKEN_ERROR.
"""

from __future__ import annotations

import asyncio
import base64
import json
import os
import time
import uuid
from collections.abc import Awaitable, Callable
from typing import Any

import grpc
import pytest

from janua.auth.v1.auth_service_pb2 import (
    GetCurrentUserRequest,
    ListSessionsRequest,
    LoginRequest,
    LogoutRequest,
    RegisterRequest,
)
from janua.orgs.v1.orgs_service_pb2 import CreateOrganizationRequest, ListMembersRequest
from janua_sdk import AsyncJanuaClient, JanuaClient, JanuaError, MemoryTokenStore, Tokens

JANUA_URL = os.environ.get("JANUA_URL", "")
PASSWORD = "correct horse battery staple"

# How the scenario calls an RPC: await call(client.auth.Login, LoginRequest(...)).
Call = Callable[[Callable[[Any], Any], Any], Awaitable[Any]]


class RecordingStore(MemoryTokenStore):
    """A custom token store: the memory store, counting writes."""

    def __init__(self) -> None:
        super().__init__()
        self.writes = 0

    def set(self, tokens: Tokens | None) -> None:
        self.writes += 1
        super().set(tokens)


def stale_access_token(token: str) -> str:
    """The JWT with ``exp`` an hour in the past: expired, and its signature no longer
    matches, so Janua must refuse it with TOKEN_ERROR."""
    header, payload, signature = token.split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    claims["exp"] = int(time.time()) - 3600
    encoded = base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=").decode()
    return f"{header}.{encoded}.{signature}"


async def expect_token_error(call: Awaitable[Any], what: str) -> JanuaError:
    with pytest.raises(JanuaError) as raised:
        await call
    err = raised.value
    assert isinstance(err, grpc.RpcError), what
    assert err.code() == grpc.StatusCode.UNAUTHENTICATED, f"{what}: {err}"
    assert err.reason == "TOKEN_ERROR", f"{what}: {err}"
    assert err.domain == "janua", f"{what}: {err}"
    return err


async def scenario(client: JanuaClient | AsyncJanuaClient, store: RecordingStore, call: Call) -> None:
    unique = uuid.uuid4().hex
    email = f"py-{unique}@example.com"

    registered = await call(client.auth.Register, RegisterRequest(email=email, password=PASSWORD, display_name="Py"))
    assert registered.user.email == email and registered.tokens.access_token

    login = await call(client.auth.Login, LoginRequest(email=email, password=PASSWORD))
    current = store.get()
    assert current is not None and current.access_token == login.tokens.access_token

    me = await call(client.auth.GetCurrentUser, GetCurrentUserRequest())
    assert me.user.id == registered.user.id

    # Force an expired access token, then three calls at once: one refresh for all three.
    before = current
    stale = stale_access_token(before.access_token)
    store.set(Tokens(stale, before.refresh_token))
    writes_before = store.writes
    again, sessions, sessions_too = await asyncio.gather(
        call(client.auth.GetCurrentUser, GetCurrentUserRequest()),
        call(client.auth.ListSessions, ListSessionsRequest()),
        call(client.auth.ListSessions, ListSessionsRequest()),
    )
    after = store.get()
    assert after is not None
    assert store.writes - writes_before == 1, f"one refresh, not {store.writes - writes_before}"
    assert after.access_token not in (stale, before.access_token)
    assert after.refresh_token != before.refresh_token
    assert again.user.id == registered.user.id

    assert len(sessions.sessions) >= 2
    assert sum(1 for s in sessions.sessions if s.current) == 1
    assert len(sessions_too.sessions) == len(sessions.sessions)

    created = await call(client.orgs.CreateOrganization, CreateOrganizationRequest(name="Acme", slug=f"acme-{unique[:20]}"))
    assert created.organization.id and created.organization.name == "Acme"

    members = await call(client.orgs.ListMembers, ListMembersRequest(organization_id=created.organization.id))
    assert [(m.user_id, m.role) for m in members.members] == [(registered.user.id, "owner")]

    revoked = store.get()
    assert revoked is not None
    await call(client.auth.Logout, LogoutRequest())
    assert store.get() is None, "logout empties the token store"

    await expect_token_error(call(client.auth.GetCurrentUser, GetCurrentUserRequest()), "the call after logout")
    # The tokens from before the logout are dead on the server too: refused, the refresh
    # fails, and the store ends up empty.
    store.set(revoked)
    await expect_token_error(call(client.auth.ListSessions, ListSessionsRequest()), "the logged-out tokens")
    assert store.get() is None, "a failed refresh empties the store"


@pytest.fixture
def janua_url() -> str:
    if not JANUA_URL:
        pytest.fail("JANUA_URL is not set; run sdk-gen/test")
    return JANUA_URL


def test_scenario_with_the_blocking_client(janua_url: str) -> None:
    store = RecordingStore()

    async def in_thread(method: Callable[[Any], Any], request: Any) -> Any:
        return await asyncio.to_thread(method, request)

    with JanuaClient(janua_url, token_store=store) as client:
        asyncio.run(scenario(client, store, in_thread))


def test_scenario_with_the_asyncio_client(janua_url: str) -> None:
    store = RecordingStore()

    async def awaited(method: Callable[[Any], Any], request: Any) -> Any:
        return await method(request)

    async def run() -> None:
        async with AsyncJanuaClient(janua_url, token_store=store) as client:
            await scenario(client, store, awaited)

    asyncio.run(run())


def test_a_wrong_password_is_an_authentication_error(janua_url: str) -> None:
    with JanuaClient(janua_url) as client:
        with pytest.raises(JanuaError) as raised:
            client.auth.Login(LoginRequest(email="nobody@example.com", password="wrong password 123"))
    assert raised.value.code() == grpc.StatusCode.UNAUTHENTICATED
    assert raised.value.reason == "AUTHENTICATION_ERROR"
    assert client.token_store.get() is None


def test_an_unreachable_server_is_a_janua_error_without_reason() -> None:
    with JanuaClient("127.0.0.1:1") as client:
        with pytest.raises(JanuaError) as raised:
            client.auth.Login(LoginRequest(email="a@example.com", password="x" * 12), timeout=5)
    assert raised.value.code() == grpc.StatusCode.UNAVAILABLE
    assert raised.value.reason == ""
