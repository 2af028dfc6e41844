"""Who may read the metrics and the deep health: never the public.

A request is let in when it carries `Authorization: Bearer <METRICS_TOKEN>` or comes from
a network in METRICS_ALLOWED_NETWORKS (the development default is loopback; production has
none). The web asks with the client's address as core.clientip reads it; the worker's and
beat's metrics ports (ops.serve) ask with the peer's address.
"""

import hmac
import ipaddress

from django.conf import settings

REFUSAL = (
    "Metrics are not public: send METRICS_TOKEN as a Bearer token, or scrape from a network "
    "listed in METRICS_ALLOWED_NETWORKS."
)


def allowed(*, authorization: str, address: str) -> bool:
    token = settings.METRICS_TOKEN
    scheme, _, value = (authorization or "").partition(" ")
    if token and scheme.lower() == "bearer":
        if hmac.compare_digest(value.strip().encode(), token.encode()):
            return True
    try:
        ip = ipaddress.ip_address((address or "").split("%", 1)[0])
    except ValueError:
        return False
    if ip.version == 6 and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return any(
        ip in ipaddress.ip_network(net.strip(), strict=False)
        for net in settings.METRICS_ALLOWED_NETWORKS
        if net.strip()
    )
