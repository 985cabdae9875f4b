"""Check that lock files in requirements/ still satisfy pyproject.toml.

    python scripts/check_lock.py requirements/app.txt [requirements/test.txt ...]

``app.txt`` must pin every dependency of the package, ``test.txt`` those and the ``test`` extra,
``bench.txt`` those and the ``bench`` extra, each at a version inside the range pyproject.toml
gives. A dependency added to pyproject.toml (or a range moved) without ``make lock`` is reported
here by name before anything is installed, instead of turning up later as an import error.
Runs with the standard library and the ``packaging`` that pip carries, so it works in a venv
that holds nothing else yet.
"""

from __future__ import annotations

import re
import sys
import tomllib
from pathlib import Path

try:
    from packaging.requirements import Requirement
    from packaging.utils import canonicalize_name
except ImportError:  # a fresh venv: pip vendors the same library
    from pip._vendor.packaging.requirements import Requirement  # type: ignore[no-redef]
    from pip._vendor.packaging.utils import canonicalize_name  # type: ignore[no-redef]

ROOT = Path(__file__).resolve().parent.parent
EXTRAS = {"app": (), "test": ("test",), "bench": ("test", "bench")}
PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==([^\s;\\]+)")


def pins(path: Path) -> dict[str, set[str]]:
    """Each package the lock file pins, with its versions (two only under exclusive markers)."""
    found: dict[str, set[str]] = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        match = PIN.match(line)
        if match:
            found.setdefault(canonicalize_name(match.group(1)), set()).add(match.group(2))
    return found


def problems(lock: Path) -> list[str]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    extras = EXTRAS.get(lock.stem)
    if extras is None:
        return [f"{lock}: unknown lock file (expected one of {', '.join(f'{k}.txt' for k in EXTRAS)})"]
    wanted = list(project["dependencies"])
    for extra in extras:
        wanted += project["optional-dependencies"][extra]
    locked = pins(lock)
    found = []
    for text in wanted:
        requirement = Requirement(text)
        if requirement.marker is not None and not requirement.marker.evaluate():
            continue
        versions = locked.get(canonicalize_name(requirement.name))
        if not versions:
            found.append(f"{lock}: pyproject.toml requires {text}, which the lock does not pin")
        elif not any(requirement.specifier.contains(v, prereleases=True) for v in versions):
            found.append(f"{lock}: pins {requirement.name}=={', '.join(sorted(versions))}, outside {text}")
    return found


def main(argv: list[str]) -> int:
    if not argv:
        print(__doc__.strip().splitlines()[0])
        return 2
    found = [p for name in argv for p in problems(Path(name))]
    for line in found:
        print(line, file=sys.stderr)
    if found:
        print("The lock files are behind pyproject.toml: run `make lock` and commit requirements/.", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
