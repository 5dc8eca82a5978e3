"""Janua's Python SDK: the gRPC stubs generated from Janua's contract (the ``janua``
package beside this one), wrapped in :class:`JanuaClient` (blocking) and
:class:`AsyncJanuaClient` (asyncio) with bearer tokens and automatic refresh."""

from .aio import AsyncJanuaClient
from .client import JanuaClient
from .errors import ERROR_DOMAIN, JanuaError
from .tokens import MemoryTokenStore, Tokens, TokenStore

__all__ = [
    "ERROR_DOMAIN",
    "AsyncJanuaClient",
    "JanuaClient",
    "JanuaError",
    "MemoryTokenStore",
    "TokenStore",
    "Tokens",
]
