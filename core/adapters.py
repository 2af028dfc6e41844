"""allauth's emails (verification, password reset) go through our outbox like every other."""

import uuid

from allauth.account.adapter import DefaultAccountAdapter
from django.contrib.auth import get_user_model

from core.services import notify


class AccountAdapter(DefaultAccountAdapter):
    def send_mail(self, template_prefix, email, context):
        message = self.render_mail(template_prefix, email, context)
        user = get_user_model().objects.filter(email__iexact=email).first()
        notify(
            user=user,
            email=email,
            subject=message.subject,
            body=message.body,
            dedupe_key=f"account:{template_prefix.rsplit('/', 1)[-1]}:{uuid.uuid4().hex}",
        )
