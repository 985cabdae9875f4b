"""How documents, receipts, replies and instructions read in the audit log (see fangkong.audit.registry)."""

from django.utils.translation import gettext_lazy as _lazy

from fangkong.audit.registry import register

register("documents.documentkind")
register("documents.document", hidden=frozenset({"figures"}))
register("documents.documentrecipient", label=_lazy("receipt"))
register("documents.reply")
register("documents.instruction", hidden=frozenset({"image"}))
register("documents.instructionitem")
register("documents.document_file", label=_lazy("document file"), verbs={"export": _lazy("exported %(what)s")})
register("documents.attachment", hidden=frozenset({"file"}))
