"""TDMRep (W3C Text and Data Mining Reservation Protocol) headers on every page and file.

Every response says `tdm-reservation: 1` (text and data mining rights are reserved) and
points `tdm-policy` at the policy (provenance.views.tdm_policy): what a tester allowed, they
allowed to their programme's organiser only, and the programme's consent registry says which
outputs. `/.well-known/tdmrep.json` says the same for every path.
"""

from django.conf import settings
from django.urls import reverse


class TDMRepMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response
        self.policy = None

    def __call__(self, request):
        response = self.get_response(request)
        if self.policy is None:
            self.policy = settings.SITE_URL + reverse("provenance:tdm_policy")
        response.headers.setdefault("tdm-reservation", "1")
        response.headers.setdefault("tdm-policy", self.policy)
        return response
