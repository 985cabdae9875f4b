"""The lock files in requirements/ satisfy pyproject.toml, and the check says when they do not."""

import importlib.util
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
spec = importlib.util.spec_from_file_location("check_lock", ROOT / "scripts" / "check_lock.py")
check_lock = importlib.util.module_from_spec(spec)
spec.loader.exec_module(check_lock)


@pytest.mark.parametrize("name", ["app", "test", "bench"])
def test_it_pins_every_dependency_of_pyproject_within_its_range(name):
    lock = ROOT / "requirements" / f"{name}.txt"
    assert check_lock.problems(lock) == []
    pinned = check_lock.pins(lock)
    assert len(pinned["django"]) == 1
    assert "--hash=sha256:" in lock.read_text()


def test_it_names_a_dependency_the_lock_lacks_or_pins_outside_its_range(tmp_path):
    text = (ROOT / "requirements" / "test.txt").read_text()
    lock = tmp_path / "test.txt"
    # Django pinned outside its range, pytest gone.
    text = text.replace("django==5.2.", "django==4.2.", 1)
    lines = [line for line in text.splitlines() if not line.startswith("pytest==")]
    lock.write_text("\n".join(lines))
    found = check_lock.problems(lock)
    assert any("django==4.2." in p.lower() and "outside Django>=5.2,<5.3" in p for p in found), found
    assert any("requires pytest>=8" in p for p in found), found
    assert check_lock.main([str(lock)]) == 1
