"""The address a request really came from, for rate limits and security events.

`X-Forwarded-For` is written by whoever sends the request, so it is believed only when the
peer that connected (`REMOTE_ADDR`) is a proxy the operator named in `TRUSTED_PROXIES`.
Then the header is read from the right, skipping the operator's own proxies: the first
address that is not one of them is the client (anything further left was written by the
client and may be invented). With no trusted proxies the header is ignored.
"""

import ipaddress

from django.conf import settings


def _networks():
    return [
        ipaddress.ip_network(net.strip(), strict=False)
        for net in getattr(settings, "TRUSTED_PROXIES", [])
        if net.strip()
    ]


def _address(text: str):
    try:
        return ipaddress.ip_address(text.strip().split("%", 1)[0])
    except ValueError:
        return None


def client_ip(request) -> str:
    """The client's address: the peer, or what the operator's own proxies say it was."""
    peer = request.META.get("REMOTE_ADDR", "") or ""
    trusted = _networks()
    peer_address = _address(peer)
    if not trusted or peer_address is None or not any(peer_address in n for n in trusted):
        return peer
    hops = [h for h in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if h.strip()]
    for hop in reversed(hops):
        address = _address(hop)
        if address is None:
            return peer  # garbage where an address should be: trust nothing beyond the peer
        if not any(address in n for n in trusted):
            return str(address)
    return str(_address(hops[0])) if hops else peer
