"""The reference data of the supervision line: receiving bodies, problem classifications (the
six prohibitions and other kinds) and outcome kinds. Seeded by migration 0002 and again by
``ensure()`` after a flush (the demo's reset, browser tests)."""

from typing import Any

BODIES = [("organisation", "市委组织部"), ("discipline", "市纪委监委"), ("inspection", "市疫情防控督导检查组")]
# The discipline commission's six prohibitions (6个严禁) and other kinds.
CLASSIFICATIONS = [
    ("p1", "严禁不服从统一指挥调度、推诿扯皮", True),
    ("p2", "严禁临阵脱逃、擅离职守", True),
    ("p3", "严禁弄虚作假、瞒报漏报迟报", True),
    ("p4", "严禁工作不实、敷衍应付", True),
    ("p5", "严禁违规使用、挪用防疫物资和资金", True),
    ("p6", "严禁散布不实信息、泄露涉疫个人信息", True),
    ("no_register", "返程人员未向社区报备", False),
    ("cooperation", "配合社区工作不到位", False),
    ("other", "其他问题", False),
]
OUTCOMES = [
    ("talk", "谈话提醒"), ("education", "批评教育"), ("circular", "通报批评"), ("admonition", "诫勉"),
    ("organisational", "组织处理"), ("sanction", "党纪政务处分"), ("none", "不予处理"),
]



def ensure(apps: Any = None) -> None:
    """Create any missing row (idempotent)."""
    if apps is None:
        from django.apps import apps
    ReceivingBody = apps.get_model("supervision", "ReceivingBody")
    Classification = apps.get_model("supervision", "Classification")
    OutcomeKind = apps.get_model("supervision", "OutcomeKind")
    if (ReceivingBody.objects.count() >= len(BODIES) and Classification.objects.count() >= len(CLASSIFICATIONS)
            and OutcomeKind.objects.count() >= len(OUTCOMES)):
        return
    for i, (code, name) in enumerate(BODIES):
        ReceivingBody.objects.get_or_create(code=code, defaults={"name": name, "order": i})
    for i, (code, name, prohibition) in enumerate(CLASSIFICATIONS):
        Classification.objects.get_or_create(code=code, defaults={"name": name, "order": i,
                                                                  "prohibition": prohibition})
    for i, (code, name) in enumerate(OUTCOMES):
        OutcomeKind.objects.get_or_create(code=code, defaults={"name": name, "order": i})
