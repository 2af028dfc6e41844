"""Webhooks cannot reach inside: loopback, private, link-local, multicast and reserved
addresses are refused when a manager saves the URL and again at every delivery, in every
form an address can be written; redirects are not followed and answers are read capped."""

import http.server
import threading
import time

import pytest

from core import outbound
from integrations import webhooks
from integrations.models import WebhookAttempt, WebhookDelivery, WebhookEndpoint
from programs import services as programs
from tests.conftest import summarise

INTERNAL_NAMES = {"internal.test": ["127.0.0.1"], "split.test": ["93.184.215.14", "10.1.2.3"]}

TARGETS = [
    "http://127.0.0.1:6379/",  # Redis
    "http://127.0.0.1:5432/",  # PostgreSQL
    "http://localhost:8000/admin/",  # a name that resolves to 127.0.0.1 (/etc/hosts)
    "http://internal.test/hook",  # a DNS name whose answer is 127.0.0.1
    "http://split.test/hook",  # one public and one private answer
    "http://127.1/",  # short form
    "http://2130706433/",  # decimal
    "http://0x7f000001/",  # hex
    "http://0x7f.0.0.1/",  # hex octet
    "http://0177.0.0.1/",  # octal
    "http://0/",  # 0.0.0.0
    "http://0.0.0.0:8000/",
    "http://10.0.0.5/",
    "http://172.16.0.1/",
    "http://192.168.1.1/",
    "http://100.64.0.1/",  # shared address space (carrier NAT)
    "http://169.254.169.254/latest/meta-data/",  # cloud metadata, link-local
    "http://224.0.0.1/",  # multicast
    "http://240.0.0.1/",  # reserved
    "http://255.255.255.255/",
    "http://198.18.0.1/",  # benchmarking range
    "http://[::1]:6379/",
    "http://[::]/",
    "http://[::ffff:127.0.0.1]/",  # IPv4-mapped
    "http://[::ffff:7f00:1]/",
    "http://[64:ff9b::7f00:1]/",  # NAT64 of 127.0.0.1
    "http://[2002:7f00:1::]/",  # 6to4 of 127.0.0.1
    "http://[fe80::1]/",  # link-local
    "http://[fc00::1]/",  # unique local
    "http://[ff02::1]/",  # multicast
    "http://user:pw@example.org/",  # credentials in the URL
    "gopher://example.org/",
    "file:///etc/passwd",
]


@pytest.fixture
def internal_dns(monkeypatch):
    real = outbound._resolve

    def resolve(host, port):
        return INTERNAL_NAMES.get(host) or real(host, port)

    monkeypatch.setattr(outbound, "_resolve", resolve)


def test_every_internal_target_is_refused_on_the_page_and_by_the_service(
    programme, manager, as_user, internal_dns
):
    client = as_user(manager)
    through = []
    for url in TARGETS:
        response = client.post(
            f"/staff/programmes/{programme.slug}/webhooks/",
            {"url": url, "events": ["terms.published"]},
        )
        if response.status_code != 400:
            through.append((url, "page", response.status_code))
        with pytest.raises(outbound.OutboundRefused):
            webhooks.endpoint_create(
                actor=manager, programme=programme, url=url, events=["terms.published"]
            )
    assert through == []
    assert not WebhookEndpoint.objects.exists()
    page = client.post(
        f"/staff/programmes/{programme.slug}/webhooks/",
        {"url": "http://127.0.0.1:6379/", "events": ["terms.published"]},
    ).content.decode()
    assert "points inside (127.0.0.1)" in page
    summarise(inputs=2 * len(TARGETS))
    print(
        f"\nFIGURE SSRF: {len(TARGETS)} internal webhook targets (IPv4, IPv6, decimal, hex, "
        f"octal, names resolving inside) tried on the page and the service, 0 saved"
    )


def test_a_public_https_url_is_accepted(programme, manager, as_user):
    response = as_user(manager).post(
        f"/staff/programmes/{programme.slug}/webhooks/",
        {"url": "https://hooks.example.org/tt", "events": ["terms.published"]},
    )
    assert response.status_code == 200
    assert WebhookEndpoint.objects.get().url == "https://hooks.example.org/tt"


def test_https_is_required_when_the_operator_says_so(programme, manager, as_user, settings):
    settings.WEBHOOK_REQUIRE_HTTPS = True
    response = as_user(manager).post(
        f"/staff/programmes/{programme.slug}/webhooks/",
        {"url": "http://hooks.example.org/tt", "events": ["terms.published"]},
    )
    assert response.status_code == 400
    assert "must start with https://" in response.content.decode()
    assert not WebhookEndpoint.objects.exists()


def test_production_requires_https_by_default():
    import subprocess
    import sys

    code = "from django.conf import settings; print(settings.WEBHOOK_REQUIRE_HTTPS)"
    from tests.core.test_settings import PROD_OK

    env = {
        **PROD_OK,
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "PATH": "/usr/bin:/bin",
    }
    out = subprocess.run(
        [sys.executable, "-c", f"import django; django.setup(); {code}"],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    assert out.stdout.strip() == "True"


class Receiver:
    """A local HTTP server answering every POST with `answer(handler)`."""

    def __init__(self, answer):
        self.hits = 0
        outer = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                self.rfile.read(int(self.headers["Content-Length"]))
                outer.hits += 1
                answer(self)

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_port
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()


def _ok(handler):
    handler.send_response(200)
    handler.end_headers()


def test_a_name_that_moves_inside_after_saving_is_refused_at_delivery(
    programme, manager, as_user, monkeypatch, django_capture_on_commit_callbacks
):
    with Receiver(_ok) as inside:
        url = f"http://rebind.example.org:{inside.port}/hook"
        response = as_user(manager).post(
            f"/staff/programmes/{programme.slug}/webhooks/",
            {"url": url, "events": ["terms.published"]},
        )
        assert response.status_code == 200 and WebhookEndpoint.objects.count() == 1
        # The name's owner now points it at the server itself.
        monkeypatch.setattr(outbound, "_resolve", lambda host, port: ["127.0.0.1"])
        draft = programs.terms_draft_create(actor=manager, programme=programme)
        with django_capture_on_commit_callbacks(execute=True):
            programs.terms_publish(actor=manager, terms=draft)
        assert inside.hits == 0
    attempt = WebhookAttempt.objects.get()
    assert attempt.status_code is None and attempt.error.startswith("Refused:")
    assert "points inside (127.0.0.1)" in attempt.error
    assert WebhookDelivery.objects.get().status == "pending"  # retried later, not delivered
    summarise(inputs=1)
    print("\nFIGURE SSRF: 1 name rebound to 127.0.0.1 after saving, 0 deliveries reached it")


def test_the_operator_can_allow_an_internal_network(
    programme, manager, as_user, settings, django_capture_on_commit_callbacks
):
    settings.WEBHOOK_ALLOWED_NETWORKS = ["127.0.0.0/8"]
    with Receiver(_ok) as inside:
        as_user(manager).post(
            f"/staff/programmes/{programme.slug}/webhooks/",
            {"url": f"http://127.0.0.1:{inside.port}/hook", "events": ["terms.published"]},
        )
        draft = programs.terms_draft_create(actor=manager, programme=programme)
        with django_capture_on_commit_callbacks(execute=True):
            programs.terms_publish(actor=manager, terms=draft)
        assert inside.hits == 1
    assert WebhookDelivery.objects.get().status == "delivered"


def test_a_redirect_is_not_followed(
    programme, manager, as_user, settings, django_capture_on_commit_callbacks
):
    settings.WEBHOOK_ALLOWED_NETWORKS = ["127.0.0.1/32"]
    with Receiver(_ok) as target:

        def redirect(handler):
            handler.send_response(307)
            handler.send_header("Location", f"http://127.0.0.1:{target.port}/stolen")
            handler.end_headers()

        with Receiver(redirect) as first:
            as_user(manager).post(
                f"/staff/programmes/{programme.slug}/webhooks/",
                {"url": f"http://127.0.0.1:{first.port}/hook", "events": ["terms.published"]},
            )
            draft = programs.terms_draft_create(actor=manager, programme=programme)
            with django_capture_on_commit_callbacks(execute=True):
                programs.terms_publish(actor=manager, terms=draft)
            assert first.hits == 1
        assert target.hits == 0
    attempt = WebhookAttempt.objects.get()
    assert attempt.status_code == 307 and "not followed" in attempt.error
    assert WebhookDelivery.objects.get().status == "pending"


def test_an_endless_answer_is_read_only_up_to_the_cap(settings):
    settings.WEBHOOK_ALLOWED_NETWORKS = ["127.0.0.1/32"]
    settings.WEBHOOK_MAX_RESPONSE_BYTES = 1000

    def endless(handler):
        handler.send_response(200)
        handler.end_headers()
        try:
            for _ in range(100_000):  # 100 MB if anyone read it all
                handler.wfile.write(b"x" * 1024)
        except OSError:
            pass  # the client hung up, as it should

    with Receiver(endless) as server:
        started = time.monotonic()
        response = outbound.post(
            f"http://127.0.0.1:{server.port}/", body=b"{}", headers={}, timeout=5
        )
        elapsed = time.monotonic() - started
    assert response.status == 200 and len(response.body) == 1000
    assert elapsed < 3
