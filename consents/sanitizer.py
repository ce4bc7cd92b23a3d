"""The one HTML policy for legal documents, whoever wrote them (admin, command, import).

An allow-list, through nh3 (the Rust `ammonia` sanitizer): text structure, lists, tables and
links survive; scripts, styles, event handlers, forms, frames, objects, embeds, SVG/MathML and
every image are gone. Images are dropped outright rather than filtered by source: a legal page
opened in a WebView must not call out to third parties, and a `data:` image is not worth the
parsing risk. `style`/`class` attributes are dropped too (CSS `url()` can fetch remote files).
"""

import nh3

ALLOWED_TAGS = {
    "a",
    "abbr",
    "article",
    "b",
    "blockquote",
    "br",
    "caption",
    "code",
    "dd",
    "div",
    "dl",
    "dt",
    "em",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "header",
    "footer",
    "hr",
    "i",
    "li",
    "mark",
    "ol",
    "p",
    "pre",
    "s",
    "section",
    "small",
    "span",
    "strong",
    "sub",
    "sup",
    "table",
    "tbody",
    "td",
    "tfoot",
    "th",
    "thead",
    "tr",
    "u",
    "ul",
}
# Tags removed together with everything inside them (not just unwrapped).
REMOVED_WITH_CONTENT = {
    "script",
    "style",
    "iframe",
    "object",
    "embed",
    "noscript",
    "template",
    "svg",
    "math",
    "form",
    "select",
    "textarea",
    "button",
}
ALLOWED_ATTRIBUTES = {
    "*": {"id", "title", "lang", "dir"},
    "a": {"href", "name"},
    "abbr": {"title"},
    "ol": {"start", "type"},
    "td": {"colspan", "rowspan"},
    "th": {"colspan", "rowspan", "scope"},
}
# No `javascript:`, `data:` or `vbscript:` links; relative links stay (anchors in the page).
URL_SCHEMES = {"https", "http", "mailto", "tel"}


def sanitize_html(html: str) -> str:
    """Return `html` with only the allowed tags, attributes and URL schemes left."""
    return nh3.clean(
        html or "",
        tags=ALLOWED_TAGS,
        clean_content_tags=REMOVED_WITH_CONTENT,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes=URL_SCHEMES,
        link_rel="noopener noreferrer nofollow",
        strip_comments=True,
    ).strip()
