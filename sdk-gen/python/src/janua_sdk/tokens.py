"""Where a client keeps the session's tokens between calls.

The client reads the access token before each call and writes a new pair after sign-in
and after every refresh. Any object with ``get`` and ``set`` is a token store.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True)
class Tokens:
    """The two tokens of a signed-in session (a ``janua.auth.v1.TokenPair``)."""

    access_token: str
    refresh_token: str


class TokenStore(Protocol):
    """Keeps one session's tokens; ``None`` means signed out."""

    def get(self) -> Tokens | None: ...

    def set(self, tokens: Tokens | None) -> None: ...


class MemoryTokenStore:
    """Keeps the tokens in memory (the default). Safe to share between threads."""

    def __init__(self, tokens: Tokens | None = None) -> None:
        self._tokens = tokens
        self._lock = threading.Lock()

    def get(self) -> Tokens | None:
        with self._lock:
            return self._tokens

    def set(self, tokens: Tokens | None) -> None:
        with self._lock:
            self._tokens = tokens
