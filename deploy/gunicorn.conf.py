"""gunicorn behind nginx (deploy/nginx.conf, deploy/README.md).

    .venv/bin/gunicorn -c deploy/gunicorn.conf.py config.wsgi:application

Command-line options win over these (the smoke run passes its own --bind and --workers).
"""

import os

# Loopback only: nginx is the one client. WEB_CONCURRENCY is gunicorn's own variable.
bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000")
workers = int(os.environ.get("WEB_CONCURRENCY", "4"))
worker_class = "sync"
timeout = 30  # nginx's proxy_read_timeout is 35 s
graceful_timeout = 30

# nginx refuses a request line or a header line over 4 KB itself, with JSON (414, 431).
# gunicorn's limits sit above what nginx lets through, so gunicorn's own HTML error pages
# never reach a client: the longest request line it accepts, the longest header, and as many
# header lines as fit in nginx's header buffers.
limit_request_line = 8190
limit_request_field_size = 8190
limit_request_fields = 32768

# gunicorn never decides the scheme from a header: Django does, and believes
# X-Forwarded-Proto only when DJANGO_NUM_PROXIES says a proxy is in front (nginx sets it).
# gunicorn's own default would believe it from any client on this machine.
secure_scheme_headers = {}
forwarded_allow_ips = ""
accesslog = "-"
# No runtime control socket (gunicorn >= 25.1 opens one in $HOME by default; older versions
# ignore the name).
control_socket_disable = True
