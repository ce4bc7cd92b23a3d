"""The ASGI application: Socket.IO at `/socket.io/` (contract section 9), Django for the rest.

Django is set up (`get_asgi_application`) before the socket server is imported, since the
server's modules import models. The REST views stay sync; Django runs them in threads as
under any ASGI server. The ASGI lifespan starts and stops the socket server's ticker.
"""

import os

import socketio
from django.conf import settings
from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
django_application = get_asgi_application()

from config.asgi_threads import RequestThreads  # noqa: E402
from livestreams.realtime.server import runtime, sio  # noqa: E402  (needs Django set up)

# Each HTTP request's sync code on one of a fixed set of threads (config/asgi_threads.py):
# without it every request opens a database connection and keeps it open.
django_application = RequestThreads(django_application, size=settings.ASGI_REQUEST_THREADS)

application = socketio.ASGIApp(
    sio,
    other_asgi_app=django_application,
    socketio_path="socket.io",
    on_startup=runtime.start,
    on_shutdown=runtime.stop,
)
