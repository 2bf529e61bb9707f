"""The client's address, for the API throttle and the login lockout alike.

Without a proxy (PROXY_COUNT=0) it is REMOTE_ADDR: X-Forwarded-For is then text that the
client wrote and may rotate at will. Behind PROXY_COUNT proxies, each appends the address it
was called from, so the client's is the PROXY_COUNT-th entry from the right; anything left
of it was written by the client.
"""

from ipaddress import ip_address

from django.conf import settings


def client_ip(request) -> str:
    """The address that proxies we trust vouch for; REMOTE_ADDR when there is none."""
    remote = request.META.get("REMOTE_ADDR", "")
    count = settings.PROXY_COUNT
    entries = request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")
    if count > 0 and len(entries) >= count:
        try:
            return str(ip_address(entries[-count].strip()))
        except ValueError:
            pass  # not an address: no proxy of ours wrote it
    return remote
