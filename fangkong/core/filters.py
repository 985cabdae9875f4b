"""What every list's filters share: an empty choice that reads 全部 (All).

django-filter's own empty choice is ``---------`` (set to All in settings for every ChoiceFilter)
and a yes/no filter's is 未知 (Unknown); a filter left empty means "all of them", so it says so.
"""

from __future__ import annotations

from typing import Any

import django_filters
from django.utils.translation import gettext_lazy as _
from django_filters.widgets import BooleanWidget

ALL = _("All")


class AllBooleanWidget(BooleanWidget):
    """Yes / No / All (empty), accepting true/false and 1/0 in the query string."""

    def __init__(self, attrs: dict[str, Any] | None = None) -> None:
        super().__init__(attrs)
        self.choices = [("", ALL), ("true", _("Yes")), ("false", _("No"))]


class AllBooleanFilter(django_filters.BooleanFilter):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("widget", AllBooleanWidget)
        super().__init__(*args, **kwargs)
