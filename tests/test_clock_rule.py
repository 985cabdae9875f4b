"""No business code reads the real clock: every business date and moment comes from
``fangkong.core.clock`` (``today()``, ``now()``, ``end_of_today()``), which the demo freezes on its
story day. Security time (sessions, TOTP, token expiry, lockout) reads ``clock.real_now()`` or, in
the few modules below, Django's clock directly.

The test walks the syntax tree of every module under ``fangkong/`` (migrations aside) and fails on
a read of the real clock outside the allow-list. ``timezone.localdate(x)`` and
``timezone.localtime(x)`` with a value are conversions, not reads of the clock, and pass.
"""

import ast
from pathlib import Path

import fangkong

ROOT = Path(fangkong.__file__).resolve().parent

# Modules that may read the real clock directly, each with its reason. Keep it short: security
# time elsewhere says so by calling ``clock.real_now()``.
ALLOWED = {
    "core/clock.py": "the business clock itself: real_now(), and now()/today() when no day is frozen",
    "accounts/models.py": "API token expiry (security time)",
    "accounts/services.py": "sessions, lockout, token issue and revocation (security time)",
    "accounts/token_views.py": "API token expiry shown to its owner (security time)",
}

# (module name, attribute) pairs that read the clock whatever their arguments.
ALWAYS = {("timezone", "now"), ("date", "today"), ("datetime", "now"), ("datetime", "today"),
          ("datetime", "utcnow")}
# These read the clock only without a value to convert.
WITHOUT_VALUE = {("timezone", "localdate"), ("timezone", "localtime")}
CLOCK_NAMES = {"now", "localdate", "localtime"}


def _owner(node: ast.expr) -> str | None:
    """``timezone`` for ``timezone.now``, ``date`` for ``dt.date.today``."""
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return node.attr
    return None


def violations(source: str, filename: str = "<test>") -> list[tuple[int, str]]:
    """(line, text) of every read of the real clock in ``source``."""
    tree = ast.parse(source, filename)
    called: dict[int, ast.Call] = {id(n.func): n for n in ast.walk(tree) if isinstance(n, ast.Call)}
    found: list[tuple[int, str]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module == "django.utils.timezone":
            found += [(node.lineno, f"from django.utils.timezone import {a.name}")
                      for a in node.names if a.name in CLOCK_NAMES]
        if not isinstance(node, ast.Attribute):
            continue
        pair = (_owner(node.value), node.attr)
        text = f"{pair[0]}.{pair[1]}"
        if pair in ALWAYS:
            found.append((node.lineno, text))
        elif pair in WITHOUT_VALUE:
            call = called.get(id(node))
            if call is None or not (call.args or call.keywords):
                found.append((node.lineno, text + "()"))
    return found


def modules(root: Path = ROOT) -> list[Path]:
    return sorted(p for p in root.rglob("*.py") if "migrations" not in p.relative_to(root).parts)


def offences(root: Path = ROOT) -> list[str]:
    """Every read of the real clock outside the allow-list, as ``path:line: text``."""
    found = []
    for path in modules(root):
        name = path.relative_to(root).as_posix()
        if name not in ALLOWED:
            found += [f"fangkong/{name}:{line}: {text}" for line, text in violations(path.read_text(), name)]
    return found


def test_no_business_module_reads_the_real_clock():
    offending = offences()
    assert not offending, (
        "Business dates and moments read fangkong.core.clock (today(), now()); security time reads "
        "clock.real_now():\n" + "\n".join(offending)
    )


def test_the_allow_list_names_modules_that_exist_and_still_need_it():
    for name in ALLOWED:
        path = ROOT / name
        assert path.is_file(), name
        assert violations(path.read_text(), name), f"{name} no longer reads the real clock: drop it from ALLOWED"


def test_the_walk_covers_the_business_modules():
    names = {p.relative_to(ROOT).as_posix() for p in modules()}
    for business in ("reports/services.py", "reports/reminders.py", "returnees/services.py", "passes/services.py",
                     "deployment/services.py", "notify/management/commands/send_reminders.py"):
        assert business in names
    assert not any("migrations/" in n for n in names)


def test_a_real_clock_read_added_to_a_business_module_is_caught():
    """Each way of reading the real clock fails the rule; conversions and the business clock pass."""
    caught = [
        "from django.utils import timezone\ndef deadline():\n    return timezone.now()\n",
        "from django.utils import timezone\ndef day():\n    return timezone.localdate()\n",
        "from django.utils import timezone\ndef moment():\n    return timezone.localtime()\n",
        "import datetime as dt\ndef day():\n    return dt.date.today()\n",
        "from datetime import date\nday = date.today()\n",
        "import datetime\nstamp = datetime.datetime.now(datetime.UTC)\n",
        "from datetime import datetime\nstamp = datetime.today()\n",
        "from django.db import models\nfrom django.utils import timezone\nat = models.DateTimeField(default=timezone.now)\n",
        "from django.utils.timezone import now\n",
    ]
    for source in caught:
        assert violations(source), source
    fine = [
        "from fangkong.core import clock\ndef day():\n    return clock.today()\n",
        "from django.utils import timezone\ndef day(at):\n    return timezone.localdate(at)\n",
        "from django.utils import timezone\ndef shown(at):\n    return timezone.localtime(at).strftime('%H:%M')\n",
        "from fangkong.core import clock\nstamp = clock.real_now()\n",
    ]
    for source in fine:
        assert not violations(source), source


def test_the_walk_catches_a_business_module_reading_the_real_clock(tmp_path):
    """A tree where one business module reads ``timezone.now()`` fails; the allowed module does not."""
    (tmp_path / "reports").mkdir()
    (tmp_path / "reports" / "services.py").write_text(
        "from django.utils import timezone\n\n\ndef report_day():\n    return timezone.now().date()\n"
    )
    (tmp_path / "core").mkdir()
    (tmp_path / "core" / "clock.py").write_text((ROOT / "core" / "clock.py").read_text())
    (tmp_path / "migrations").mkdir()
    (tmp_path / "migrations" / "0001_initial.py").write_text("import datetime\nAT = datetime.datetime.now()\n")
    assert offences(tmp_path) == ["fangkong/reports/services.py:5: timezone.now"]
