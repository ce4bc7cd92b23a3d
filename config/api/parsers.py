"""Request parsers: camelCase bodies to snake_case, and a 400 for any body that is not JSON."""

from django.utils.translation import gettext_lazy as _
from djangorestframework_camel_case.parser import CamelCaseJSONParser
from rest_framework.exceptions import ParseError

MALFORMED_JSON = _("The request body is not valid JSON.")
TOO_DEEP = _("The request body is nested too deeply.")


class JSONParser(CamelCaseJSONParser):
    """A malformed body is one clear message (not the decoder's internals), and a body nested
    hundreds of levels deep is a 400 instead of a RecursionError (a 500)."""

    def parse(self, stream, media_type=None, parser_context=None):
        try:
            return super().parse(stream, media_type, parser_context)
        except RecursionError as error:
            raise ParseError(TOO_DEEP) from error
        except ParseError as error:
            raise ParseError(MALFORMED_JSON) from error
