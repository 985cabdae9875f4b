"""The audit log read as Chinese sentences, at display time.

Entries are stored as they were written (before/after snapshots, a detail string); this module
turns each into who did what to which record, with every changed field by its label and every
value formatted: dates as dates, booleans 是/否, choices by label, references by the name of the
record they point to. Masked values are shown as stored (the log never holds an ID number or a
phone in clear, and nothing here opens one); secret values are never shown at all.

A page of entries renders in two passes: the first collects every record the sentences name
(units by id or code, people, the entries' own records), which are then loaded with one query
per model; the second writes the sentences.
"""

from __future__ import annotations

import ast
import datetime as dt
import functools
import re
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl

from django.db import models
from django.utils import formats, timezone, translation
from django.utils.dateparse import parse_date, parse_datetime, parse_time
from django.utils.translation import gettext as _

from fangkong.core.idcard import mask_id_number, mask_phone

from .choices import Action
from .models import AuditEntry
from .registry import ObjectType, model_for, object_type

# Keys whose value is a mask: shown as stored, and masked here if an old row holds more.
ID_KEYS = frozenset({"id_number", "id_masked"})
PHONE_KEYS = frozenset({"phone", "phone_masked"})
# Keys never shown with their value, whatever the type.
SECRET_KEYS = frozenset({"password", "secret", "token", "key_hash", "id_cipher", "phone_cipher",
                         "id_digest", "phone_digest"})
# Keys of a snapshot that say nothing to a reader.
NOISE_KEYS = frozenset({"id", "created_at", "updated_at"})
FOLD_AFTER = 3
"""Changes shown before the rest is folded behind 展开."""
_KV = re.compile(r"(\w+)=(.*?)(?=\s+\w+=|$)")
_ISO_DATETIME = re.compile(r"^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}")
_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


@dataclass
class Line:
    """One entry as it reads. ``sentence`` is the whole of it on one line (the export's column)."""

    entry: AuditEntry
    when: str
    who: str
    lead: str
    """From the verb to where the items start ("修改了 输入人员 李某 的 ")."""
    items: list[str] = field(default_factory=list)
    close: str = ""
    notes: list[str] = field(default_factory=list)
    noun: str = ""
    """The object type's noun (the export's column)."""

    @property
    def shown(self) -> list[str]:
        return self.items if len(self.items) <= FOLD_AFTER + 1 else self.items[:FOLD_AFTER]

    @property
    def folded(self) -> list[str]:
        return self.items[len(self.shown):]

    @property
    def note_text(self) -> str:
        return "（" + "；".join(self.notes) + "）" if self.notes else ""

    @property
    def text(self) -> str:
        """The sentence without the time."""
        body = self.lead + "；".join(self.items) + (self.close if self.items else "")
        return f"{self.who}{_joiner()}{body.rstrip()}{self.note_text}"

    @property
    def sentence(self) -> str:
        return f"{self.when} {self.text}"


class Refs:
    """Records named by the sentences, by (model label, field, value), loaded in bulk.

    While collecting, an unknown record is noted and read as missing; ``load`` then fetches every
    noted record with one query per model and field. A name can depend on a record loaded before
    (a flag names its unit), so collecting repeats until nothing new is noted."""

    def __init__(self) -> None:
        self.wanted: dict[tuple[str, str], set[str]] = defaultdict(set)
        self.found: dict[tuple[str, str], dict[str, models.Model]] = defaultdict(dict)
        self.tried: dict[tuple[str, str], set[str]] = defaultdict(set)
        self.final = False

    def get(self, key: str, value: Any, by: str = "pk") -> models.Model | None:
        if value in (None, ""):
            return None
        text = str(value)
        found = self.found[(key, by)].get(text)
        if found is None and not self.final and text not in self.tried[(key, by)]:
            self.wanted[(key, by)].add(text)
        return found

    def name(self, key: str, value: Any, by: str = "pk") -> str:
        """The record's name, or its number when it no longer exists."""
        obj = self.get(key, value, by)
        if obj is None:
            return _("no. %(id)s (deleted)") % {"id": value} if by == "pk" else str(value)
        naming = object_type(key).ref_name
        return naming(obj) if naming is not None else str(obj)

    def load(self) -> bool:
        """Fetch what was noted; False when nothing was."""
        wanted, self.wanted = self.wanted, defaultdict(set)
        for (key, by), values in wanted.items():
            self.tried[(key, by)] |= values
            model = model_for(key)
            clean: set[Any] = {int(v) for v in values if v.isdigit()} if by == "pk" else set(values)
            if model is None or not clean:
                continue
            qs = model._base_manager.filter(**{f"{by}__in": clean})
            if object_type(key).related:
                qs = qs.select_related(*object_type(key).related)
            for obj in qs:
                self.found[(key, by)][str(obj.pk if by == "pk" else getattr(obj, by))] = obj
        return bool(wanted)


class Context:
    """What a type's hooks see of one entry: the entry, its type, the records it names."""

    def __init__(self, entry: AuditEntry, kind: ObjectType, refs: Refs) -> None:
        self.entry = entry
        self.kind = kind
        self.refs = refs
        self.model = kind.model

    @property
    def values(self) -> dict[str, Any]:
        """The stored values of the record: after the change, else before it."""
        return {**(self.entry.before or {}), **(self.entry.after or {})}

    def record(self) -> models.Model | None:
        """The record itself as it is now (None when deleted): only for types registered ``live``."""
        return self.refs.get(self.kind.key, self.entry.object_id)

    def of(self, key: str) -> Context:
        """The same entry read as a record of another type (a claim holding a returnee's fields)."""
        return Context(self.entry, object_type(key), self.refs)

    def facts(self, values: dict[str, Any]) -> str:
        return "，".join(_facts(self, values)) or _("(empty)")

    def field(self, key: str) -> models.Field[Any, Any] | None:
        name = self.kind.aliases.get(key, key)
        for model in (self.model, model_for(self.kind.fallback)):
            if model is None:
                continue
            fields = _fields(model)
            found = fields.get(name) or fields.get(name.removesuffix("_id"))
            if found is not None:
                return found
        return None

    def label(self, key: str) -> str:
        if key in self.kind.labels:
            return str(self.kind.labels[key])
        # The value shows its mask; the label need not say "masked" again.
        if key in ID_KEYS:
            return _("ID number")
        if key in PHONE_KEYS:
            return _("Mobile phone")
        found = self.field(key)
        if found is not None:
            verbose = str(found.verbose_name)
            # A field without a verbose_name of its own reads "some field": name it by what it points to.
            related = found.related_model
            if verbose == found.name.replace("_", " ") and related is not None and not isinstance(related, str):
                return str(related._meta.verbose_name)
            return verbose
        return str(_labels().get(key, key))

    def shown(self, key: str) -> bool:
        if key in NOISE_KEYS or key in self.kind.hidden:
            return False
        found = self.field(key)
        # A column meta never named for people (no verbose_name, nothing it points to) is internal.
        return found is None or key in self.kind.labels or not (
            str(found.verbose_name) == found.name.replace("_", " ") and found.related_model is None
        )

    def value(self, key: str, raw: Any) -> str:
        """One stored value as it reads."""
        if key in SECRET_KEYS or key in self.kind.secret:
            return _("(hidden)")
        if raw is None or raw == "" or raw == [] or raw == {}:
            return _("(empty)")
        if key in ID_KEYS:
            return _masked(str(raw), mask_id_number)
        if key in PHONE_KEYS:
            return _masked(str(raw), mask_phone)
        if key in self.kind.formatters:
            return self.kind.formatters[key](raw, self)
        if key in self.kind.refs:
            target, by = self.kind.refs[key]
            items = raw if isinstance(raw, list) else [raw]
            return "、".join(self.refs.name(target, v, by) for v in items)
        found = self.field(key)
        if found is not None:
            return self.field_value(found, raw)
        return plain(raw)

    def field_value(self, found: models.Field[Any, Any], raw: Any) -> str:
        if found.choices:
            return str(dict(found.flatchoices).get(raw, raw))
        if isinstance(found, models.BooleanField):
            return yes_no(raw)
        if found.related_model is not None and (found.many_to_one or found.one_to_one):
            if _as_int(raw) is None:
                return str(raw)  # stored as a name already (a username, say)
            related = found.related_model
            assert related is not None and not isinstance(related, str)
            return self.refs.name(related._meta.label_lower, raw)
        if isinstance(found, models.DateTimeField):
            return datetime_text(raw)
        if isinstance(found, models.DateField):
            return date_text(raw)
        if isinstance(found, models.TimeField):
            moment = parse_time(str(raw))
            return moment.strftime("%H:%M") if moment else str(raw)
        return plain(raw)


@functools.cache
def _fields(model: type[models.Model]) -> dict[str, models.Field[Any, Any]]:
    return {f.name: f for f in model._meta.get_fields() if isinstance(f, models.Field)}


def _joiner() -> str:
    # Chinese runs the actor into the verb (张三修改了); other languages need a space.
    return "" if (translation.get_language() or "").startswith("zh") else " "


def _as_int(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.isdigit():
        return int(value)
    return None


def _masked(value: str, mask: Any) -> str:
    # Stored masked; an old row that somehow holds more digits is masked here, never shown.
    return value if "*" in value else str(mask(value))


def yes_no(value: Any) -> str:
    return _("yes") if value else _("no")


def date_text(value: Any, *, year: bool = True) -> str:
    day = value if isinstance(value, dt.date) else parse_date(str(value)[:10])
    if day is None:
        return str(value)
    if year:
        return str(formats.date_format(day, "DATE_FORMAT"))
    if (translation.get_language() or "").startswith("zh"):
        return f"{day.month}月{day.day}日"
    return str(formats.date_format(day, "MONTH_DAY_FORMAT"))


def datetime_text(value: Any) -> str:
    moment = value if isinstance(value, dt.datetime) else parse_datetime(str(value))
    if moment is None:
        return date_text(value)
    if timezone.is_aware(moment):
        moment = timezone.localtime(moment)
    return str(formats.date_format(moment, "DATETIME_FORMAT"))


def plain(raw: Any) -> str:
    """A value with no field to say how it reads."""
    if raw is None or raw == "":
        return _("(empty)")
    if isinstance(raw, bool):
        return yes_no(raw)
    if isinstance(raw, list):
        return "、".join(plain(v) for v in raw) or _("(empty)")
    if isinstance(raw, dict):
        return "，".join(f"{k}：{plain(v)}" for k, v in raw.items()) or _("(empty)")
    text = str(raw)
    if _ISO_DATETIME.match(text):
        return datetime_text(text)
    if _ISO_DATE.match(text):
        return date_text(text)
    return text


# ---- detail strings ---------------------------------------------------------------------------

def _labels() -> dict[str, str]:
    """Labels for keys of ``key=value`` details that are no model field."""
    return {
        "rows": _("rows"), "created": _("new records"), "updated": _("updated"), "unchanged": _("unchanged"),
        "new_people": _("new people"), "units": _("units"), "people": _("people"), "users": _("accounts"),
        "as_of": _("as of"), "side": _("reported by"), "q": _("search"), "units_list": _("units"),
    }


def detail_phrases(ctx: Context, detail: str) -> list[str]:
    """A detail string as phrases: the type's own rules first, then the shared ones, then a
    ``key=value`` list read key by key; any other text is kept as it is."""
    text = detail.strip()
    if not text:
        return []
    for pattern, build in (*ctx.kind.details, *SHARED_DETAILS):
        match = pattern.search(text)
        if match:
            return list(build(match, ctx))
    pairs = _KV.findall(text)
    if not pairs:
        return [_plain_details().get(text, text)]
    lead = text[: text.index(pairs[0][0] + "=")].strip().rstrip(":")
    phrases = [_plain_details().get(lead, lead)] if lead and lead not in SILENT_LEADS else []
    for key, value in pairs:
        phrase = kv_phrase(ctx, key, value.strip())
        if phrase:
            phrases.append(phrase)
    return phrases


def kv_phrase(ctx: Context, key: str, value: str) -> str:
    if key == "rows":
        return _("%(count)s rows") % {"count": value}
    if key == "clear":
        return _("ID numbers and phones in clear") if value == "True" else _("ID numbers and phones masked")
    if key == "via":
        return _("from the server console") if value == "command" else value
    if key == "sha256":
        return _("file fingerprint %(hash)s…") % {"hash": value[:12]}
    if key == "filter":
        conditions = filter_phrases(ctx, value)
        return _("filtered by %(conditions)s") % {"conditions": "，".join(conditions)} if conditions else _("no filter")
    if key == "as_of":
        return _("as of %(day)s") % {"day": date_text(value)}
    label = ctx.label(key) if ctx.field(key) or key in ctx.kind.labels else str(_labels().get(key, key))
    raw: Any = value
    if value in ("True", "False"):
        raw = value == "True"
    return f"{label}：{ctx.value(key, raw)}"


def filter_phrases(ctx: Context, query: str) -> list[str]:
    """An export's stored filter (a query string) as "label：value" phrases."""
    filterset = ctx.kind.filterset() if ctx.kind.filterset else None
    filters = getattr(filterset, "base_filters", {}) if filterset else {}
    phrases = []
    for key, value in parse_qsl(query):
        if key in {"page", "page_size", "ordering", "format"} or not value:
            continue
        flt = filters.get(key)
        label = str(flt.label) if flt is not None and flt.label else ctx.label(key)
        options = flt.extra.get("choices") if flt is not None else None
        choices = dict((options() if callable(options) else options) or ())
        if value in choices:
            shown = str(choices[value])
        elif ctx.field(key) is not None:
            shown = ctx.value(key, value)
        elif key in {"unit", "community", "coordinating_body", "department", "checkpoint", "place"} and value.isdigit():
            shown = ctx.refs.name("orgs.unit", value)
        else:
            shown = plain(value)
        phrases.append(f"{label}：{shown}")
    return phrases


def _rotated(match: re.Match[str], ctx: Context) -> list[str]:
    try:
        before = ast.literal_eval(match.group(3))
    except (ValueError, SyntaxError):
        before = {}
    were = "，".join(
        _("key %(key)s: %(count)s") % {"key": k or _("none"), "count": n} for k, n in sorted(before.items())
    ) if isinstance(before, dict) else ""
    phrases = [_("field key rotated to %(key)s") % {"key": match.group(1)}, _("%(count)s rows") % {"count": match.group(2)}]
    if were:
        phrases.append(_("before: %(were)s") % {"were": were})
    return phrases


SHARED_DETAILS: list[tuple[re.Pattern[str], Any]] = [
    (re.compile(r"^field key rotated to (\S+): rows=(\d+) before=(\{.*\})$"), _rotated),
]
SILENT_LEADS = frozenset({"ledger import", "secondment import"})


def _plain_details() -> dict[str, str]:
    return {
        "console": _("from the server console"),
        "locked": _("the account was locked"),
        "unknown user": _("no account has this user name"),
        "unknown user, locked": _("no account has this user name; the name is locked"),
        "token page: wrong password": _("wrong password on the API token page"),
    }


# ---- sentences --------------------------------------------------------------------------------

def _verbs() -> dict[str, str]:
    return {
        Action.CREATE: _("created %(what)s"),
        Action.UPDATE: _("changed %(what)s"),
        Action.DELETE: _("deleted %(what)s"),
        Action.LOGIN: _("logged in"),
        Action.LOGOUT: _("logged out"),
        Action.LOGIN_FAILED: _("failed to log in"),
        Action.LOCKED: _("was locked out"),
        Action.UNLOCKED: _("unlocked %(what)s"),
        Action.PASSWORD_CHANGED: _("changed the password of %(what)s"),
        Action.OTP_ENROLLED: _("set up the second factor"),
        Action.OTP_FAILED: _("entered a wrong second-factor code"),
        Action.ROLE_CHANGED: _("changed %(what)s"),
        Action.SCOPE_CHANGED: _("changed %(what)s"),
        Action.REVEAL: _("viewed in full %(what)s"),
        Action.EXPORT: _("exported the list of %(what)s"),
        Action.TOKEN_CREATED: _("created %(what)s"),
        Action.TOKEN_REVOKED: _("revoked %(what)s"),
        Action.PASS_LOOKUP: _("looked up by number %(what)s"),
        Action.RATE_LIMITED: _("was stopped for looking up %(what)s too often"),
        Action.DENIED: _("was refused access to %(what)s"),
    }


def who(entry: AuditEntry) -> str:
    """The actor: 张三（市民政局单位联络员）; the platform itself reads 系统."""
    user = entry.actor
    if user is None:
        if entry.action in {Action.LOGIN_FAILED, Action.LOCKED} and entry.object_repr:
            return _("someone using the user name “%(name)s”") % {"name": entry.object_repr}
        if not entry.actor_name or entry.actor_name == "system":
            return _("The system")
        return entry.actor_name
    name = user.full_name or user.username
    units = list(user.scope_units.all())
    where = (units[0].short_name or units[0].name) if units else ""
    if len(units) > 1:
        where = _("%(unit)s and others") % {"unit": where}
    role = user.get_role_display() if user.role else ""
    about = f"{where}{role}"
    return f"{name}（{about}）" if about else name


def _what(ctx: Context) -> str:
    entry, kind = ctx.entry, ctx.kind
    noun = kind.noun or _("record")
    if entry.action == Action.EXPORT or (entry.action == Action.RATE_LIMITED and not entry.object_id):
        return noun
    if entry.action == Action.REVEAL:
        name = (kind.name(ctx) if kind.name else "") or entry.object_repr
        revealed = {"id_number": _("ID number"), "phone": _("Mobile phone")}.get(entry.detail) or ctx.label(entry.detail)
        return _("the %(field)s of %(noun)s %(name)s") % {
            "field": revealed if entry.detail else _("value"), "noun": noun, "name": name,
        }
    name = (kind.name(ctx) if kind.name else "") or entry.object_repr
    return f"{noun} {name}".strip()


def render(entry: AuditEntry, refs: Refs) -> Line:
    kind = object_type(entry.object_type)
    ctx = Context(entry, kind, refs)
    if kind.live and entry.object_id:
        ctx.record()
    action = entry.action
    template = str(kind.verbs.get(action) or _verbs().get(action) or action)
    if (action == Action.PASSWORD_CHANGED and entry.actor_id is not None
            and entry.object_type == "accounts.user" and entry.object_id == str(entry.actor_id)):
        template = _("changed their own password")
    elif action == Action.DENIED and not (entry.object_type or entry.object_repr):
        template = _("was refused access")
    verb = template % {"what": _what(ctx)} if "%(what)s" in template else template
    if action == Action.REVEAL:
        detail_notes: list[str] = []
    elif action == Action.LOCKED and entry.detail:
        detail_notes = [_("locked until %(moment)s") % {"moment": datetime_text(entry.detail)}]
    else:
        detail_notes = detail_phrases(ctx, entry.detail)
    when = datetime_text(entry.at)
    line = Line(entry=entry, when=when, who=who(entry) if refs.final else "", lead=verb, noun=kind.noun)
    before, after = entry.before, entry.after
    if after is not None and (before is not None or action == Action.UPDATE):
        line.items = _changes(ctx, before, after)
        line.lead = _("%(verb)s: ") % {"verb": verb}
    elif after is not None or before is not None:
        line.items = _facts(ctx, after if after is not None else before or {})
        line.lead = f"{verb}（"
        line.close = "）"
    line.notes = detail_notes
    return line


def _changes(ctx: Context, before: dict[str, Any] | None, after: dict[str, Any] | None) -> list[str]:
    before, after = before or {}, after or {}
    keys = [k for k in {**before, **after} if ctx.shown(k)]
    items = []
    for key in keys:
        label = ctx.label(key)
        if key in SECRET_KEYS or key in ctx.kind.secret:
            items.append(_("%(label)s changed") % {"label": label})
            continue
        new = ctx.value(key, after.get(key))
        if key not in before and ctx.entry.action != Action.ROLE_CHANGED:
            items.append(_("%(label)s now %(after)s") % {"label": label, "after": new})
            continue
        old = ctx.value(key, before.get(key))
        if old == new:
            continue
        old_day, new_day = before.get(key), after.get(key)
        if (isinstance(old_day, str) and isinstance(new_day, str) and _ISO_DATE.match(old_day)
                and _ISO_DATE.match(new_day) and old_day[:4] == new_day[:4]):
            new = date_text(new_day, year=False)
        items.append(_("%(label)s: %(before)s → %(after)s") % {"label": label, "before": old, "after": new})
    return items


def _facts(ctx: Context, values: dict[str, Any]) -> list[str]:
    items = []
    for key, raw in values.items():
        if not ctx.shown(key) or raw in (None, "", [], {}):
            continue
        if key in SECRET_KEYS or key in ctx.kind.secret:
            continue
        items.append(f"{ctx.label(key)}：{ctx.value(key, raw)}")
    return items


def render_entries(entries: Iterable[AuditEntry]) -> list[Line]:
    """A page of entries as lines, naming every referenced record with one query per model."""
    items = list(entries)
    refs = Refs()
    for _round in range(3):  # collect what the sentences name, and what those records name
        for entry in items:
            render(entry, refs)
        if not refs.load():
            break
    refs.final = True
    return [render(entry, refs) for entry in items]


def sentences(entries: Sequence[AuditEntry]) -> list[str]:
    return [line.sentence for line in render_entries(entries)]
