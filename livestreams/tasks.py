"""The background tasks of live streams (contract section 13)."""

import logging

from config.celery import app
from livestreams import services

logger = logging.getLogger(__name__)


# Beat starts it every minute (CELERY_BEAT_SCHEDULE). Each change re-checks its condition on
# locked rows, so a retried, redelivered or overlapping run changes nothing twice.
@app.task(soft_time_limit=50, time_limit=60)
def housekeeping() -> None:
    """`manage.py live_stream_housekeeping` as a task: prepare scheduled streams whose start
    has come, expire no-shows and end overruns (`services.live_stream_housekeeping`)."""
    result = services.live_stream_housekeeping()
    logger.info(
        "housekeeping: prepared %d, expired %d and ended %d live streams",
        result.prepared,
        result.expired,
        result.ended,
    )
