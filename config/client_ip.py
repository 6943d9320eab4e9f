"""The client's address, from X-Forwarded-For only when a trusted proxy is configured.

Behind a proxy every request comes from the proxy's address, so the login lockout (django-axes,
``AXES_CLIENT_IP_CALLABLE``) would lock everyone out together. With ``TRUSTED_PROXY_COUNT=N``
(the number of proxies in front of the app, each appending to X-Forwarded-For) the client is the
N-th address from the right: what the outermost trusted proxy saw. Addresses further left were
sent by the client and are not trusted. Without the setting, or when the header has fewer
entries than that or a malformed one, it is REMOTE_ADDR: a client cannot pick its own address.
"""
from __future__ import annotations

import ipaddress

from django.conf import settings
from django.http import HttpRequest


def client_ip(request: HttpRequest) -> str | None:
    remote = request.META.get("REMOTE_ADDR")
    count = int(getattr(settings, "TRUSTED_PROXY_COUNT", 0) or 0)
    if count <= 0:
        return remote
    hops = [hop.strip() for hop in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if hop.strip()]
    if len(hops) < count:
        return remote
    candidate = hops[-count]
    try:
        return str(ipaddress.ip_address(candidate))
    except ValueError:
        return remote
