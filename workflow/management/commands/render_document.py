"""Render an official document of a case to a file, for operators:

    manage.py render_document proposals.reply 12 proposal_reply -o letter.pdf
    manage.py render_document reply 12 proposal_reply -o letter.pdf      (the model name alone when unambiguous)
    manage.py render_document complaint 5 complaint_closure --store      (also stored as a new version)

Without --store the PDF is only written to the file (nothing is recorded);
with it, it goes through document_render like a download (a new version,
checksum, storage). --kinds lists the registered kinds; --fonts tells which
font each face uses on this machine.
"""
from django.apps import apps
from django.core.management.base import BaseCommand, CommandError

from workflow import documents, fonts, registry


class Command(BaseCommand):
    help = "Render an official document (PDF) of a case to a file."

    def add_arguments(self, parser):
        parser.add_argument("case_type", nargs="?", help="app_label.model or model (e.g. proposals.reply, complaint)")
        parser.add_argument("id", nargs="?", type=int)
        parser.add_argument("kind", nargs="?", help="document kind (see --kinds)")
        parser.add_argument("-o", "--output", help="file to write (default: <kind>-<id>.pdf)")
        parser.add_argument("--store", action="store_true", help="store it as a new version (GeneratedDocument)")
        parser.add_argument("--kinds", action="store_true", help="list the registered document kinds")
        parser.add_argument("--fonts", action="store_true", help="show which font each face uses here")

    def handle(self, *args, case_type=None, id=None, kind=None, output=None, store=False, **options):
        if options["kinds"]:
            for spec in registry.document_kinds():
                self.stdout.write(f"{spec.code}\t{spec.model}\t{spec.label}\t{spec.template}")
            return
        if options["fonts"]:
            for face, entry in fonts.report().items():
                official = "official" if entry["official"] else "fallback"
                self.stdout.write(f"{face}\t{entry['family'] or '-'}\t{official}")
            self.stdout.write(f"harfbuzz-subset\t{'yes' if documents.harfbuzz_subsetter() else 'NO (fontTools fallback: slow)'}")
            return
        if not (case_type and id and kind):
            raise CommandError("usage: render_document <case type> <id> <kind> [-o file.pdf] [--store]")
        spec = registry.document_kind(kind)
        if spec is None:
            raise CommandError(f"unknown kind {kind!r}; registered: {', '.join(k.code for k in registry.document_kinds())}")
        model = self._model(case_type)
        if model._meta.label_lower != spec.model.lower():
            raise CommandError(f"kind {kind} is about {spec.model}, not {model._meta.label}")
        try:
            case = documents.document_object(kind=kind, pk=id)
        except model.DoesNotExist:
            raise CommandError(f"{model._meta.label} {id} does not exist")
        if not spec.available(case):
            raise CommandError(f"{kind} is not available for {model._meta.label} {id} in its current state")
        output = output or f"{kind}-{id}.pdf"
        if store:
            doc = documents.document_render(actor=None, case=case, kind=kind)
            content = documents.document_read(doc)
            note = f"stored as version {doc.version} ({doc.file.name})"
        else:
            content = documents.html_to_pdf(documents.render_html(spec, case)).content
            note = "not stored"
        with open(output, "wb") as f:
            f.write(content)
        self.stdout.write(f"{output}: {len(content)} bytes, {note}")

    def _model(self, case_type: str):
        if "." in case_type:
            try:
                return apps.get_model(case_type)
            except (LookupError, ValueError):
                raise CommandError(f"unknown model {case_type!r}")
        matches = [m for m in apps.get_models() if m._meta.model_name == case_type.lower()]
        if len(matches) != 1:
            raise CommandError(f"{case_type!r} names {len(matches)} models; use app_label.model")
        return matches[0]
