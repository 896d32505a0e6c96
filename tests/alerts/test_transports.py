"""Every channel kind against a local server that speaks its protocol, with the real client
library where there is one (slack_sdk, standardwebhooks, apprise, smtplib/aiosmtpd)."""

from __future__ import annotations

import email
import json

import pytest
from standardwebhooks.webhooks import Webhook

from alerts.channels import send_test_notification
from alerts.models import Delivery
from tests.alerts.receivers import Answer, Receiver, SmtpServer, slack_api_answer

pytestmark = pytest.mark.django_db


def first_trigger(incident):
    return incident.deliveries.get(kind=Delivery.Kind.TRIGGER)


def test_slack_webhook_gets_block_kit_with_the_rule_value_and_links(
    violated_chart, make_channel, make_rule, fire
):
    with Receiver() as slack:
        channel = make_channel("slack", {"webhook_url": slack.url + "/services/T/B/X"})
        make_rule([channel], name="Latency watch")
        [incident] = fire(violated_chart)
    assert first_trigger(incident).status == Delivery.Status.SENT
    [request] = slack.requests
    assert request.path == "/services/T/B/X"
    message = request.json()
    text = json.dumps(message["blocks"])
    assert "Beyond 3σ" in message["blocks"][0]["text"]["text"]
    assert "9,000 ms" in text and "usual range" in text
    assert f"/incidents/{incident.pk}/" in text
    assert "/alerts/charts/" in text  # the chart picture's link (a loopback URL: as a link)
    assert "/alerts/ack/" in text


def test_slack_bot_token_posts_through_slack_sdk_chat_post_message(
    violated_chart, make_channel, make_rule, fire, settings
):
    with Receiver(default=slack_api_answer) as api:
        settings.LLMSCOPE_SLACK_API_URL = api.url + "/api/"
        channel = make_channel("slack", {"bot_token": "xoxb-test-token"}, {"channel": "#alerts"})
        make_rule([channel])
        [incident] = fire(violated_chart)
    assert first_trigger(incident).status == Delivery.Status.SENT
    [request] = api.requests
    assert request.path == "/api/chat.postMessage"
    assert request.headers["Authorization"] == "Bearer xoxb-test-token"
    body = request.json() if request.body.startswith(b"{") else None
    assert body["channel"] == "#alerts" and body["blocks"][0]["type"] == "header"


def test_slack_api_error_is_shown_as_the_outcome(make_channel, settings):
    error = Answer(200, b'{"ok": false, "error": "channel_not_found"}',
                   {"Content-Type": "application/json"})  # fmt: skip
    with Receiver(default=error) as api:
        settings.LLMSCOPE_SLACK_API_URL = api.url + "/api/"
        channel = make_channel("slack", {"bot_token": "xoxb-1"}, {"channel": "#nope"})
        delivery = send_test_notification(channel)
    assert delivery.status == Delivery.Status.FAILED
    assert "channel_not_found" in delivery.error


def test_webhook_is_signed_per_standard_webhooks_and_verifies(
    violated_chart, make_channel, make_rule, fire, webhook_secret
):
    with Receiver() as receiver:
        channel = make_channel(
            "webhook",
            {"url": receiver.url + "/hook", "signing_secret": webhook_secret,
             "headers": json.dumps({"X-Team": "sre"})},
        )  # fmt: skip
        make_rule([channel])
        [incident] = fire(violated_chart)
    [request] = receiver.requests
    payload = Webhook(webhook_secret).verify(request.body, request.headers)
    assert payload["schema"] == "llmscope.notification" and payload["schema_version"] == 1
    assert payload["type"] == "incident.opened"
    assert payload["incident"]["id"] == incident.pk
    assert request.headers["webhook-id"] == str(first_trigger(incident).idempotency_key)
    assert request.headers["X-Team"] == "sre"


def test_a_tampered_webhook_body_fails_verification(make_channel, webhook_secret):
    from standardwebhooks.webhooks import WebhookVerificationError

    with Receiver() as receiver:
        channel = make_channel(
            "webhook", {"url": receiver.url + "/hook", "signing_secret": webhook_secret}
        )
        send_test_notification(channel)
    [request] = receiver.requests
    with pytest.raises(WebhookVerificationError):
        Webhook(webhook_secret).verify(request.body.replace(b"test", b"tost"), request.headers)


def test_discord_gets_an_embed(violated_chart, make_channel, make_rule, fire):
    with Receiver(default=Answer(204, b"")) as discord:
        channel = make_channel("discord", {"webhook_url": discord.url + "/api/webhooks/1/abc"})
        make_rule([channel])
        [incident] = fire(violated_chart)
    embed = discord.requests[0].json()["embeds"][0]
    assert embed["title"].endswith("Beyond 3σ")
    assert embed["url"].endswith(f"/incidents/{incident.pk}/")
    assert "/alerts/charts/" in embed["image"]["url"]
    assert embed["color"] == 0xD93025
    assert first_trigger(incident).response_code == 204


def test_teams_gets_an_adaptive_card(violated_chart, make_channel, make_rule, fire):
    with Receiver(default=Answer(202, b"")) as teams:
        channel = make_channel("teams", {"webhook_url": teams.url + "/workflows/x"})
        make_rule([channel])
        fire(violated_chart)
    attachment = teams.requests[0].json()["attachments"][0]
    assert attachment["contentType"] == "application/vnd.microsoft.card.adaptive"
    card = attachment["content"]
    assert card["type"] == "AdaptiveCard"
    assert any(b["type"] == "FactSet" for b in card["body"])
    assert any(b["type"] == "Image" for b in card["body"])
    assert [a["title"] for a in card["actions"]] == ["Open the incident", "Acknowledge"]


def test_pagerduty_follows_the_incident_trigger_acknowledge_resolve(
    violated_chart,
    make_channel,
    make_rule,
    fire,
    settings,
    owner,
    django_capture_on_commit_callbacks,
):
    from alerts.incidents import resolve_incident

    accepted = Answer(202, b'{"status":"success","message":"Event processed"}',
                      {"Content-Type": "application/json"})  # fmt: skip
    with Receiver(default=accepted) as pagerduty:
        settings.LLMSCOPE_PAGERDUTY_EVENTS_URL = pagerduty.url + "/v2/enqueue"
        channel = make_channel("pagerduty", {"routing_key": "R" * 32})
        make_rule([channel])
        [incident] = fire(violated_chart)
        with django_capture_on_commit_callbacks(execute=True):
            incident.acknowledge(owner)
        with django_capture_on_commit_callbacks(execute=True):
            resolve_incident(incident, "the chart is back in control")
    events = [r.json() for r in pagerduty.requests]
    assert [e["event_action"] for e in events] == ["trigger", "acknowledge", "resolve"]
    assert {e["dedup_key"] for e in events} == {f"llmscope-incident-{incident.pk}"}
    assert events[0]["routing_key"] == "R" * 32
    assert events[0]["payload"]["severity"] == "critical"
    assert "Beyond 3σ" in events[0]["payload"]["summary"]


def test_apprise_posts_to_a_local_json_endpoint(violated_chart, make_channel, make_rule, fire):
    with Receiver() as receiver:
        port = receiver.url.rsplit(":", 1)[1]
        channel = make_channel("apprise", {"url": f"json://127.0.0.1:{port}/notify"})
        make_rule([channel])
        [incident] = fire(violated_chart)
    assert first_trigger(incident).status == Delivery.Status.SENT
    body = receiver.requests[0].json()
    assert receiver.requests[0].path == "/notify"
    assert body["title"].endswith("Beyond 3σ")
    assert f"/incidents/{incident.pk}/" in body["message"]


def test_apprise_failure_is_reported(make_channel):
    with Receiver(default=Answer(500, b"boom")) as receiver:
        port = receiver.url.rsplit(":", 1)[1]
        channel = make_channel("apprise", {"url": f"json://127.0.0.1:{port}/notify"})
        delivery = send_test_notification(channel)
    assert delivery.status == Delivery.Status.FAILED and delivery.error


def test_email_through_a_real_smtp_server_has_text_html_and_the_inline_chart(
    violated_chart, make_channel, make_rule, fire, settings, member
):
    with SmtpServer() as smtp:
        settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
        settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", smtp.port
        settings.EMAIL_USE_TLS = False
        channel = make_channel(
            "email", config={"member_ids": [member.pk], "addresses": ["oncall@example.com"]}
        )
        make_rule([channel])
        [incident] = fire(violated_chart)
    assert first_trigger(incident).status == Delivery.Status.SENT
    [envelope] = smtp.messages
    assert sorted(envelope.rcpt_tos) == ["member@example.com", "oncall@example.com"]
    message = email.message_from_bytes(envelope.content)
    assert "Beyond 3σ" in str(
        email.header.make_header(email.header.decode_header(message["Subject"]))
    )
    parts = {p.get_content_type(): p for p in message.walk()}
    assert "text/plain" in parts and "text/html" in parts
    assert "cid:chart@llmscope" in parts["text/html"].get_payload(decode=True).decode()
    png = parts["image/png"]
    assert png["Content-ID"] == "<chart@llmscope>"
    assert png.get_payload(decode=True).startswith(b"\x89PNG")
    assert f"/incidents/{incident.pk}/" in parts["text/plain"].get_payload(decode=True).decode()


def test_email_to_a_member_who_left_is_not_sent_to_them(make_channel, member, organization):
    from tenants.models import Membership

    channel = make_channel("email", config={"member_ids": [member.pk], "addresses": []})
    Membership.objects.filter(user=member, organization=organization).delete()
    delivery = send_test_notification(channel)
    assert delivery.status == Delivery.Status.FAILED
    assert "No recipients" in delivery.error
