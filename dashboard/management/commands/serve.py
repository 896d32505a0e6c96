"""`manage.py serve`: the ASGI server (uvicorn), plus the beat schedule in embedded mode.

In production (REDIS_URL set) this is only the web process; worker and beat run apart.
"""

import uvicorn
from django.conf import settings
from django.core.management.base import BaseCommand

from llmscope_site.embedded_beat import start_embedded_beat


class Command(BaseCommand):
    help = "Serve LLMscope over HTTP and WebSocket (and run the beat schedule when embedded)."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8000)

    def handle(self, *args, host: str, port: int, **options) -> None:
        if settings.EMBEDDED:
            start_embedded_beat()
            self.stdout.write("Embedded mode: tasks and the beat schedule run in this process.")
        self.stdout.write(f"LLMscope on http://{host}:{port}/")
        uvicorn.run(
            "llmscope_site.asgi:application",
            host=host,
            port=port,
            lifespan="off",
            log_level="info",
            proxy_headers=True,
        )
