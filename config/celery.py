"""The Celery application (contract section 13): `celery -A config worker` and
`celery -A config beat` find it here as `config.celery:app`.

Its configuration is the `CELERY_*` part of Django's settings ("Background jobs" at the end
of config/settings.py); every task inherits the retry rules of `config.tasks.Task`.
"""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

app = Celery("yayin", task_cls="config.tasks:Task")
app.config_from_object("django.conf:settings", namespace="CELERY")
# Finds `tasks.py` in every installed app once Django is set up (livestreams.tasks, ...).
app.autodiscover_tasks()
# Packages inside an app hold their own tasks.py too.
app.autodiscover_tasks(["users.notifications"])
