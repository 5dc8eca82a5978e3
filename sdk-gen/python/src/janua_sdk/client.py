"""``JanuaClient``: the generated gRPC stubs on a channel whose interceptor signs calls in.

The interceptor attaches ``authorization: Bearer <access token>`` to every RPC the
contract does not mark public, keeps the tokens that responses carry, empties the store
after Logout, and when Janua refuses the access token (UNAUTHENTICATED + TOKEN_ERROR)
refreshes it once and retries the call. Threads that hit a refused token together share
one refresh: a refresh token works once, and presenting it twice makes Janua revoke the
whole session.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any, NamedTuple

import grpc

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


class _CallDetails(NamedTuple):
    method: str
    timeout: float | None
    metadata: Any
    credentials: grpc.CallCredentials | None
    wait_for_ready: bool | None
    compression: Any


def _details_with(details: grpc.ClientCallDetails, token: str | None) -> grpc.ClientCallDetails:
    return _ClientCallDetails(
        details.method,
        details.timeout,
        with_bearer(details.metadata, token),
        details.credentials,
        getattr(details, "wait_for_ready", None),
        getattr(details, "compression", None),
    )


class _ClientCallDetails(_CallDetails, grpc.ClientCallDetails):
    pass


class SingleFlightRefresh:
    """One refresh at a time; a thread that waited finds the tokens already replaced."""

    def __init__(self, store: TokenStore, rotate: Callable[[str], Tokens]) -> None:
        self._store = store
        self._rotate = rotate
        self._lock = threading.Lock()

    def refresh(self, stale: Tokens) -> Tokens | None:
        """Fresh tokens to replace ``stale``; None when signed out meanwhile."""
        with self._lock:
            current = self._store.get()
            if current is None:
                return None
            if current.access_token != stale.access_token:
                return current
            try:
                return self._rotate(current.refresh_token)
            except JanuaError as err:
                if err.is_token_error:
                    self._store.set(None)
                raise


class _SessionInterceptor(grpc.UnaryUnaryClientInterceptor):  # type: ignore[type-arg]
    def __init__(self, store: TokenStore) -> None:
        self._store = store
        self.refresher: SingleFlightRefresh | None = None

    def intercept_unary_unary(
        self,
        continuation: Callable[[grpc.ClientCallDetails, Any], Any],
        client_call_details: grpc.ClientCallDetails,
        request: Any,
    ) -> Any:
        method = client_call_details.method
        method = method.decode() if isinstance(method, bytes) else method
        used = None if is_public(method) else self._store.get()
        outcome = continuation(_details_with(client_call_details, used.access_token if used else None), request)
        failure = outcome.exception()
        if failure is not None:
            err = from_rpc_error(failure)
            if used is None or not err.is_token_error or self.refresher is None:
                raise err
            fresh = self.refresher.refresh(used)
            if fresh is None:
                raise err
            outcome = continuation(_details_with(client_call_details, fresh.access_token), request)
            if outcome.exception() is not None:
                raise from_rpc_error(outcome.exception())
        self._observe(method, outcome.result())
        return outcome

    def _observe(self, method: str, response: object) -> None:
        if method == LOGOUT:
            self._store.set(None)
            return
        tokens = tokens_in(response)
        if tokens is not None:
            self._store.set(tokens)


class JanuaClient:
    """A blocking client for Janua at ``target`` (``host:port``, ``http://…`` or ``https://…``).

    ``auth``, ``users``, ``orgs``, ``mfa``, ``sso``, ``audit``, ``oauth_clients``, ``webhooks`` and ``imports`` are the generated stubs:
    ``client.auth.Login(LoginRequest(email=…, password=…))``. Failed calls raise
    :class:`JanuaError`. Use it as a context manager, or call :meth:`close`.
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
        self._raw_channel = (
            grpc.secure_channel(address, credentials, options)
            if credentials is not None
            else grpc.insecure_channel(address, options)
        )
        interceptor = _SessionInterceptor(self.token_store)
        self.channel = grpc.intercept_channel(self._raw_channel, interceptor)
        self.auth = AuthServiceStub(self.channel)
        self.users = UserServiceStub(self.channel)
        self.orgs = OrganizationServiceStub(self.channel)
        self.mfa = MfaServiceStub(self.channel)
        self.sso = SsoServiceStub(self.channel)
        self.audit = AuditServiceStub(self.channel)
        self.oauth_clients = OAuthClientServiceStub(self.channel)
        self.webhooks = WebhookServiceStub(self.channel)
        self.imports = ImportServiceStub(self.channel)
        interceptor.refresher = SingleFlightRefresh(self.token_store, self._rotate)

    def _rotate(self, refresh_token: str) -> Tokens:
        # RefreshToken is public: sent without the stale access token; the interceptor
        # stores the pair it returns.
        response = self.auth.RefreshToken(RefreshTokenRequest(refresh_token=refresh_token))
        return Tokens(response.tokens.access_token, response.tokens.refresh_token)

    def close(self) -> None:
        self._raw_channel.close()

    def __enter__(self) -> JanuaClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
