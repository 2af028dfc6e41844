"""The site's URLconf plus pages that refuse on purpose, for tests/core/test_refusals.py."""

from django.urls import path

from config.urls import urlpatterns as site
from core.errors import DomainError, NotAllowed
from programs.policy import StaffMFARequired

REFUSALS = {
    "not-allowed": lambda: NotAllowed("Only the managers of Alpha can do this."),
    "domain": lambda: DomainError("This programme already has a draft; edit that one."),
    "mfa": StaffMFARequired,
}


def refuse(request, kind):
    raise REFUSALS[kind]()


urlpatterns = [
    path("tests/refuse/<str:kind>/", refuse),
    path("api/tests/refuse/<str:kind>/", refuse),
    *site,
]
