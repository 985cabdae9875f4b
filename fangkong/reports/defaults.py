"""The default daily reports: what the source's units reported every day, one template per line."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

from fangkong.orgs.choices import UnitKind

from .choices import FieldKind, Measure, ReportLine
from .models import ReportTemplate
from .services import template_create

if TYPE_CHECKING:
    from fangkong.core.actors import Actor

INT, TEXT = FieldKind.INTEGER, FieldKind.TEXT


def _f(key: str, label: str, help_text: str, kind: str = INT, measure: str = "", required: bool = True,
       max_value: int = 10000) -> dict[str, Any]:
    return {"key": key, "label": label, "help_text": help_text, "kind": kind, "measure": measure,
            "required": required if kind != TEXT else False, "max_value": max_value}


RETURNEES = _f("returnees_new", "今日新增返程人员", "今日本单位新登记的外地返程人员人数", measure=Measure.RETURNEES_NEW)
ISOLATION = _f("in_isolation", "居家隔离人数", "截至今日仍在居家隔离的人数", measure=Measure.IN_ISOLATION)
FEVER = _f("fever_cases", "发热人数", "今日发现的发热人员人数", measure=Measure.FEVER, max_value=1000)
ANOMALIES = _f("anomalies", "异常情况", "今日发现的其他异常情况，没有可不填", kind=TEXT, measure=Measure.ANOMALIES)

DEFAULT_TEMPLATES: list[dict[str, Any]] = [
    {
        "code": "organs-daily", "name": "市直机关每日情况报告", "line": ReportLine.ORGANS,
        "unit_kinds": [UnitKind.DEPARTMENT],
        "fields": [
            RETURNEES, ISOLATION, FEVER,
            _f("seconded", "下沉干部人数", "本单位派往街道、社区、卡点的干部人数", measure=Measure.SECONDED),
            _f("on_duty", "今日在岗人数", "今日下沉干部实际在岗人数", measure=Measure.ON_DUTY),
            ANOMALIES,
        ],
    },
    {
        "code": "industry-daily", "name": "行业单位每日排查报告", "line": ReportLine.INDUSTRY,
        "unit_kinds": [UnitKind.INDUSTRY_UNIT],
        "fields": [
            RETURNEES, ISOLATION, FEVER,
            _f("on_duty", "今日在岗人数", "今日在岗职工人数", measure=Measure.ON_DUTY, max_value=50000),
            ANOMALIES,
        ],
    },
    {
        "code": "community-daily", "name": "社区每日排查报告", "line": ReportLine.COMMUNITY,
        "unit_kinds": [UnitKind.COMMUNITY],
        "fields": [
            _f("returnees_new", "今日新增登记返程人员", "今日在本社区登记的返程居民人数", measure=Measure.RETURNEES_NEW),
            ISOLATION, FEVER,
            _f("on_duty", "下沉干部在岗人数", "今日在本社区实际在岗的下沉干部人数", measure=Measure.ON_DUTY),
            ANOMALIES,
        ],
    },
    {
        "code": "checkpoint-daily", "name": "卡点每日值守报告", "line": ReportLine.CHECKPOINT,
        "unit_kinds": [UnitKind.CHECKPOINT],
        "fields": [
            _f("people_checked", "今日登记人员", "今日经卡点登记检查的人数", max_value=100000),
            _f("vehicles_checked", "今日登记车辆", "今日经卡点登记检查的车辆数", max_value=100000),
            FEVER,
            _f("on_duty", "今日在岗人数", "今日在卡点值守的人数", measure=Measure.ON_DUTY, max_value=500),
            ANOMALIES,
        ],
    },
]


def create_default_templates(*, actor: Actor, start_date: dt.date,
                             deadline: dt.time = dt.time(16, 0)) -> list[ReportTemplate]:
    """Create the default templates that do not exist yet (by code)."""
    out = []
    for spec in DEFAULT_TEMPLATES:
        existing = ReportTemplate.objects.filter(code=spec["code"]).first()
        if existing:
            out.append(existing)
            continue
        fields = [dict(f) for f in spec["fields"]]
        out.append(template_create(
            actor=actor, code=spec["code"], name=spec["name"], line=spec["line"], unit_kinds=spec["unit_kinds"],
            start_date=start_date, deadline=deadline, fields=fields,
        ))
    return out
