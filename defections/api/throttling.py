"""The anonymous rate, per client address as the login lockout sees it (PROXY_COUNT)."""

from rest_framework import throttling

from defections.client_ip import client_ip


class AnonRateThrottle(throttling.AnonRateThrottle):
    def get_ident(self, request):
        return client_ip(request)
