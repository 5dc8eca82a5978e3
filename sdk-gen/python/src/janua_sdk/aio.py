"""``AsyncJanuaClient``: the generated stubs on a ``grpc.aio`` channel, with the same
session behaviour as :class:`janua_sdk.JanuaClient` (bearer token, tokens kept from
responses, store emptied by Logout, one shared refresh and a retry on TOKEN_ERROR)."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

import grpc
from grpc import aio

from janua.audit.v1.audit_service_pb2_grpc import AuditServiceStub
from janua.auth.v1.auth_service_pb2 import RefreshTokenRequest
from janua.auth.v1.auth_service_pb2_grpc import AuthServiceStub
from janua.imports.v1.imports_service_pb2_grpc import ImportServiceStub
from janua.mfa.v1.mfa_service_pb2_grpc import MfaServiceStub
from janua.oauth.v1.oauth_service_pb2_grpc import OAuthClientServiceStub
from janua.orgs.v1.orgs_service_pb2_grpc import OrganizationServiceStub
from janua.sso.v1.sso_service_pb2_grpc import SsoServiceStub
from janua.users.v1.users_service_pb2_grpc import UserServiceStub
from janua.webhooks.v1.webhooks_service_pb2_grpc import WebhookServiceStub

from .contract import LOGOUT, channel_target, is_public, tokens_in, with_bearer
from .errors import JanuaError, from_rpc_error
from .tokens import MemoryTokenStore, Tokens, TokenStore


def _details_with(details: aio.ClientCallDetails, token: str | None) -> aio.ClientCallDetails:
    return aio.ClientCallDetails(
        details.method,
        details.timeout,
        with_bearer(details.metadata, token),  # type: ignore[arg-type]
        details.credentials,
        getattr(details, "wait_for_ready", None),
    )


class AsyncSingleFlightRefresh:
    """One refresh at a time; a task that waited finds the tokens already replaced."""

    def __init__(self, store: TokenStore, rotate: Callable[[str], Awaitable[Tokens]]) -> None:
        self._store = store
        self._rotate = rotate
        self._lock = asyncio.Lock()

    async def refresh(self, stale: Tokens) -> Tokens | None:
        async with self._lock:
            current = self._store.get()
            if current is None:
                return None
            if current.access_token != stale.access_token:
                return current
            try:
                return await self._rotate(current.refresh_token)
            except JanuaError as err:
                if err.is_token_error:
                    self._store.set(None)
                raise


class _AsyncSessionInterceptor(aio.UnaryUnaryClientInterceptor):  # type: ignore[type-arg]
    def __init__(self, store: TokenStore) -> None:
        self._store = store
        self.refresher: AsyncSingleFlightRefresh | None = None

    async def intercept_unary_unary(
        self,
        continuation: Callable[[aio.ClientCallDetails, Any], Any],
        client_call_details: aio.ClientCallDetails,
        request: Any,
    ) -> Any:
        method = client_call_details.method
        method = method.decode() if isinstance(method, bytes) else method
        used = None if is_public(method) else self._store.get()
        try:
            response = await self._call(continuation, client_call_details, request, used)
        except JanuaError as err:
            if used is None or not err.is_token_error or self.refresher is None:
                raise
            fresh = await self.refresher.refresh(used)
            if fresh is None:
                raise
            response = await self._call(continuation, client_call_details, request, fresh)
        if method == LOGOUT:
            self._store.set(None)
        else:
            tokens = tokens_in(response)
            if tokens is not None:
                self._store.set(tokens)
        return response

    @staticmethod
    async def _call(
        continuation: Callable[[aio.ClientCallDetails, Any], Any],
        details: aio.ClientCallDetails,
        request: Any,
        tokens: Tokens | None,
    ) -> Any:
        try:
            call = await continuation(_details_with(details, tokens.access_token if tokens else None), request)
            return await call
        except grpc.RpcError as err:
            raise from_rpc_error(err) from None


class AsyncJanuaClient:
    """An asyncio client for Janua at ``target`` (``host:port``, ``http://…`` or ``https://…``).

    ``auth``, ``users``, ``orgs``, ``mfa``, ``sso``, ``audit``, ``oauth_clients``, ``webhooks`` and ``imports`` are the generated async
    stubs: ``await client.auth.Login(LoginRequest(…))``. Failed calls raise
    :class:`JanuaError`. Use ``async with``, or ``await close()``.
    """

    def __init__(
        self,
        target: str,
        *,
        token_store: TokenStore | None = None,
        credentials: grpc.ChannelCredentials | None = None,
        options: list[tuple[str, Any]] | None = None,
    ) -> None:
        self.token_store: TokenStore = token_store if token_store is not None else MemoryTokenStore()
        address, tls = channel_target(target)
        if credentials is None and tls:
            credentials = grpc.ssl_channel_credentials()
        interceptor = _AsyncSessionInterceptor(self.token_store)
        interceptors: list[Any] = [interceptor]
        self.channel = (
            aio.secure_channel(address, credentials, options, interceptors=interceptors)
            if credentials is not None
            else aio.insecure_channel(address, options, interceptors=interceptors)
        )
        self.auth = AuthServiceStub(self.channel)
        self.users = UserServiceStub(self.channel)
        self.orgs = OrganizationServiceStub(self.channel)
        self.mfa = MfaServiceStub(self.channel)
        self.sso = SsoServiceStub(self.channel)
        self.audit = AuditServiceStub(self.channel)
        self.oauth_clients = OAuthClientServiceStub(self.channel)
        self.webhooks = WebhookServiceStub(self.channel)
        self.imports = ImportServiceStub(self.channel)
        interceptor.refresher = AsyncSingleFlightRefresh(self.token_store, self._rotate)

    async def _rotate(self, refresh_token: str) -> Tokens:
        response = await self.auth.RefreshToken(RefreshTokenRequest(refresh_token=refresh_token))
        return Tokens(response.tokens.access_token, response.tokens.refresh_token)

    async def close(self) -> None:
        await self.channel.close(None)

    async def __aenter__(self) -> AsyncJanuaClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()
