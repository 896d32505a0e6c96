"""`manage.py rotate_probe_credentials`: re-encrypt stored probe keys under the newest key.

Rotation: put the new key first in LLMSCOPE_ENCRYPTION_KEY (keeping the old one after it),
deploy, run this command, then drop the old key.
"""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from monitoring.probes.crypto import CredentialUnreadable, rotate_secret
from monitoring.probes.models import Probe


class Command(BaseCommand):
    help = "Re-encrypt every stored probe credential under the first LLMSCOPE_ENCRYPTION_KEY."

    def handle(self, *args, **options) -> None:
        rotated = 0
        unreadable: list[int] = []
        for pk, token in (
            Probe.objects.exclude(credential_token="").values_list("pk", "credential_token")
        ).iterator():
            try:
                new_token = rotate_secret(token)
            except CredentialUnreadable:
                unreadable.append(pk)
                continue
            # Conditional: a credential changed meanwhile by its owner is left as they set it.
            rotated += Probe.objects.filter(pk=pk, credential_token=token).update(
                credential_token=new_token
            )
        self.stdout.write(f"Re-encrypted {rotated} probe credential(s).")
        if unreadable:
            raise CommandError(
                f"{len(unreadable)} credential(s) could not be decrypted with any configured "
                f"key (probe ids {', '.join(map(str, unreadable[:20]))}); keep the old key in "
                "LLMSCOPE_ENCRYPTION_KEY until they are re-entered."
            )
