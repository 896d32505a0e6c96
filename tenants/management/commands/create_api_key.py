"""`manage.py create_api_key <org> <project> --name N --scopes ingest,read`: prints only the key."""

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from tenants import audit
from tenants.models import ApiKey, AuditAction, Project, Scope


class Command(BaseCommand):
    help = "Create a project API key and print it (only the key, for scripts)."

    def add_arguments(self, parser) -> None:
        parser.add_argument("org_slug")
        parser.add_argument("project_slug")
        parser.add_argument("--name", default="command line")
        parser.add_argument("--scopes", default="ingest,read")

    def handle(self, *args, org_slug: str, project_slug: str, name: str, scopes: str, **opts):
        wanted = [s.strip() for s in scopes.split(",") if s.strip()]
        unknown = sorted(set(wanted) - set(Scope.values))
        if unknown or not wanted:
            raise CommandError(
                f"Unknown scope(s): {', '.join(unknown) or '(none given)'}; "
                f"use {', '.join(Scope.values)}."
            )
        project = (
            Project.objects.filter(organization__slug=org_slug, slug=project_slug)
            .select_related("organization")
            .first()
        )
        if project is None:
            raise CommandError(f"No project “{project_slug}” in organization “{org_slug}”.")
        with transaction.atomic():
            key, plaintext = ApiKey.create_for(project, name, wanted)
            # Changes made from the command line show in the audit log like any other.
            audit.record(
                project.organization,
                None,
                AuditAction.KEY_CREATED,
                key.name,
                project=project.slug,
                prefix=key.prefix,
                scopes=key.scopes,
                via="manage.py create_api_key",
            )
        self.stdout.write(plaintext)
