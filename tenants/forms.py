"""Forms of the tenant pages. Each validates one user action with specific messages."""

from __future__ import annotations

from django import forms
from django.core.validators import validate_slug

from tenants.models import Organization, Project, Role, Scope


class OrganizationForm(forms.Form):
    name = forms.CharField(max_length=100, strip=True, label="Organization name")


class ProjectForm(forms.Form):
    name = forms.CharField(max_length=100, strip=True, label="Project name")
    slug = forms.SlugField(
        max_length=50,
        required=False,
        label="URL slug",
        help_text="Letters, digits and hyphens; leave empty to derive it from the name.",
    )

    def __init__(self, *args, organization: Organization, instance: Project | None = None, **kw):
        super().__init__(*args, **kw)
        self.organization = organization
        self.instance = instance

    def clean_slug(self) -> str:
        slug = self.cleaned_data.get("slug", "").lower()
        if not slug:
            return slug
        validate_slug(slug)
        clash = Project.objects.for_organization(self.organization).filter(slug=slug)
        if self.instance is not None:
            clash = clash.exclude(pk=self.instance.pk)
        if clash.exists():
            raise forms.ValidationError(f"A project with the slug “{slug}” already exists here.")
        return slug


class DeleteConfirmationForm(forms.Form):
    """Deleting asks the user to type the name of what goes away."""

    confirm_name = forms.CharField(label="Type the name to confirm")

    def __init__(self, *args, expected: str, **kw):
        super().__init__(*args, **kw)
        self.expected = expected

    def clean_confirm_name(self) -> str:
        value = self.cleaned_data["confirm_name"].strip()
        if value != self.expected:
            raise forms.ValidationError(f"Type “{self.expected}” exactly to confirm.")
        return value


class InvitationForm(forms.Form):
    email = forms.EmailField(label="Email address")
    role = forms.ChoiceField(choices=Role.choices, initial=Role.MEMBER)


class RoleForm(forms.Form):
    role = forms.ChoiceField(choices=Role.choices)


class ApiKeyForm(forms.Form):
    name = forms.CharField(max_length=100, strip=True, label="Key name")
    scopes = forms.MultipleChoiceField(
        choices=Scope.choices,
        widget=forms.CheckboxSelectMultiple,
        initial=[Scope.INGEST],
        error_messages={"required": "Choose at least one scope."},
    )
