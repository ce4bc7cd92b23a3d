# The Celery application is loaded with Django, so that `@app.task` in the apps' tasks.py
# and `config.tasks.enqueue` always find it (contract section 13).
from config.celery import app as celery_app

__all__ = ("celery_app",)
