"""Distribution: folder (atomic), e-mail over STARTTLS to a local aiosmtpd server, webhook to a local
HTTP server; every send recorded, failures retried and visible, a period never sent twice to a recipient,
and a failing SMTP server never loses the digest (it is stored before anything is sent)."""

from __future__ import annotations

import datetime as dt
import email
import json
import socket
import ssl
from datetime import timedelta
from email import policy

import pytest

from mediebild.data.digest_queries import get_digest, list_sends
from mediebild.errors import ConfigError
from mediebild.flows.digest import produce_digest
from mediebild.reports.send import load_send_settings, parse_send_settings, redact_url


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def tls_files(tmp_path):
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID
    import ipaddress

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = dt.datetime.now(dt.timezone.utc)
    cert = (
        x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
        .serial_number(x509.random_serial_number()).not_valid_before(now - timedelta(minutes=5))
        .not_valid_after(now + timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_file, key_file = tmp_path / "cert.pem", tmp_path / "key.pem"
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return cert_file, key_file


@pytest.fixture
def smtp_server(tls_files):
    from aiosmtpd.controller import Controller

    class Inbox:
        def __init__(self):
            self.messages = []

        async def handle_DATA(self, server, session, envelope):
            self.messages.append((envelope.rcpt_tos, envelope.content, session.ssl is not None))
            return "250 OK"

    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(*tls_files)
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=free_port(), tls_context=context, require_starttls=True)
    controller.start()
    try:
        yield controller, inbox, tls_files[0]
    finally:
        controller.stop()


def hour_args(sample):
    return dict(period_start=sample.hour, period_end=sample.hour + timedelta(hours=1),
                now=sample.hour + timedelta(hours=1))


def test_email_over_starttls_with_html_body_and_pdf(hour_store, sample, smtp_server):
    controller, inbox, cert = smtp_server
    settings = parse_send_settings({"retries": 2, "backoff_seconds": 0, "email": {
        "host": "127.0.0.1", "port": controller.port, "from": "mediebild@lan.example.se",
        "to": ["kommunikation@lan.example.se", "tib@region.example.se"], "ca_file": str(cert)}})
    run = produce_digest(hour_store, formats="html,md,pdf", send=True, settings=settings, **hour_args(sample))
    assert [s.status for s in run.sends] == ["delivered", "delivered"]
    assert len(inbox.messages) == 2
    rcpts, content, over_tls = inbox.messages[0]
    assert rcpts == ["kommunikation@lan.example.se"] and over_tls
    message = email.message_from_bytes(content, policy=policy.default)
    assert "Mediebild" in message["Subject"] and "22 mars 2016" in message["Subject"]
    html = message.get_body(("html",)).get_content()
    assert "Läget i siffror" in html and "&lt;script&gt;" in html
    attachments = [p for p in message.iter_attachments() if p.get_content_type() == "application/pdf"]
    assert len(attachments) == 1 and attachments[0].get_content().startswith(b"%PDF")
    # the same period again, even as a new version: nobody gets it twice
    again = produce_digest(hour_store, formats="html,md", send=True, settings=settings, **hour_args(sample))
    assert [s.status for s in again.sends] == ["skipped", "skipped"]
    assert len(inbox.messages) == 2
    rows = list_sends(hour_store.con)
    assert {(r["channel"], r["status"]) for r in rows} == {("email", "delivered")} and len(rows) == 2


def test_failing_smtp_keeps_the_digest_and_records_the_failure(hour_store, sample):
    settings = parse_send_settings({"retries": 3, "backoff_seconds": 0, "email": {
        "host": "127.0.0.1", "port": free_port(), "starttls": False, "from": "a@b.se", "to": ["c@d.se"],
        "timeout": 2}})
    run = produce_digest(hour_store, formats="html,md", send=True, settings=settings, **hour_args(sample))
    assert run.send_failed
    [result] = run.sends
    assert result.status == "failed" and result.attempts == 3 and "Connection" in result.error
    for doc in run.documents:  # stored before the send was tried
        stored = get_digest(hour_store.con, doc["id"])
        assert stored is not None and bytes(stored["body"])
    [row] = list_sends(hour_store.con)
    assert row["status"] == "failed" and row["attempts"] == 3 and row["digest_id"] == run.documents[0]["id"]


def test_webhook_posts_json_with_token_retries_and_never_twice(hour_store, sample, httpserver, monkeypatch):
    monkeypatch.setenv("MEDIEBILD_WEBHOOK_TOKEN", "hemligt-123")
    url = httpserver.url_for("/hook") + "?key=also-secret"
    settings = parse_send_settings({"retries": 2, "backoff_seconds": 0, "webhooks": [{"url": url}]})
    httpserver.expect_request("/hook", method="POST").respond_with_data("nej", status=503)
    httpserver.expect_request("/hook", method="POST").respond_with_data("nej", status=503)
    failed = produce_digest(hour_store, formats="json", send=True, settings=settings, **hour_args(sample))
    assert failed.sends[0].status == "failed" and failed.sends[0].attempts == 2
    assert "503" in failed.sends[0].error and "secret" not in failed.sends[0].error
    httpserver.clear()
    httpserver.expect_request("/hook", method="POST",
                              headers={"Authorization": "Bearer hemligt-123"}).respond_with_json({"ok": True})
    delivered = produce_digest(hour_store, formats="json", send=True, settings=settings, **hour_args(sample))
    assert delivered.sends[0].status == "delivered"
    request, _ = httpserver.log[-1]
    body = json.loads(request.get_data())
    assert body["schema"] == "mediebild.digest/1" and body["kind"] == "digest"
    third = produce_digest(hour_store, formats="json", send=True, settings=settings, **hour_args(sample))
    assert third.sends[0].status == "skipped"
    rows = list_sends(hour_store.con)
    assert [r["status"] for r in sorted(rows, key=lambda r: r["id"])] == ["failed", "delivered"]
    assert all("secret" not in r["recipient"] and "hemligt" not in str(r) for r in rows)


def test_folder_delivery_is_atomic_and_once(hour_store, sample, tmp_path):
    folder = tmp_path / "utskick"
    settings = parse_send_settings({"folder": str(folder)})
    run = produce_digest(hour_store, formats="html,json", send=True, settings=settings, **hour_args(sample))
    assert run.sends[0].status == "delivered"
    names = sorted(p.name for p in folder.iterdir())
    assert names == ["digest-2016-03-22T08-sv-html-v1.html", "digest-2016-03-22T08-sv-json-v1.json"]  # no temp files
    again = produce_digest(hour_store, formats="html,json", send=True, settings=settings, **hour_args(sample))
    assert again.sends[0].status == "skipped" and len(list(folder.iterdir())) == 2


def test_settings_validation_and_loading(tmp_path, monkeypatch):
    with pytest.raises(ConfigError, match="email.to"):
        parse_send_settings({"email": {"host": "x", "from": "a@b.se", "to": []}})
    with pytest.raises(ConfigError, match="webhooks"):
        parse_send_settings({"webhooks": [{"url": "file:///etc/passwd"}]})
    with pytest.raises(ConfigError):
        parse_send_settings({"emial": {}})
    config = tmp_path / "mediebild.toml"
    config.write_text('[send]\nfolder = "ut"\n[send.email]\nhost = "smtp.example.se"\nfrom = "a@b.se"\nto = ["c@d.se"]\n',
                      encoding="utf-8")
    monkeypatch.setenv("MEDIEBILD_CONFIG", str(config))
    loaded = load_send_settings()
    assert loaded.email.port == 587 and loaded.email.starttls and str(loaded.folder) == "ut"
    assert redact_url("https://u:p@h.se:8443/x?token=1#f") == "https://h.se:8443/x"


def test_a_stored_digest_is_sent_later_once_the_server_is_back(hour_store, sample, smtp_server):
    from mediebild.flows.digest import send_stored

    controller, inbox, cert = smtp_server
    email_cfg = {"host": "127.0.0.1", "from": "a@b.se", "to": ["c@d.se"], "ca_file": str(cert), "timeout": 5}
    down = parse_send_settings({"retries": 1, "backoff_seconds": 0, "email": {**email_cfg, "port": free_port()}})
    run = produce_digest(hour_store, formats="html,pdf", send=True, settings=down, **hour_args(sample))
    assert run.send_failed and inbox.messages == []
    up = parse_send_settings({"retries": 1, "backoff_seconds": 0, "email": {**email_cfg, "port": controller.port}})
    [result] = send_stored(hour_store, run.documents[0]["id"], settings=up)
    assert result.status == "delivered" and len(inbox.messages) == 1
    message = email.message_from_bytes(inbox.messages[0][1], policy=policy.default)
    assert [p.get_filename() for p in message.iter_attachments()] == ["digest-2016-03-22T08-sv-pdf-v1.pdf"]
    assert send_stored(hour_store, run.documents[0]["id"], settings=up)[0].status == "skipped"
