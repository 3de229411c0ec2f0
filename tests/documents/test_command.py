"""manage.py render_document, for operators."""
import pytest
from django.core.management import CommandError, call_command

from workflow.models import GeneratedDocument

pytestmark = pytest.mark.django_db


def test_render_to_a_file_without_storing(seed_reply, tmp_path, capsys):
    out = tmp_path / "letter.pdf"
    call_command("render_document", "proposals.reply", str(seed_reply.pk), "proposal_reply", "-o", str(out))
    assert out.read_bytes().startswith(b"%PDF") and GeneratedDocument.objects.count() == 0


def test_render_and_store_a_new_version(seed_reply, tmp_path):
    out = tmp_path / "letter.pdf"
    call_command("render_document", "reply", str(seed_reply.pk), "proposal_reply", "-o", str(out), "--store")
    call_command("render_document", "reply", str(seed_reply.pk), "proposal_reply", "-o", str(out), "--store")
    assert list(GeneratedDocument.objects.values_list("version", flat=True).order_by("version")) == [1, 2]


def test_wrong_arguments_are_clear_errors(seed_reply):
    with pytest.raises(CommandError, match="unknown kind"):
        call_command("render_document", "reply", str(seed_reply.pk), "nothing")
    with pytest.raises(CommandError, match="is about proposals.Reply"):
        call_command("render_document", "proposals.proposal", str(seed_reply.pk), "proposal_reply")
    with pytest.raises(CommandError, match="does not exist"):
        call_command("render_document", "reply", "999999", "proposal_reply")


def test_kinds_and_fonts(capsys):
    call_command("render_document", "--kinds")
    call_command("render_document", "--fonts")
    out = capsys.readouterr().out
    assert "proposal_reply" in out and "complaint_closure" in out and "harfbuzz-subset\tyes" in out
