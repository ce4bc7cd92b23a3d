"""`manage.py publish_legal_document`: publish a legal document version from a file.

So documents can live in version control and a deploy script can publish them:

    manage.py publish_legal_document --type privacy_policy --version 1.2.0 --language tr \
        --title "Gizlilik Politikası" --file body.html --required

The body is sanitized like an admin edit. Publishing an already published (type, version,
language) fails with a non-zero exit status and changes nothing.
"""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from config.api.errors import DomainError
from consents.models import DocumentLanguage, DocumentType
from consents.services import legal_document_publish


class Command(BaseCommand):
    help = "Publish a version of a legal document from an HTML file and make it current."

    def create_parser(self, prog_name, subcommand, **kwargs):
        # The contract's `--version` is the document's; "resolve" lets it replace Django's
        # own `--version` (the Django version) for this command.
        kwargs.setdefault("conflict_handler", "resolve")
        return super().create_parser(prog_name, subcommand, **kwargs)

    def add_arguments(self, parser):
        parser.add_argument("--type", required=True, choices=DocumentType.values)
        parser.add_argument("--version", required=True, help="e.g. 1.2.0")
        parser.add_argument("--language", required=True, choices=DocumentLanguage.values)
        parser.add_argument("--title", required=True)
        parser.add_argument("--file", required=True, type=Path, help="the HTML body (UTF-8)")
        parser.add_argument(
            "--required",
            action="store_true",
            help="users must consent to this document (default: optional)",
        )

    def handle(self, *args, **options):
        path: Path = options["file"]
        try:
            body = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as error:
            raise CommandError(f"Cannot read {path}: {error}") from error
        try:
            document = legal_document_publish(
                document_type=options["type"],
                version=options["version"],
                language=options["language"],
                title=options["title"],
                body_html=body,
                is_required=options["required"],
            )
        except DomainError as error:
            raise CommandError("; ".join(error.messages)) from error
        required = "required" if document.is_required else "optional"
        self.stdout.write(
            self.style.SUCCESS(
                f"Published {document.document_type} {document.version} ({document.language}, "
                f"{required}); it is now the current version."
            )
        )
