"""Every message the code marks for translation has Turkish (contract section 0: messages follow
`X-Language`). The messages are read from the source with `ast`, the translations from the
compiled catalogs Django loads (ours, Django's and DRF's), so a new message without Turkish
fails here instead of reaching a Turkish user in English."""

import ast
import gettext
from pathlib import Path

import django
import rest_framework

ROOT = Path(__file__).resolve().parents[2]
APPS = ("config", "users", "livestreams", "consents")
MARKERS = {"_", "gettext", "gettext_lazy", "pgettext_lazy"}
PLURAL_MARKERS = {"ngettext", "ngettext_lazy"}


def marked_messages() -> dict:
    """Each marked message (a plural one as its catalog key, `(singular, 0)`), and where."""
    found = {}
    for app in APPS:
        for path in sorted((ROOT / app).rglob("*.py")):
            if "migrations" in path.parts:
                continue
            for node in ast.walk(ast.parse(path.read_text())):
                if not (isinstance(node, ast.Call) and node.args):
                    continue
                name = getattr(node.func, "id", getattr(node.func, "attr", None))
                first = node.args[0]
                if not (isinstance(first, ast.Constant) and isinstance(first.value, str)):
                    continue
                where = f"{path.relative_to(ROOT)}:{node.lineno}"
                if name in MARKERS:
                    found.setdefault(first.value, where)
                elif name in PLURAL_MARKERS:
                    found.setdefault((first.value, 0), where)
    return found


def turkish_catalogs() -> list[gettext.GNUTranslations]:
    files = [
        *ROOT.glob("locale/tr/LC_MESSAGES/django.mo"),
        *ROOT.glob("*/locale/tr/LC_MESSAGES/django.mo"),
        *Path(django.__file__).parent.glob("**/locale/tr/LC_MESSAGES/django.mo"),
        *Path(rest_framework.__file__).parent.glob("locale/tr/LC_MESSAGES/django.mo"),
    ]
    catalogs = []
    for file in files:
        with file.open("rb") as handle:
            catalogs.append(gettext.GNUTranslations(handle))
    return catalogs


def test_the_source_has_messages_and_the_catalogs_load():
    assert len(marked_messages()) > 200
    assert len(turkish_catalogs()) > 10


def test_every_marked_message_has_a_turkish_translation():
    catalogs = turkish_catalogs()
    missing = [
        f"{where}: {message!r}"
        for message, where in marked_messages().items()
        if not any(catalog._catalog.get(message) for catalog in catalogs)
    ]
    assert missing == []
