"""`manage.py live_stream_housekeeping`: expire no-shows and end overruns.

Safe to run every minute from cron, and twice at once (see
`livestreams.services.live_stream_housekeeping`). The grace is LIVE_STREAM_GRACE_MINUTES.
"""

from django.core.management.base import BaseCommand
from django.utils.translation import gettext as _

from livestreams.services import live_stream_housekeeping


class Command(BaseCommand):
    help = (
        "Mark scheduled/preparing streams that never went live within the grace after their "
        "planned start as expired, and end active streams that ran past their planned end by "
        "more than the grace."
    )

    def handle(self, *args, **options):
        result = live_stream_housekeeping()
        self.stdout.write(
            _("Expired %(expired)d and ended %(ended)d live streams.")
            % {"expired": result.expired, "ended": result.ended}
        )
