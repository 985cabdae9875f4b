"""How each kind of record reads in the audit log.

An app says how its object types read in its own ``audit_types`` module, found at start-up
(``AuditConfig.ready``), by calling :func:`register`. A type nobody registered still reads from its
model's meta: its verbose_name as the noun, each field's verbose_name as the label, choices by
their label. Registration adds what meta cannot say: the record's name when the stored one is
technical, labels for fields meta leaves in English, fields that are internal, how a detail
string reads, and which filters the exports of the type were made with.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from django.apps import apps
from django.db import models
from django.utils.functional import Promise

if TYPE_CHECKING:
    from .rendering import Context

Text = str | Promise
DetailRule = tuple["re.Pattern[str]", Callable[["re.Match[str]", "Context"], Sequence[str]]]


@dataclass(frozen=True)
class ObjectType:
    """How the entries about one object type read. Every part is optional."""

    key: str
    """The stored ``object_type``: a model's ``app_label.modelname`` or a name of its own."""
    label: Text | None = None
    """The noun (输入人员); by default the model's verbose_name."""
    labels: Mapping[str, Text] = field(default_factory=dict)
    """Labels for stored keys, over the field's verbose_name (or for keys that are no field)."""
    aliases: Mapping[str, str] = field(default_factory=dict)
    """A stored key formatted as another field of the model ("reason" as "revoke_reason")."""
    fallback: str = ""
    """Another type whose fields format the stored keys this model has not (a claim's returnee fields)."""
    hidden: frozenset[str] = frozenset()
    """Stored keys never shown (internal columns)."""
    secret: frozenset[str] = frozenset()
    """Stored keys shown only as "changed", never with their value."""
    refs: Mapping[str, tuple[str, str]] = field(default_factory=dict)
    """Stored keys whose value names another record by a field: {"units": ("orgs.unit", "code")}."""
    formatters: Mapping[str, Callable[[Any, Context], str]] = field(default_factory=dict)
    """Per stored key, how its value reads when the field alone cannot say (a JSON of keys)."""
    name: Callable[[Context], str] | None = None
    """The record's name in the sentence, when ``object_repr`` is technical."""
    live: bool = False
    """``name`` reads the record itself (loaded for the whole page in one query)."""
    ref_name: Callable[[models.Model], str] | None = None
    """How a record of this type is named where another one points to it; by default str()."""
    related: tuple[str, ...] = ()
    """select_related for loading records of this type (so ``ref_name``/``name`` need no query)."""
    verbs: Mapping[str, Text] = field(default_factory=dict)
    """Per action, the verb phrase with ``%(what)s`` where the record goes ("imported %(what)s")."""
    details: Sequence[DetailRule] = ()
    """Rules for the detail string: the first whose pattern matches gives the phrases."""
    filterset: Callable[[], type] | None = None
    """The FilterSet its exports were filtered with: labels and choices of the stored filter."""
    listed: bool = True
    """Offered in the page's object type filter."""

    @property
    def model(self) -> type[models.Model] | None:
        return model_for(self.key)

    @property
    def noun(self) -> str:
        if self.label is not None:
            return str(self.label)
        model = self.model
        return str(model._meta.verbose_name) if model is not None else ""


_registry: dict[str, ObjectType] = {}


def register(key: str, **options: Any) -> ObjectType:
    """Say how an object type reads (see :class:`ObjectType`); registering again replaces it."""
    object_type = ObjectType(key=key, **options)
    _registry[key] = object_type
    return object_type


def object_type(key: str) -> ObjectType:
    """The registered reading of ``key``, or the one from the model's meta."""
    return _registry.get(key) or ObjectType(key=key, listed=False)


def listed_types() -> list[ObjectType]:
    """The types offered in the page's filter, by their noun."""
    return sorted((t for t in _registry.values() if t.listed and t.noun), key=lambda t: t.noun)


def model_for(key: str) -> type[models.Model] | None:
    if "." not in key:
        return None
    try:
        return apps.get_model(key)
    except (LookupError, ValueError):
        return None
