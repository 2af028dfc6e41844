"""Calls the server makes to addresses other people chose (webhooks): never inside.

A manager types a URL; the server then POSTs to it. Unchecked, that lets anyone with a
manager role probe the machine's own ports and the private network (Redis on 6379,
PostgreSQL on 5432, the admin behind localhost). So every such URL is checked when it is
saved and again at each delivery (DNS can change between the two):

- the scheme is http or https (https only where `WEBHOOK_REQUIRE_HTTPS` is on, the
  production default), with no user name or password in it;
- the host is resolved, and **every** address it resolves to must be a public one: not
  loopback, private, shared (100.64/10), link-local, multicast, reserved, unspecified, nor
  an IPv4 address wrapped in IPv6 (`::ffff:127.0.0.1`, 6to4, NAT64). The resolver reads
  decimal (`2130706433`), hex (`0x7f000001`) and octal (`0177.0.0.1`) forms as the address
  they stand for, so they are checked as that address;
- unless the operator lists the network in `WEBHOOK_ALLOWED_NETWORKS` (CIDRs).

`post` then connects to the address that was checked (not a second lookup that could answer
differently), follows no redirect, waits at most `timeout` seconds and reads at most
`WEBHOOK_MAX_RESPONSE_BYTES` of the answer.
"""

import http.client
import ipaddress
import socket
import ssl
from dataclasses import dataclass
from urllib.parse import urlsplit

from django.conf import settings

from .errors import DomainError

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
SHARED_ADDRESS_SPACE = ipaddress.ip_network("100.64.0.0/10")


class OutboundRefused(DomainError):
    """The URL points somewhere the server must not call."""


def _resolve(host: str, port: int) -> list[str]:
    """Every address `host` resolves to (one function, so tests can stand in for DNS)."""
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return [info[4][0] for info in infos]


def _allowed_networks() -> list:
    return [
        ipaddress.ip_network(net.strip(), strict=False)
        for net in getattr(settings, "WEBHOOK_ALLOWED_NETWORKS", [])
        if net.strip()
    ]


def _inner_ipv4(address: IPAddress) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv6 one carries (mapped, 6to4, Teredo, NAT64), if any."""
    if not isinstance(address, ipaddress.IPv6Address):
        return None
    if address.ipv4_mapped is not None:
        return address.ipv4_mapped
    if address.sixtofour is not None:
        return address.sixtofour
    if address.teredo is not None:
        return address.teredo[1]
    if address in ipaddress.ip_network("64:ff9b::/96"):
        return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    return None


def is_internal(address: IPAddress) -> bool:
    """True for any address that is not plainly on the public internet."""
    inner = _inner_ipv4(address)
    if inner is not None and is_internal(inner):
        return True
    return (
        address.is_loopback
        or address.is_private
        or address.is_link_local
        or address.is_multicast
        or address.is_reserved
        or address.is_unspecified
        or address in SHARED_ADDRESS_SPACE
        or not address.is_global
    )


@dataclass(frozen=True)
class Target:
    """A checked URL: where to connect (the vetted address) and what to ask for."""

    scheme: str
    host: str
    port: int
    address: str
    path: str


def check_url(url: str) -> Target:
    """The URL's target, or `OutboundRefused` with a message a manager understands."""
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError:
        raise OutboundRefused("This URL cannot be read.", field="url") from None
    scheme = parts.scheme.lower()
    require_https = getattr(settings, "WEBHOOK_REQUIRE_HTTPS", False)
    if scheme not in ("http", "https") or (require_https and scheme != "https"):
        expected = "https://" if require_https else "https:// or http://"
        raise OutboundRefused(f"The URL must start with {expected}.", field="url")
    if parts.username is not None or parts.password is not None:
        raise OutboundRefused("The URL must not hold a user name or password.", field="url")
    host = (parts.hostname or "").rstrip(".")
    if not host:
        raise OutboundRefused("The URL has no host name.", field="url")
    port = port or (443 if scheme == "https" else 80)
    try:
        addresses = _resolve(host, port)
    except (OSError, UnicodeError):
        raise OutboundRefused(
            f"“{host}” could not be resolved to an address; check the host name.", field="url"
        ) from None
    if not addresses:
        raise OutboundRefused(f"“{host}” has no address.", field="url")
    allowed = _allowed_networks()
    for text in addresses:
        address = ipaddress.ip_address(text.split("%", 1)[0])
        if is_internal(address) and not any(address in net for net in allowed):
            raise OutboundRefused(
                f"“{host}” points inside ({address}): loopback, private, link-local, "
                "multicast and reserved addresses are refused. An operator can allow a "
                "network with WEBHOOK_ALLOWED_NETWORKS.",
                field="url",
            )
    path = parts.path or "/"
    if parts.query:
        path += f"?{parts.query}"
    return Target(scheme=scheme, host=host, port=port, address=addresses[0], path=path)


class _PinnedHTTPConnection(http.client.HTTPConnection):
    """Connects to the vetted address while naming the host in the request."""

    def __init__(self, target: Target, timeout: float):
        super().__init__(target.host, target.port, timeout=timeout)
        self._address = target.address

    def connect(self):
        self.sock = socket.create_connection((self._address, self.port), self.timeout)


class _PinnedHTTPSConnection(http.client.HTTPSConnection):
    def __init__(self, target: Target, timeout: float):
        super().__init__(
            target.host, target.port, timeout=timeout, context=ssl.create_default_context()
        )
        self._address = target.address

    def connect(self):
        sock = socket.create_connection((self._address, self.port), self.timeout)
        self.sock = self._context.wrap_socket(sock, server_hostname=self.host)


@dataclass(frozen=True)
class Response:
    status: int
    body: bytes


def post(url: str, *, body: bytes, headers: dict[str, str], timeout: float) -> Response:
    """POST `body` to `url` after checking it; no redirects, a capped read.

    Raises `OutboundRefused` for a URL that points inside and `OSError` for network
    failures; any status code (a 3xx included, never followed) is returned.
    """
    target = check_url(url)
    cls = _PinnedHTTPSConnection if target.scheme == "https" else _PinnedHTTPConnection
    connection = cls(target, timeout)
    try:
        connection.request("POST", target.path, body=body, headers=headers)
        response = connection.getresponse()
        limit = getattr(settings, "WEBHOOK_MAX_RESPONSE_BYTES", 64 * 1024)
        data = response.read(limit)
        return Response(status=response.status, body=data)
    finally:
        connection.close()
