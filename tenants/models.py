"""Tenants: organizations, memberships and roles, invitations, projects, API keys, audit log."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import timedelta

from django.conf import settings
from django.db import IntegrityError, models, transaction
from django.utils import timezone
from django.utils.text import slugify


class Role(models.TextChoices):
    OWNER = "owner", "Owner"
    ADMIN = "admin", "Admin"
    MEMBER = "member", "Member"
    VIEWER = "viewer", "Viewer"


# What each role may do. Views ask for a right, never for a role.
ROLE_RIGHTS: dict[str, frozenset[str]] = {
    Role.VIEWER: frozenset({"view"}),
    Role.MEMBER: frozenset({"view", "edit_monitoring"}),
    Role.ADMIN: frozenset(
        {
            "view",
            "edit_monitoring",
            "manage_keys",
            "manage_members",
            "manage_integrations",
            "view_audit_log",
            "rename_organization",
        }
    ),
    Role.OWNER: frozenset(
        {
            "view",
            "edit_monitoring",
            "manage_keys",
            "manage_members",
            "manage_integrations",
            "view_audit_log",
            "manage_billing",
            "delete_organization",
            "manage_owners",
            "rename_organization",
        }
    ),
}


def unique_slug(base: str, taken: models.QuerySet, max_length: int = 50) -> str:
    """A slug from `base` not present in `taken` (a queryset of slug values)."""
    root = (slugify(base) or "org")[: max_length - 4].strip("-") or "org"
    existing = set(taken.filter(slug__startswith=root).values_list("slug", flat=True))
    if root not in existing:
        return root
    for n in range(2, 10_000):
        candidate = f"{root}-{n}"
        if candidate not in existing:
            return candidate
    return f"{root}-{secrets.token_hex(3)}"


class OrganizationQuerySet(models.QuerySet):
    def for_user(self, user) -> OrganizationQuerySet:
        """Organizations the user is a member of."""
        if not user.is_authenticated:
            return self.none()
        return self.filter(memberships__user=user)


class Organization(models.Model):
    """A tenant. Everything a team owns hangs off one organization."""

    name = models.CharField(max_length=100)
    slug = models.SlugField(max_length=50, unique=True)
    created_at = models.DateTimeField(default=timezone.now)

    objects = OrganizationQuerySet.as_manager()

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    @classmethod
    @transaction.atomic
    def create_with_owner(cls, name: str, owner) -> Organization:
        """Create an organization whose first member, `owner`, is its owner."""
        org = cls.objects.create(name=name, slug=unique_slug(name, cls.objects.all()))
        Membership.objects.create(user=owner, organization=org, role=Role.OWNER)
        return org

    def owner_count(self) -> int:
        return self.memberships.filter(role=Role.OWNER).count()


class Membership(models.Model):
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships"
    )
    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="memberships"
    )
    role = models.CharField(max_length=16, choices=Role.choices, default=Role.MEMBER)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "organization"], name="one_membership_per_org")
        ]
        ordering = ["created_at"]

    def __str__(self) -> str:
        return f"{self.user} in {self.organization} ({self.role})"

    def has_right(self, right: str) -> bool:
        return right in ROLE_RIGHTS[self.role]

    @property
    def rights(self) -> frozenset[str]:
        return ROLE_RIGHTS[self.role]


class InvitationQuerySet(models.QuerySet):
    def pending(self) -> InvitationQuerySet:
        return self.filter(accepted_at__isnull=True, expires_at__gt=timezone.now())


def _hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class Invitation(models.Model):
    """A single-use invitation to join an organization, sent to one email address.

    Only the SHA-256 of the token is stored, so a database leak does not leak usable links.
    """

    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="invitations"
    )
    email = models.EmailField()
    role = models.CharField(max_length=16, choices=Role.choices, default=Role.MEMBER)
    token_hash = models.CharField(max_length=64, unique=True)
    invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    accepted_at = models.DateTimeField(null=True, blank=True)
    accepted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    objects = InvitationQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"Invitation of {self.email} to {self.organization}"

    @classmethod
    def create_for(cls, organization: Organization, email: str, role: str, invited_by):
        """Create an invitation; returns (invitation, token). The token is never stored."""
        token = secrets.token_urlsafe(32)
        invitation = cls.objects.create(
            organization=organization,
            email=email.strip().lower(),
            role=role,
            token_hash=_hash_token(token),
            invited_by=invited_by,
            expires_at=timezone.now() + timedelta(days=settings.LLMSCOPE_INVITATION_DAYS),
        )
        return invitation, token

    @classmethod
    def find_by_token(cls, token: str) -> Invitation | None:
        return (
            cls.objects.select_related("organization").filter(token_hash=_hash_token(token)).first()
        )

    @property
    def is_expired(self) -> bool:
        return self.expires_at <= timezone.now()

    @property
    def is_accepted(self) -> bool:
        return self.accepted_at is not None


class ProjectQuerySet(models.QuerySet):
    def for_user(self, user) -> ProjectQuerySet:
        """Projects of the organizations the user belongs to."""
        if not user.is_authenticated:
            return self.none()
        return self.filter(organization__memberships__user=user)

    def for_organization(self, organization: Organization) -> ProjectQuerySet:
        return self.filter(organization=organization)


class Project(models.Model):
    """A monitored LLM application or service inside an organization."""

    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="projects"
    )
    name = models.CharField(max_length=100)
    slug = models.SlugField(max_length=50)
    retention_days = models.PositiveIntegerField(default=30)
    store_prompts = models.BooleanField(
        default=False, help_text="Store prompt and completion text (after PII redaction)."
    )
    # The charts' default false-alarm budget: at most one false alarm per chart per this many
    # days (a chart may set its own).
    false_alarm_budget_days = models.FloatField(default=7.0)
    created_at = models.DateTimeField(default=timezone.now)

    objects = ProjectQuerySet.as_manager()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["organization", "slug"], name="project_slug_per_org")
        ]
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    @classmethod
    def create_in(cls, organization: Organization, name: str, slug: str = "") -> Project:
        taken = cls.objects.filter(organization=organization)
        return cls.objects.create(
            organization=organization,
            name=name,
            slug=slug or unique_slug(name, taken),
        )


class Scope(models.TextChoices):
    INGEST = "ingest", "Ingest (write events)"
    READ = "read", "Read (metrics, charts, violations)"


API_KEY_PREFIX = "lls_"
_LOOKUP_LENGTH = 12  # characters after "lls_" used to find the key row


class ApiKeyQuerySet(models.QuerySet):
    def active(self) -> ApiKeyQuerySet:
        return self.filter(revoked_at__isnull=True)

    def for_project(self, project: Project) -> ApiKeyQuerySet:
        return self.filter(project=project)


class ApiKey(models.Model):
    """A project API key. Shown once; stored as a lookup prefix plus a SHA-256 hash.

    Keys are 43+ characters of randomness, so a fast hash is enough: there is nothing to
    brute-force, unlike a password.
    """

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="api_keys")
    name = models.CharField(max_length=100)
    prefix = models.CharField(max_length=32, unique=True)
    key_hash = models.CharField(max_length=64)
    scopes = models.JSONField(default=list)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(default=timezone.now)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    objects = ApiKeyQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    @classmethod
    def create_for(cls, project: Project, name: str, scopes, created_by=None):
        """Create a key; returns (api_key, plaintext). The plaintext is never stored."""
        scopes = sorted(set(scopes))
        unknown = set(scopes) - set(Scope.values)
        if unknown or not scopes:
            raise ValueError(f"invalid scopes: {sorted(unknown) or 'none given'}")
        for _ in range(5):
            plaintext = API_KEY_PREFIX + secrets.token_urlsafe(36).replace("-", "x").replace(
                "_", "y"
            )
            try:
                with transaction.atomic():
                    key = cls.objects.create(
                        project=project,
                        name=name,
                        prefix=plaintext[: len(API_KEY_PREFIX) + _LOOKUP_LENGTH],
                        key_hash=hashlib.sha256(plaintext.encode()).hexdigest(),
                        scopes=scopes,
                        created_by=created_by,
                    )
                return key, plaintext
            except IntegrityError:  # prefix collision: astronomically rare, try again
                continue
        raise RuntimeError("could not allocate a unique API key prefix")

    @classmethod
    def authenticate(cls, plaintext: str) -> ApiKey | None:
        """The active key matching `plaintext`, or None. Constant-time hash comparison."""
        if not plaintext.startswith(API_KEY_PREFIX) or len(plaintext) < 20 or len(plaintext) > 200:
            return None
        prefix = plaintext[: len(API_KEY_PREFIX) + _LOOKUP_LENGTH]
        key = (
            cls.objects.select_related("project__organization")
            .filter(prefix=prefix, revoked_at__isnull=True)
            .first()
        )
        if key is None:
            return None
        digest = hashlib.sha256(plaintext.encode()).hexdigest()
        return key if hmac.compare_digest(digest, key.key_hash) else None

    @property
    def is_revoked(self) -> bool:
        return self.revoked_at is not None

    def has_scope(self, scope: str) -> bool:
        return scope in self.scopes

    def touch(self) -> None:
        """Record use, at most once per resolution window, with one conditional UPDATE."""
        now = timezone.now()
        stale = now - timedelta(seconds=settings.LLMSCOPE_KEY_LAST_USED_RESOLUTION_S)
        if self.last_used_at is not None and self.last_used_at > stale:
            return
        ApiKey.objects.filter(pk=self.pk).filter(
            models.Q(last_used_at__isnull=True) | models.Q(last_used_at__lte=stale)
        ).update(last_used_at=now)
        self.last_used_at = now

    def revoke(self) -> bool:
        """Revoke the key; False if it already was."""
        now = timezone.now()
        changed = ApiKey.objects.filter(pk=self.pk, revoked_at__isnull=True).update(revoked_at=now)
        if changed:
            self.revoked_at = now
        return bool(changed)


class AuditAction(models.TextChoices):
    ORGANIZATION_CREATED = "organization.created", "Organization created"
    ORGANIZATION_RENAMED = "organization.renamed", "Organization renamed"
    MEMBER_INVITED = "member.invited", "Member invited"
    INVITATION_REVOKED = "invitation.revoked", "Invitation revoked"
    MEMBER_JOINED = "member.joined", "Member joined"
    MEMBER_REMOVED = "member.removed", "Member removed"
    MEMBER_LEFT = "member.left", "Member left"
    ROLE_CHANGED = "member.role_changed", "Role changed"
    KEY_CREATED = "key.created", "API key created"
    KEY_REVOKED = "key.revoked", "API key revoked"
    PROJECT_CREATED = "project.created", "Project created"
    PROJECT_RENAMED = "project.renamed", "Project renamed"
    PROJECT_DELETED = "project.deleted", "Project deleted"


class AuditLogQuerySet(models.QuerySet):
    def for_organization(self, organization: Organization) -> AuditLogQuerySet:
        return self.filter(organization=organization)


class AuditLogEntry(models.Model):
    """Who did what in an organization. Targets are stored as text: they may be deleted."""

    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="audit_log"
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    actor_email = models.CharField(max_length=254, blank=True)
    action = models.CharField(max_length=40, choices=AuditAction.choices)
    target = models.CharField(max_length=200, blank=True)
    data = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    objects = AuditLogQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["organization", "-created_at"])]

    def __str__(self) -> str:
        return f"{self.get_action_display()}: {self.target}"
