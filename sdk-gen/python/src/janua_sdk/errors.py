"""Janua's errors: a ``grpc.RpcError`` that also carries the stable ``reason`` of the
``google.rpc.ErrorInfo`` detail every Janua error has (``TOKEN_ERROR``, ``NOT_FOUND_ERROR``...).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import grpc
from google.rpc import error_details_pb2, status_pb2

STATUS_DETAILS_KEY = "grpc-status-details-bin"
ERROR_DOMAIN = "janua"


class JanuaError(grpc.RpcError):
    """A failed call.

    ``code`` is the gRPC status code, ``reason`` the ErrorInfo reason (empty when the error
    did not come from Janua, e.g. the server is unreachable), ``message`` the server's text,
    ``details`` the decoded ``google.rpc.Status`` details. ``code()`` and ``details()`` work
    as on ``grpc.RpcError``, so existing handlers keep working.
    """

    def __init__(
        self,
        code: grpc.StatusCode,
        message: str,
        reason: str = "",
        domain: str = "",
        status: status_pb2.Status | None = None,
    ) -> None:
        super().__init__(f"[{code.name}] {reason + ': ' if reason else ''}{message}")
        self._code = code
        self.message = message
        self.reason = reason
        self.domain = domain
        self.status = status

    def code(self) -> grpc.StatusCode:
        return self._code

    def details(self) -> str:
        return self.message

    @property
    def is_token_error(self) -> bool:
        """The access or refresh token was missing, invalid, expired or revoked."""
        return self._code == grpc.StatusCode.UNAUTHENTICATED and self.reason == "TOKEN_ERROR"


def _metadata_value(metadata: Iterable[Any] | None, key: str) -> bytes | None:
    for item in metadata or ():
        name, value = item
        if name == key:
            return value if isinstance(value, bytes) else str(value).encode()
    return None


def from_rpc_error(err: BaseException) -> JanuaError:
    """``err`` (a grpc.RpcError from a sync or asyncio call) as a JanuaError."""
    if isinstance(err, JanuaError):
        return err
    code_of = getattr(err, "code", None)
    details_of = getattr(err, "details", None)
    trailers_of = getattr(err, "trailing_metadata", None)
    code = code_of() if callable(code_of) else grpc.StatusCode.UNKNOWN
    message = (details_of() if callable(details_of) else None) or str(err)
    raw = _metadata_value(trailers_of() if callable(trailers_of) else None, STATUS_DETAILS_KEY)
    if raw is None:
        return JanuaError(code, message)
    status: status_pb2.Status = status_pb2.Status.FromString(raw)
    for detail in status.details:
        info = error_details_pb2.ErrorInfo()
        if detail.Unpack(info):
            return JanuaError(code, message, str(info.reason), str(info.domain), status)
    return JanuaError(code, message, status=status)
