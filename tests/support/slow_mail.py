"""An email backend that waits before writing, so a test can kill the worker mid-send."""

import os
import time

from django.core.mail.backends.filebased import EmailBackend


class SlowFileBackend(EmailBackend):
    def send_messages(self, email_messages):
        time.sleep(float(os.environ.get("SLOW_MAIL_SECONDS", "5")))
        return super().send_messages(email_messages)
