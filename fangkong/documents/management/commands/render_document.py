"""fangkong render_document NUMBER_OR_ID --format docx|pdf --out PATH [--user USERNAME]

Writes a document in the official layout (GB/T 9704-2012). NUMBER_OR_ID is its document number
(白岭直党工发〔2020〕1号) or its id. With ``--user`` it reads through that user's scope: a document
outside it is "not found", as on the pages.
"""

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError


class Command(BaseCommand):
    help = "Write a document as .docx or PDF in the official layout."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("document", help="Document number or id.")
        parser.add_argument("--format", dest="fmt", choices=["docx", "pdf"], default="pdf")
        parser.add_argument("--out", required=True, help="The file to write.")
        parser.add_argument("--user", help="Read through this user's scope.")

    def handle(self, *args: Any, document: str, fmt: str, out: str, user: str | None, **options: Any) -> None:
        from fangkong.accounts.models import User
        from fangkong.core.actors import SYSTEM
        from fangkong.documents.models import Document
        from fangkong.documents.rendering import render

        actor: Any = SYSTEM
        if user:
            actor = User.objects.filter(username=user, is_active=True).first()
            if actor is None:
                raise CommandError(f"no active user {user!r}")
        documents = Document.objects.visible_to(actor).select_related("kind", "body")
        found = documents.filter(number=document.strip()).first()
        if found is None and document.strip().isdigit():
            found = documents.filter(pk=int(document)).first()
        if found is None:
            raise CommandError(f"document not found: {document}")
        content = render(found, fmt)
        Path(out).write_bytes(content)
        self.stdout.write(f"{found.number or found.pk} → {out} ({len(content)} bytes)")
