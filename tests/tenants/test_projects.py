"""Projects: create, rename, delete; viewers only look."""

import pytest

from tenants.models import AuditLogEntry, Project


def test_a_member_creates_a_project(client_for, member, organization):
    response = client_for(member).post(
        "/o/acme/projects/new/", {"name": "Search", "slug": "search-api"}
    )
    assert response["Location"] == "/o/acme/p/search-api/"
    assert Project.objects.get(organization=organization).name == "Search"
    assert AuditLogEntry.objects.filter(action="project.created", target="Search").exists()


def test_a_viewer_cannot_create_a_project(client_for, viewer, organization):
    assert client_for(viewer).post("/o/acme/projects/new/", {"name": "X"}).status_code == 403
    assert not Project.objects.exists()


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"name": "", "slug": ""}, "This field is required"),
        ({"name": "A", "slug": "web"}, "already exists"),
        ({"name": "A", "slug": "not a slug!"}, "Enter a valid"),
        ({"name": "x" * 101, "slug": ""}, "at most 100 characters"),
    ],
)
def test_bad_project_input_is_explained(client_for, member, project, data, message):
    response = client_for(member).post("/o/acme/projects/new/", data)
    assert response.status_code == 400
    assert message in response.content.decode()
    assert Project.objects.count() == 1


def test_the_same_slug_is_fine_in_another_organization(project, other_project):
    assert project.slug == other_project.slug


def test_rename_keeps_or_changes_the_slug(client_for, member, project):
    client = client_for(member)
    response = client.post("/o/acme/p/web/settings/", {"name": "Website", "slug": "site"})
    assert response["Location"] == "/o/acme/p/site/settings/"
    project.refresh_from_db()
    assert (project.name, project.slug) == ("Website", "site")


def test_a_viewer_cannot_rename(client_for, viewer, project):
    assert client_for(viewer).post("/o/acme/p/web/settings/", {"name": "X"}).status_code == 403


def test_delete_needs_the_typed_name(client_for, member, project):
    client = client_for(member)
    client.post("/o/acme/p/web/delete/", {"confirm_name": "nope"})
    assert Project.objects.filter(pk=project.pk).exists()
    response = client.post("/o/acme/p/web/delete/", {"confirm_name": "Web"})
    assert response["Location"] == "/o/acme/"
    assert not Project.objects.filter(pk=project.pk).exists()
    assert AuditLogEntry.objects.filter(action="project.deleted", target="Web").exists()
