"""What the SDK reads from the contract's descriptors rather than from a list of RPCs:
which RPCs are public (``janua.options.v1.access``), and which responses carry a
``janua.auth.v1.TokenPair`` named ``tokens``."""

from __future__ import annotations

from types import ModuleType

from google.protobuf.message import Message

from janua.audit.v1 import audit_service_pb2
from janua.auth.v1 import auth_pb2, auth_service_pb2
from janua.mfa.v1 import mfa_service_pb2
from janua.oauth.v1 import oauth_service_pb2
from janua.options.v1 import options_pb2
from janua.orgs.v1 import orgs_service_pb2
from janua.sso.v1 import sso_service_pb2
from janua.users.v1 import users_service_pb2
from janua.webhooks.v1 import webhooks_service_pb2

from .tokens import Tokens

SERVICE_MODULES: tuple[ModuleType, ...] = (
    auth_service_pb2,
    users_service_pb2,
    orgs_service_pb2,
    mfa_service_pb2,
    sso_service_pb2,
    audit_service_pb2,
    oauth_service_pb2,
    webhooks_service_pb2,
)
LOGOUT = "/janua.auth.v1.AuthService/Logout"
_TOKEN_PAIR = auth_pb2.TokenPair.DESCRIPTOR.full_name


def _public_methods() -> frozenset[str]:
    public = set()
    for module in SERVICE_MODULES:
        for service in module.DESCRIPTOR.services_by_name.values():
            for method in service.methods:
                access = method.GetOptions().Extensions[options_pb2.access]
                if access.audience == options_pb2.AUDIENCE_PUBLIC:
                    public.add(f"/{service.full_name}/{method.name}")
    return frozenset(public)


PUBLIC_METHODS = _public_methods()


def is_public(method: str) -> bool:
    """Whether anyone may call ``method`` (``/package.Service/Method``): no token is sent."""
    return method in PUBLIC_METHODS


def tokens_in(response: object) -> Tokens | None:
    """The token pair a response carries in a ``tokens`` field, if any."""
    if not isinstance(response, Message):
        return None
    field = response.DESCRIPTOR.fields_by_name.get("tokens")
    if field is None or field.message_type is None or field.message_type.full_name != _TOKEN_PAIR:
        return None
    if not response.HasField("tokens"):
        return None
    pair = getattr(response, "tokens")
    if not isinstance(pair, auth_pb2.TokenPair) or not pair.access_token:
        return None
    return Tokens(pair.access_token, pair.refresh_token)


def channel_target(target: str) -> tuple[str, bool]:
    """``host:port`` and whether to use TLS, from ``host:port``, ``http://…`` or ``https://…``."""
    if target.startswith("https://"):
        return target[len("https://") :].rstrip("/"), True
    if target.startswith("http://"):
        return target[len("http://") :].rstrip("/"), False
    return target, False


def with_bearer(metadata: object, token: str | None) -> list[tuple[str, str | bytes]]:
    """The call's metadata less any ``authorization``, plus ``Bearer token`` when given."""
    items: list[tuple[str, str | bytes]] = [
        (str(k), v) for k, v in (metadata or ())  # type: ignore[attr-defined]
        if str(k).lower() != "authorization"
    ]
    if token:
        items.append(("authorization", f"Bearer {token}"))
    return items
