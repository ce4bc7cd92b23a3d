import gc
import os

from django.conf import settings
from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")


def read_unread_body(app):
    """Read the rest of the request body before the answer goes out.

    The app answers some requests without reading their body: a 401 or 413 to an upload. A
    sync gunicorn worker then closes the connection with the body still unread, the kernel
    resets it, and nginx, still passing the body on, reports a 502 instead of the app's
    answer. Behind nginx the body is already complete and capped (deploy/nginx.conf), so
    reading it off the loopback connection costs milliseconds; a body larger than any the
    app accepts is left alone.
    """

    def application(environ, start_response):
        response = app(environ, start_response)
        try:
            remaining = int(environ.get("CONTENT_LENGTH") or 0)
        except ValueError:
            remaining = 0
        if remaining > settings.MAX_UPLOAD_REQUEST_BYTES:
            return response
        stream = environ["wsgi.input"]
        while remaining > 0 and (chunk := stream.read(min(remaining, 65536))):
            remaining -= len(chunk)
        return response

    return application


application = read_unread_body(get_wsgi_application())

# What is loaded by now lives as long as the process: the garbage collector need not walk it
# again at every full collection. Without this, a body of 100,000 tiny JSON arrays or objects
# (still under the 256 KiB cap) sets off full walks of all of Django while it is decoded:
# tens of milliseconds more per request.
gc.freeze()
