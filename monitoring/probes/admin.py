from django.contrib import admin

from monitoring.probes.models import Probe


@admin.register(Probe)
class ProbeAdmin(admin.ModelAdmin):
    """Operators see schedules and states; the credential itself never appears, only its tail."""

    list_display = ["name", "project", "provider", "model", "interval_s", "is_paused"]
    list_filter = ["provider", "is_paused"]
    search_fields = ["name", "model", "project__slug", "organization__slug"]
    raw_id_fields = ["organization", "project"]
    readonly_fields = ["credential_last4", "next_run_at", "lease_until", "last_run_at"]
    exclude = ["credential_token"]
