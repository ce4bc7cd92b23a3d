"""`manage.py live_stream_housekeeping`: prepare streams whose start has come, expire
no-shows and end overruns.

Safe to run every minute from cron, and twice at once (see
`livestreams.services.live_stream_housekeeping`). The grace is LIVE_STREAM_GRACE_MINUTES.
"""

from django.core.management.base import BaseCommand
from django.utils.translation import gettext as _

from livestreams.services import live_stream_housekeeping


class Command(BaseCommand):
    help = (
        "Move scheduled streams whose planned start has come to preparing, mark "
        "scheduled/preparing streams that never went live within the grace after their "
        "planned start as expired, and end active streams that ran past their planned end by "
        "more than the grace. Deleted streams are left as they are."
    )

    def handle(self, *args, **options):
        result = live_stream_housekeeping()
        self.stdout.write(
            _("Prepared %(prepared)d, expired %(expired)d and ended %(ended)d live streams.")
            % {"prepared": result.prepared, "expired": result.expired, "ended": result.ended}
        )
