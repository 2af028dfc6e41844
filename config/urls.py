"""URL prefixes of the surfaces: portal, review queue, finance, public pages, staff, API.

This is the top floor, the one module that imports every app: it composes their
URLconfs (as modules, so lint-imports sees each one) and hands the approvals pages what
publicity adds to them (`approvals.urls.urls`).
"""

from allauth import urls as allauth_urls
from allauth.account.decorators import secure_admin_login
from django.contrib import admin
from django.urls import include, path

from api import urls as api_urls
from approvals import urls as approvals_urls
from audit import urls as audit_urls
from compensation import urls as compensation_urls
from core import mfa as core_mfa
from core import views as core_views
from feedback import urls as feedback_urls
from integrations import urls as integrations_urls
from labour import urls as labour_urls
from ops import views as ops_views
from participants import urls as participants_urls
from portal import urls as portal_urls
from programs import accounts as account_emails
from programs import urls as programs_urls
from provenance import parts as provenance_parts
from provenance import urls as provenance_urls
from publicity import parts as publicity_parts
from publicity import urls as publicity_urls
from recourse import urls as recourse_urls
from staff import urls as staff_urls
from transparency import urls as transparency_urls

# Admin log-in goes through allauth: the same rate limits (429 and a cool-off
# after repeated failures) and the same MFA as every other log-in.
admin.autodiscover()
admin.site.login = secure_admin_login(admin.site.login)
admin.site.site_header = "Terms & Testers configuration"

# Requests Django refuses before a view runs (too many files, fields or bytes) get a message.
handler400 = core_views.bad_request

urlpatterns = [
    path("", core_views.home, name="home"),
    path("healthz", ops_views.healthz, name="healthz"),
    path("healthz/ready", ops_views.ready, name="healthz_ready"),
    path("metrics", ops_views.metrics_view, name="metrics"),
    path("session/", core_views.session_check, name="session_check"),
    path("accounts/login/", core_views.LoginView.as_view(), name="account_login"),
    # Before allauth's own: setting up two-factor first needs a code from the inbox.
    path("accounts/2fa/totp/activate/", core_mfa.activate_totp, name="mfa_activate_totp"),
    # Before allauth's own: email is an authentication factor (staff need two-factor first,
    # the primary address needs the second factor again and can be undone from the old one).
    path("accounts/email/", account_emails.email, name="account_email"),
    path("accounts/time-zone/", core_views.time_zone, name="account_time_zone"),
    path("accounts/email/undo/<str:token>/", account_emails.email_undo, name="account_email_undo"),
    path("accounts/", include(allauth_urls)),
    path("notifications/", core_views.my_notifications, name="my_notifications"),
    path("language/", core_views.set_language, name="set_language"),
    # Before programs: its programmes/<slug>/... must not take programmes/compare/.
    path("", include(transparency_urls)),
    path("", include(staff_urls)),  # /staff/: what needs attention
    path("", include(programs_urls)),
    path("", include(integrations_urls)),  # /staff/programmes/<slug>/webhooks/
    path("", include(portal_urls)),
    path("", include(participants_urls)),
    path("", include(labour_urls)),
    path("tickets/", include(feedback_urls)),
    path(
        "",
        include(
            approvals_urls.urls(
                output_parts=[publicity_parts.output_part, provenance_parts.output_part]
            )
        ),
    ),
    path("", include(compensation_urls)),
    path("", include(publicity_urls)),
    path("", include(recourse_urls)),  # /contests/: recourse against decisions
    path("", include(provenance_urls)),  # consent registry, TDMRep, signed copies
    path("audit/", include(audit_urls)),
    path("", include(api_urls)),  # /api/v1/, /api/schema/, /api/docs/, /portal/tokens/
    path("admin/", admin.site.urls),
]

# MEDIA_ROOT is never served as such, not even with DEBUG on: every uploaded file goes out
# through the one checked download path (programs.downloads).
