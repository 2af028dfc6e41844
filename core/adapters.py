"""allauth's emails (verification, password reset) go through our outbox like every other."""

import uuid

from allauth.account.adapter import DefaultAccountAdapter
from django.conf import settings
from django.contrib.auth import get_user_model

from core.services import notify


class ProductSite:
    """What account emails call "the site": the product's name and the address it serves on."""

    @property
    def name(self) -> str:
        return settings.SITE_NAME

    @property
    def domain(self) -> str:
        return settings.SITE_URL.split("://", 1)[-1]


class AccountAdapter(DefaultAccountAdapter):
    def send_mail(self, template_prefix, email, context):
        context = {
            "email": email,
            "current_site": ProductSite(),
            "request": getattr(self, "request", None),
            **context,
        }
        message = self.render_mail(template_prefix, email, context)
        user = get_user_model().objects.filter(email__iexact=email).first()
        notify(
            user=user,
            email=email,
            subject=message.subject,
            body=message.body,
            dedupe_key=f"account:{template_prefix.rsplit('/', 1)[-1]}:{uuid.uuid4().hex}",
        )
