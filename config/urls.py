"""URL prefixes of the surfaces: portal, review queue, finance, public pages, staff, API."""

from allauth.account.decorators import secure_admin_login
from django.contrib import admin
from django.urls import include, path

from core import mfa as core_mfa
from core import views as core_views
from programs import accounts as account_emails

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
    path("session/", core_views.session_check, name="session_check"),
    path("accounts/login/", core_views.LoginView.as_view(), name="account_login"),
    # Before allauth's own: setting up two-factor first needs a code from the inbox.
    path("accounts/2fa/totp/activate/", core_mfa.activate_totp, name="mfa_activate_totp"),
    # Before allauth's own: email is an authentication factor (staff need two-factor first,
    # the primary address needs the second factor again and can be undone from the old one).
    path("accounts/email/", account_emails.email, name="account_email"),
    path("accounts/email/undo/<str:token>/", account_emails.email_undo, name="account_email_undo"),
    path("accounts/", include("allauth.urls")),
    path("notifications/", core_views.my_notifications, name="my_notifications"),
    # Before programs: its programmes/<slug>/... must not take programmes/compare/.
    path("", include("transparency.urls")),
    path("", include("programs.urls")),
    path("", include("integrations.urls")),  # /staff/programmes/<slug>/webhooks/
    path("", include("portal.urls")),
    path("", include("participants.urls")),
    path("", include("labour.urls")),
    path("tickets/", include("feedback.urls")),
    path("", include("approvals.urls")),
    path("", include("compensation.urls")),
    path("", include("publicity.urls")),
    path("audit/", include("audit.urls")),
    path("", include("api.urls")),  # /api/v1/, /api/schema/, /api/docs/, /portal/tokens/
    path("admin/", admin.site.urls),
]

# MEDIA_ROOT is never served as such, not even with DEBUG on: every uploaded file goes out
# through the one checked download path (programs.downloads).
