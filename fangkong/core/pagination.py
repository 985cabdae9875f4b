"""Page/page_size pagination shared by every API list."""

from typing import Any

from django.db.models import QuerySet
from ninja import Field, Schema

MAX_PAGE_SIZE = 200


class PageParams(Schema):
    page: int = Field(1, ge=1, le=1_000_000)
    page_size: int = Field(50, ge=1, le=MAX_PAGE_SIZE, description="At most 200.")


def paginate(qs: QuerySet[Any], params: PageParams) -> dict[str, Any]:
    count = qs.count()
    start = (params.page - 1) * params.page_size
    return {
        "count": count,
        "page": params.page,
        "page_size": params.page_size,
        "results": list(qs[start : start + params.page_size]),
    }
