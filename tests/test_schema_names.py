"""Every API schema has its own name: django-ninja files components by class name, so two apps'
``ItemOut`` would silently share one entry of openapi.json and answers would break its schema."""

import re
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent / "fangkong"
SCHEMA = re.compile(r"^class (\w+)\((?:Schema|FilterSchema|ModelSchema)\b", re.M)


def test_no_two_api_schemas_share_a_name():
    where = defaultdict(list)
    for module in ROOT.glob("*/*.py"):
        for name in SCHEMA.findall(module.read_text(encoding="utf-8")):
            where[name].append(str(module.relative_to(ROOT)))
    assert {name: files for name, files in where.items() if len(files) > 1} == {}
