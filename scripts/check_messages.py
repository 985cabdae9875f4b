"""Check the Simplified Chinese message catalogue.

Run from the repository root:

    .venv/bin/python scripts/check_messages.py [path/to/django.po ...]

Without arguments it checks the project catalogue (fangkong/locale) and every
app's own catalogue (fangkong/<app>/locale).

Fails (exit 1) when an entry has an empty translation, is marked fuzzy, has a
different set of %(name)s placeholders from its msgid, or when the compiled
django.mo next to the .po does not give the same translations.  Prints
"N messages translated" and exits 0 otherwise.
"""

from __future__ import annotations

import gettext
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_PO = ROOT / "fangkong" / "locale" / "zh_Hans" / "LC_MESSAGES" / "django.po"

# %(name)s, %(max)d, %(value).2f, %(x)-5s ... ("%%" is a literal percent sign).
NAMED_PLACEHOLDER = re.compile(r"%\((\w+)\)[#0\- +]*(?:\d+|\*)?(?:\.(?:\d+|\*))?[diouxXeEfFgGcrsa]")
KEYWORD = re.compile(r"^(msgctxt|msgid_plural|msgid|msgstr(?:\[(\d+)\])?)\s+(\".*\")\s*$")
STRING = re.compile(r"^\s*(\".*\")\s*$")
ESCAPES = {
    "n": "\n",
    "t": "\t",
    "r": "\r",
    "a": "\a",
    "b": "\b",
    "f": "\f",
    "v": "\v",
    '"': '"',
    "\\": "\\",
    "'": "'",
    "?": "?",
}
ESCAPE = re.compile(r"\\(?:([0-7]{1,3})|x([0-9A-Fa-f]+)|(.))")


class PoError(Exception):
    pass


@dataclass
class Entry:
    line: int
    msgctxt: str | None = None
    msgid: str = ""
    msgid_plural: str | None = None
    msgstr: dict[int, str] = field(default_factory=dict)
    flags: set[str] = field(default_factory=set)

    @property
    def label(self) -> str:
        text = self.msgid if len(self.msgid) <= 60 else self.msgid[:57] + "..."
        ctx = f"[{self.msgctxt}] " if self.msgctxt is not None else ""
        return f"line {self.line}: {ctx}{text!r}"


def unquote(token: str, line_no: int) -> str:
    if len(token) < 2 or not (token.startswith('"') and token.endswith('"')):
        raise PoError(f"line {line_no}: badly quoted string {token!r}")

    def replace(match: re.Match[str]) -> str:
        octal, hexa, char = match.groups()
        if octal:
            return chr(int(octal, 8))
        if hexa:
            return chr(int(hexa, 16))
        if char in ESCAPES:
            return ESCAPES[char]
        raise PoError(f"line {line_no}: unknown escape \\{char}")

    return ESCAPE.sub(replace, token[1:-1])


def parse_po(path: Path) -> list[Entry]:
    """Parse a .po file into entries (obsolete "#~" entries are ignored)."""
    entries: list[Entry] = []
    entry: Entry | None = None
    pending_flags: set[str] = set()
    target: tuple[str, int] | None = None  # which field continuation strings extend
    seen_msgstr = False

    def finish() -> None:
        nonlocal entry, target, seen_msgstr
        if entry is not None:
            if not seen_msgstr:
                raise PoError(f"line {entry.line}: msgid without msgstr")
            entries.append(entry)
        entry, target, seen_msgstr = None, None, False

    for line_no, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        line = raw.strip()
        if not line:
            finish()
            continue
        if line.startswith("#"):
            if line.startswith("#~"):
                continue
            # A comment after a complete entry starts the next entry.
            if seen_msgstr:
                finish()
            if line.startswith("#,"):
                pending_flags |= {flag.strip() for flag in line[2:].split(",") if flag.strip()}
            continue
        match = KEYWORD.match(line)
        if match:
            keyword, index, token = match.groups()
            value = unquote(token, line_no)
            if keyword in ("msgctxt", "msgid") and (seen_msgstr or entry is None):
                finish()
                entry = Entry(line=line_no, flags=pending_flags)
                pending_flags = set()
            if entry is None:
                raise PoError(f"line {line_no}: {keyword} before msgid")
            if keyword == "msgctxt":
                entry.msgctxt = value
                target = ("msgctxt", 0)
            elif keyword == "msgid":
                entry.line = line_no
                entry.msgid = value
                target = ("msgid", 0)
            elif keyword == "msgid_plural":
                entry.msgid_plural = value
                target = ("msgid_plural", 0)
            else:
                n = int(index) if index is not None else 0
                if index is None and entry.msgid_plural is not None:
                    raise PoError(f"line {line_no}: plural entry needs msgstr[N]")
                if index is not None and entry.msgid_plural is None:
                    raise PoError(f"line {line_no}: msgstr[N] without msgid_plural")
                entry.msgstr[n] = value
                target = ("msgstr", n)
                seen_msgstr = True
            continue
        match = STRING.match(line)
        if match and entry is not None and target is not None:
            value = unquote(match.group(1), line_no)
            name, n = target
            if name == "msgstr":
                entry.msgstr[n] += value
            else:
                setattr(entry, name, (getattr(entry, name) or "") + value)
            continue
        raise PoError(f"line {line_no}: cannot parse {raw!r}")
    finish()
    return entries


def header_fields(entries: list[Entry]) -> dict[str, str]:
    for entry in entries:
        if entry.msgid == "" and entry.msgctxt is None:
            fields = {}
            for row in entry.msgstr.get(0, "").splitlines():
                key, sep, value = row.partition(":")
                if sep:
                    fields[key.strip()] = value.strip()
            return fields
    return {}


def placeholders(text: str) -> set[str]:
    return set(NAMED_PLACEHOLDER.findall(text.replace("%%", "")))


class _Missing(gettext.NullTranslations):
    """Fallback that marks a message as absent from the compiled catalogue."""

    MISSING = "\0<missing from django.mo>\0"

    def gettext(self, message: str) -> str:
        return self.MISSING

    def ngettext(self, msgid1: str, msgid2: str, n: int) -> str:
        return self.MISSING

    def pgettext(self, context: str, message: str) -> str:
        return self.MISSING

    def npgettext(self, context: str, msgid1: str, msgid2: str, n: int) -> str:
        return self.MISSING


def _mo_differs(got: str, expected: str) -> str:
    if got == _Missing.MISSING:
        return "missing from django.mo; recompile"
    return f"django.mo has {got!r} but the .po has {expected!r}; recompile"


def check_mo(mo_path: Path, messages: list[Entry]) -> list[str]:
    if not mo_path.exists():
        return [f"{mo_path} does not exist; run compilemessages"]
    with mo_path.open("rb") as handle:
        catalog = gettext.GNUTranslations(handle)
    catalog.add_fallback(_Missing())
    problems = []
    # msgfmt leaves out fuzzy and untranslated entries; those are reported already.
    compiled = [e for e in messages if "fuzzy" not in e.flags and all(t for t in e.msgstr.values())]
    for entry in compiled:
        if entry.msgid_plural is None:
            if entry.msgctxt is None:
                got = catalog.gettext(entry.msgid)
            else:
                got = catalog.pgettext(entry.msgctxt, entry.msgid)
            if got != entry.msgstr.get(0, ""):
                problems.append(f"{entry.label}: {_mo_differs(got, entry.msgstr.get(0, ''))}")
            continue
        # Plural entry: find a number n that selects each form and compare.
        plural = getattr(catalog, "plural", lambda n: int(n != 1))
        for index, expected in sorted(entry.msgstr.items()):
            n = next((n for n in range(1000) if plural(n) == index), None)
            if n is None:
                continue
            if entry.msgctxt is None:
                got = catalog.ngettext(entry.msgid, entry.msgid_plural, n)
            else:
                got = catalog.npgettext(entry.msgctxt, entry.msgid, entry.msgid_plural, n)
            if got != expected:
                problems.append(f"{entry.label} msgstr[{index}]: {_mo_differs(got, expected)}")
    raw_catalog = getattr(catalog, "_catalog", None)
    if isinstance(raw_catalog, dict):
        expected_keys = sum(len(e.msgstr) for e in compiled) + 1  # + header
        if len(raw_catalog) != expected_keys:
            problems.append(
                f"django.mo holds {len(raw_catalog)} strings but the .po has {expected_keys}; recompile"
            )
    return problems


def check(po_path: Path) -> tuple[int, list[str]]:
    entries = parse_po(po_path)
    header = header_fields(entries)
    messages = [e for e in entries if not (e.msgid == "" and e.msgctxt is None)]
    problems: list[str] = []

    match = re.search(r"nplurals\s*=\s*(\d+)", header.get("Plural-Forms", ""))
    nplurals = int(match.group(1)) if match else None
    if nplurals is None:
        problems.append("header: Plural-Forms is missing")
    if "charset=UTF-8" not in header.get("Content-Type", ""):
        problems.append("header: Content-Type must declare charset=UTF-8")
    if not header.get("Language"):
        problems.append("header: Language is empty")
    for entry in entries:
        if "fuzzy" in entry.flags:
            problems.append(f"{entry.label if entry.msgid else 'header'}: marked fuzzy")

    seen: set[tuple[str | None, str]] = set()
    for entry in messages:
        key = (entry.msgctxt, entry.msgid)
        if key in seen:
            problems.append(f"{entry.label}: duplicate entry")
        seen.add(key)

        forms = sorted(entry.msgstr)
        if entry.msgid_plural is not None and nplurals is not None and forms != list(range(nplurals)):
            problems.append(f"{entry.label}: expected msgstr[0..{nplurals - 1}], found {forms}")
        for index, text in sorted(entry.msgstr.items()):
            where = f"{entry.label}" + (f" msgstr[{index}]" if entry.msgid_plural is not None else "")
            if not text.strip():
                problems.append(f"{where}: empty translation")
                continue
            want = placeholders(entry.msgid)
            got = placeholders(text)
            if entry.msgid_plural is not None:
                plural_want = placeholders(entry.msgid_plural)
                if got in (want, plural_want):
                    continue
                want = plural_want
            if got != want:
                problems.append(
                    f"{where}: placeholders differ: msgid has {sorted(want)}, translation has {sorted(got)}"
                )

    problems.extend(check_mo(po_path.with_suffix(".mo"), messages))
    return len(messages), problems


def catalogues() -> list[Path]:
    """The project catalogue and every app's own (apps with a locale/ folder keep their messages there)."""
    apps = sorted(ROOT.glob("fangkong/*/locale/zh_Hans/LC_MESSAGES/django.po"))
    return [DEFAULT_PO, *apps]


def main(argv: list[str]) -> int:
    paths = [Path(arg) for arg in argv[1:]] or catalogues()
    status = 0
    for po_path in paths:
        status = max(status, check_one(po_path))
    return status


def check_one(po_path: Path) -> int:
    if not po_path.exists():
        print(f"{po_path} does not exist; run makemessages first", file=sys.stderr)
        return 1
    try:
        count, problems = check(po_path)
    except (PoError, OSError, UnicodeDecodeError) as exc:
        print(f"{po_path}: {exc}", file=sys.stderr)
        return 1
    if problems:
        print(f"{po_path}: {len(problems)} problem(s):", file=sys.stderr)
        for problem in problems:
            print(f"  - {problem}", file=sys.stderr)
        return 1
    print(f"{po_path.relative_to(ROOT) if po_path.is_relative_to(ROOT) else po_path}: {count} messages translated")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
