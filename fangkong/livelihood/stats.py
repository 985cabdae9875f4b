"""The ``services`` block of ``fangkong stats``: the livelihood line as of a day."""

import datetime as dt
from typing import Any

from fangkong.command.registry import end_of_day

from .models import ChannelVolume, HelpRequest, WindowService
from .selectors import help_figures, services_figures


def services_block(day: dt.date) -> dict[str, Any]:
    figures = services_figures(ChannelVolume.objects.all(), WindowService.objects.all(), day)
    figures.update(help_figures(HelpRequest.objects.all(), end_of_day(day)))
    return figures
