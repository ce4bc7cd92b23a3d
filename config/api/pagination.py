"""The two list shapes of contract section 0.

- `ArrayPagination`: `data` is a plain array; `X-Total-Count` and `Link` carry the paging.
- `PagePagination`: `data` is `{"list": [...], "pagination": {...}}`.

Both read `page` and `limit` leniently: `page` < 1 or not a number is 1, `limit` < 1 or not
a number is the default, `limit` > 100 is 100. Each runs two queries (count and slice),
whatever the page size.
"""

import math

from django.utils.http import urlencode
from rest_framework.pagination import BasePagination
from rest_framework.response import Response

MAX_LIMIT = 100
# Past this a page number only overflows the database OFFSET; nobody pages that far.
MAX_PAGE = 1_000_000


def _positive_int(raw, default: int) -> int:
    try:
        value = int(raw)
    except (TypeError, ValueError):
        return default
    return value if value >= 1 else default


def read_page_and_limit(query_params, *, default_limit: int, max_limit: int = MAX_LIMIT):
    page = min(_positive_int(query_params.get("page"), 1), MAX_PAGE)
    limit = min(_positive_int(query_params.get("limit"), default_limit), max_limit)
    return page, limit


class _PageNumberMixin(BasePagination):
    default_limit = 20
    max_limit = MAX_LIMIT

    def paginate_queryset(self, queryset, request, view=None):
        self.request = request
        self.page, self.limit = read_page_and_limit(
            request.query_params,
            default_limit=getattr(view, "page_default_limit", self.default_limit),
            max_limit=self.max_limit,
        )
        self.total = queryset.count()
        offset = (self.page - 1) * self.limit
        return list(queryset[offset : offset + self.limit])

    @property
    def total_pages(self) -> int:
        return math.ceil(self.total / self.limit) if self.total else 0

    def get_schema_operation_parameters(self, view):
        default = getattr(view, "page_default_limit", self.default_limit)
        return [page_parameter(), limit_parameter(default=default, maximum=self.max_limit)]


# How the schema describes `page` and `limit`: what `read_page_and_limit` really accepts. Any
# text is taken (a bad value is normalised, never a 400), so the schema type is a string and
# there is no minimum or maximum for a client or a fuzzer to rely on.


def page_parameter() -> dict:
    return {
        "name": "page",
        "in": "query",
        "required": False,
        "description": (
            "Page number, from 1. A value below 1 or not a whole number (`0`, `-3`, `abc`) "
            f"means 1; above {MAX_PAGE:,} means {MAX_PAGE:,}."
        ),
        "schema": {"type": "string", "default": "1"},
    }


def limit_parameter(*, default: int, maximum: int, name: str = "Items") -> dict:
    return {
        "name": "limit",
        "in": "query",
        "required": False,
        "description": (
            f"{name} per page (default {default}, at most {maximum}). A value below 1 or not "
            f"a whole number means {default}; above {maximum} means {maximum}."
        ),
        "schema": {"type": "string", "default": str(default)},
    }


class ArrayPagination(_PageNumberMixin):
    def _page_url(self, page: int) -> str:
        params = self.request.query_params.copy()
        params["page"] = str(page)
        params["limit"] = str(self.limit)
        base = self.request.build_absolute_uri(self.request.path)
        return f"{base}?{urlencode(sorted(params.items()))}"

    def get_paginated_response(self, data):
        links = []
        if self.page < self.total_pages:
            links.append(f'<{self._page_url(self.page + 1)}>; rel="next"')
        if self.page > 1:
            links.append(
                f'<{self._page_url(min(self.page - 1, max(self.total_pages, 1)))}>; rel="prev"'
            )
        headers = {"X-Total-Count": str(self.total)}
        if links:
            headers["Link"] = ", ".join(links)
        return Response(data, headers=headers)

    def get_paginated_response_schema(self, schema):
        return schema


def pagination_meta(*, page: int, limit: int, total: int) -> dict:
    total_pages = math.ceil(total / limit) if total else 0
    return {
        "current_page": page,
        "total_pages": total_pages,
        "total_items": total,
        "items_per_page": limit,
        "has_next_page": page < total_pages,
        "has_prev_page": page > 1,
    }


PAGINATION_META_SCHEMA = {
    "type": "object",
    "properties": {
        "currentPage": {"type": "integer", "example": 1},
        "totalPages": {"type": "integer", "example": 5},
        "totalItems": {"type": "integer", "example": 45},
        "itemsPerPage": {"type": "integer", "example": 10},
        "hasNextPage": {"type": "boolean", "example": True},
        "hasPrevPage": {"type": "boolean", "example": False},
    },
    "required": [
        "currentPage",
        "totalPages",
        "totalItems",
        "itemsPerPage",
        "hasNextPage",
        "hasPrevPage",
    ],
}


class PagePagination(_PageNumberMixin):
    def get_paginated_data(self, data, **extra) -> dict:
        return {
            "list": data,
            "pagination": pagination_meta(page=self.page, limit=self.limit, total=self.total),
            **extra,
        }

    def get_paginated_response(self, data):
        return Response(self.get_paginated_data(data))

    def get_paginated_response_schema(self, schema):
        return {
            "type": "object",
            "properties": {"list": schema, "pagination": PAGINATION_META_SCHEMA},
            "required": ["list", "pagination"],
        }
