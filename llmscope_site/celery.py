"""The Celery app. With REDIS_URL it uses Redis as the broker and runs in separate worker and
beat processes; without it (embedded mode) tasks run eagerly in-process and the beat schedule
is driven inside the web process by `manage.py serve` (see llmscope_site/embedded_beat.py)."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "llmscope_site.settings")

app = Celery("llmscope")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
