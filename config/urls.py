"""URL prefixes of the surfaces: portal, review queue, finance, public pages, staff, API."""

from allauth.account.decorators import secure_admin_login
from django.conf import settings
from django.contrib import admin
from django.urls import include, path

from core import views as core_views

# Admin log-in goes through allauth: the same rate limits (429 and a cool-off
# after repeated failures) and the same MFA as every other log-in.
admin.autodiscover()
admin.site.login = secure_admin_login(admin.site.login)
admin.site.site_header = "Terms & Testers configuration"

# Requests Django refuses before a view runs (too many files, fields or bytes) get a message.
handler400 = "core.views.bad_request"

urlpatterns = [
    path("", core_views.home, name="home"),
    path("healthz", core_views.healthz, name="healthz"),
    path("accounts/login/", core_views.LoginView.as_view(), name="account_login"),
    path("accounts/", include("allauth.urls")),
    path("notifications/", core_views.my_notifications, name="my_notifications"),
    # Before programs: its programmes/<slug>/... must not take programmes/compare/.
    path("", include("transparency.urls")),
    path("programmes/", include("programs.urls")),
    path("staff/", include("programs.staff_urls")),
    path("", include("integrations.urls")),  # /staff/programmes/<slug>/webhooks/
    path("", include("portal.urls")),
    path("", include("participants.urls")),
    path("", include("labour.urls")),
    path("tickets/", include("feedback.urls")),
    path("", include("approvals.urls")),
    path("finance/", include("compensation.urls")),
    path("statement/", include("compensation.portal_urls")),
    path("audit/", include("audit.urls")),
    path("", include("api.urls")),  # /api/v1/, /api/schema/, /api/docs/, /portal/tokens/
    path("admin/", admin.site.urls),
]

if settings.DEBUG:
    from django.conf.urls.static import static

    urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)
