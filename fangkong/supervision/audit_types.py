"""How the supervision line reads in the audit log (see fangkong.audit.registry)."""

from django.utils.translation import gettext_lazy as _lazy

from fangkong.audit.registry import register

register("supervision.coverage")
register("supervision.feedback", labels={"submitted_by": _lazy("submitted by")})
register("supervision.problem")
register("supervision.investigation", verbs={"reveal": _lazy("read the case file %(what)s")})
register("supervision.explanationrequest")
register("supervision.explanationanswer")
register("supervision.referral")
register("supervision.evidence", hidden=frozenset({"content"}))
register("supervision.bulletinimport", hidden=frozenset({"errors"}))
register("supervision.bulletin")
