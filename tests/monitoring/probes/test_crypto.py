"""Credentials are encrypted at rest, with key rotation."""

from __future__ import annotations

import pytest
from cryptography.fernet import Fernet
from django.core.exceptions import ImproperlyConfigured
from django.db import connection

from monitoring.probes.crypto import (
    CredentialUnreadable,
    decrypt_secret,
    derive_key,
    encrypt_secret,
    rotate_secret,
)
from monitoring.probes.models import Probe

SECRET = "sk-live-abcdefghijklmnop1234"


def test_a_secret_round_trips_and_the_token_does_not_contain_it(settings):
    settings.LLMSCOPE_ENCRYPTION_KEYS = [Fernet.generate_key().decode()]
    token = encrypt_secret(SECRET)
    assert SECRET not in token
    assert decrypt_secret(token) == SECRET


def test_without_a_key_one_is_derived_stably_from_secret_key(settings):
    settings.LLMSCOPE_ENCRYPTION_KEYS = []
    token = encrypt_secret(SECRET)
    assert decrypt_secret(token) == SECRET
    assert derive_key("abc") == derive_key("abc") != derive_key("abd")
    Fernet(derive_key("abc"))  # a valid Fernet key


def test_rotation_keeps_old_tokens_readable_and_reencrypts_under_the_new_key(settings):
    old, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    settings.LLMSCOPE_ENCRYPTION_KEYS = [old]
    token = encrypt_secret(SECRET)

    settings.LLMSCOPE_ENCRYPTION_KEYS = [new, old]
    assert decrypt_secret(token) == SECRET
    rotated = rotate_secret(token)

    settings.LLMSCOPE_ENCRYPTION_KEYS = [new]
    assert decrypt_secret(rotated) == SECRET
    with pytest.raises(CredentialUnreadable):
        decrypt_secret(token)


def test_a_malformed_key_fails_loudly(settings):
    settings.LLMSCOPE_ENCRYPTION_KEYS = ["not-a-fernet-key"]
    with pytest.raises(ImproperlyConfigured, match="key #1 is not a Fernet key"):
        encrypt_secret(SECRET)


@pytest.mark.django_db
def test_the_database_holds_no_plaintext_credential(project):
    probe = Probe(project=project, organization=project.organization, name="p", provider="openai")
    probe.model, probe.prompt = "gpt-4o-mini", "hi"
    probe.set_credential(SECRET)
    probe.save()

    with connection.cursor() as cursor:
        cursor.execute("SELECT * FROM probes_probe WHERE id = %s", [probe.pk])
        row = cursor.fetchone()
    assert not any(SECRET in str(value) for value in row)
    assert probe.credential_last4 == "1234"
    assert Probe.objects.get(pk=probe.pk).credential() == SECRET


@pytest.mark.django_db
def test_the_rotation_command_reencrypts_stored_credentials(project, settings):
    from django.core.management import call_command

    old, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    settings.LLMSCOPE_ENCRYPTION_KEYS = [old]
    probe = Probe(project=project, organization=project.organization, name="p", provider="openai")
    probe.model, probe.prompt = "gpt-4o-mini", "hi"
    probe.set_credential(SECRET)
    probe.save()

    settings.LLMSCOPE_ENCRYPTION_KEYS = [new, old]
    call_command("rotate_probe_credentials")

    settings.LLMSCOPE_ENCRYPTION_KEYS = [new]  # the old key is gone
    assert Probe.objects.get(pk=probe.pk).credential() == SECRET


@pytest.mark.django_db
def test_the_rotation_command_reports_unreadable_credentials(project, settings):
    from django.core.management import CommandError, call_command

    settings.LLMSCOPE_ENCRYPTION_KEYS = [Fernet.generate_key().decode()]
    probe = Probe(project=project, organization=project.organization, name="p", provider="openai")
    probe.model, probe.prompt = "gpt-4o-mini", "hi"
    probe.set_credential(SECRET)
    probe.save()
    settings.LLMSCOPE_ENCRYPTION_KEYS = [Fernet.generate_key().decode()]

    with pytest.raises(CommandError, match="could not be decrypted"):
        call_command("rotate_probe_credentials")
