"""`manage.py live_stream_recording --live-stream ID --url URL`: attach a stream's recording
(contract section 5, "Replays"), through the same service as the admin."""

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from config.api.errors import DomainError
from livestreams import services
from livestreams.models import LiveStream


class Command(BaseCommand):
    help = (
        "Attach a recording URL to a live stream and set recording: true, so its replay can "
        "be rented once the stream has ended and the creator has turned the replay on."
    )

    def add_arguments(self, parser):
        parser.add_argument("--live-stream", required=True, help="The live stream's id.")
        parser.add_argument("--url", required=True, help="The recording's http(s) URL.")

    def handle(self, *args, **options):
        live_stream_id = options["live_stream"]
        live_stream = LiveStream.objects.filter(pk=live_stream_id).first()
        if live_stream is None:
            raise CommandError(_("No live stream with the id %(id)s.") % {"id": live_stream_id})
        try:
            live_stream = services.live_stream_recording_attach(
                live_stream=live_stream, url=options["url"]
            )
        except DomainError as error:
            raise CommandError("; ".join(error.messages)) from error
        self.stdout.write(
            _("Recording attached to %(title)s (%(id)s): %(url)s")
            % {"title": live_stream.title, "id": live_stream.pk, "url": live_stream.recording_url}
        )
