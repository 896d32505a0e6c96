"""ASGI application: Django over HTTP, Channels consumers over WebSocket.

The Django app is built before routing is imported, so that models are ready when the
consumers' modules load.
"""

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "llmscope_site.settings")
django_asgi_app = get_asgi_application()

from channels.auth import AuthMiddlewareStack  # noqa: E402
from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from channels.security.websocket import AllowedHostsOriginValidator  # noqa: E402

from llmscope_site import log_redaction  # noqa: E402
from llmscope_site.routing import websocket_urlpatterns  # noqa: E402

# After the server configured its logging: invitation tokens stay out of the access log.
log_redaction.install()

application = ProtocolTypeRouter(
    {
        "http": django_asgi_app,
        "websocket": AllowedHostsOriginValidator(
            AuthMiddlewareStack(URLRouter(websocket_urlpatterns))
        ),
    }
)
