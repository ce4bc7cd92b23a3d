"""gunicorn behind nginx (deploy/nginx.conf, deploy/README.md), in one of two ways.

REST and Socket.IO: `config.asgi` on a uvicorn worker, one worker per gunicorn, one gunicorn
per core, each on its own port (nginx keeps a client's polling requests on one of them):

    WEB_CONCURRENCY=1 GUNICORN_BIND=127.0.0.1:8001 .venv/bin/gunicorn -c deploy/gunicorn.conf.py \\
        -k uvicorn_worker.UvicornWorker config.asgi:application

REST only: `config.wsgi` on sync workers, about two per core:

    .venv/bin/gunicorn -c deploy/gunicorn.conf.py config.wsgi:application

Command-line options win over these (the smoke run passes its own --bind and --workers).
"""

import os

# Loopback only: nginx is the one client. WEB_CONCURRENCY is gunicorn's own variable.
bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000")
workers = int(os.environ.get("WEB_CONCURRENCY", "4"))
# `-k uvicorn_worker.UvicornWorker` for config.asgi; sync workers serve config.wsgi.
worker_class = "sync"
# A sync worker is killed when one request takes longer (nginx's proxy_read_timeout is 35 s);
# a uvicorn worker when its event loop stops answering gunicorn's heartbeat that long (its
# requests run in threads; nginx's timeouts bound them).
timeout = 30
# On a restart a uvicorn worker closes its websockets at once (close code 1012: the clients
# reconnect) and gives its HTTP requests this long to finish.
graceful_timeout = 30
# How long a connection from nginx may sit idle between two requests (gunicorn's default;
# uvicorn workers take it as their keep-alive timeout). nginx opens one connection per
# request, so it matters only to clients on loopback such as the benchmarks.
keepalive = 2

# nginx refuses a request line or a header line over 4 KB itself, with JSON (414, 431).
# gunicorn's limits sit above what nginx lets through, so gunicorn's own HTML error pages
# never reach a client: the longest request line it accepts, the longest header, and as many
# header lines as fit in nginx's header buffers. (uvicorn's parser has no lower limits.)
limit_request_line = 8190
limit_request_field_size = 8190
limit_request_fields = 32768

# Neither gunicorn nor uvicorn decides the scheme or the client's address from a header:
# Django does, and believes X-Forwarded-Proto and X-Forwarded-For only when
# DJANGO_NUM_PROXIES says a proxy is in front (nginx sets them). gunicorn's own default, and
# uvicorn's (its proxy headers middleware trusts 127.0.0.1), would believe them from any
# client on this machine; an empty list of trusted addresses is what both workers read here.
secure_scheme_headers = {}
forwarded_allow_ips = ""
accesslog = "-"
# No runtime control socket (gunicorn >= 25.1 opens one in $HOME by default; older versions
# ignore the name).
control_socket_disable = True


def on_starting(server):
    """Socket.IO's long-polling keeps a session in the process that opened it, and gunicorn
    hands each request to any of its workers: with uvicorn workers, more than one per
    gunicorn breaks every client that does not go straight to websocket."""
    if "uvicorn" in server.cfg.worker_class_str.lower() and server.cfg.workers > 1:
        server.log.warning(
            "%d uvicorn workers in one gunicorn: Socket.IO long-polling needs one worker per "
            "gunicorn (run one gunicorn per core on its own port; deploy/README.md)",
            server.cfg.workers,
        )
