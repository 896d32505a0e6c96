"""Tenant pages: home, organizations, members and invitations, projects, API keys, audit log."""
