import json
from pathlib import Path

import pytest

from proposals.models import Reply
from tests.proposals import factories
from tests.proposals.conftest import category, key_leader, member2, session  # noqa: F401  (the proposal fixtures)

SEED = json.loads((Path(__file__).resolve().parents[2] / "proposals" / "fixtures" / "seed_proposal_28.json").read_text(encoding="utf-8"))
# The seed case's dates (seed 004): assigned 2019-05-05, reply signed off 2019-10-28, passed 2019-10-30.
SEED_DATES = {
    "draft_at": (2019, 3, 1, 9), "submit_at": (2019, 3, 1, 9), "accept_at": (2019, 3, 8, 10), "assign_at": (2019, 5, 5, 9),
    "sign_at": (2019, 5, 7, 10), "draft_reply_at": (2019, 10, 25, 10), "submit_reply_at": (2019, 10, 25, 10),
    "sign_off_at": (2019, 10, 28, 9), "pass_review_at": (2019, 10, 30, 9), "evaluate_at": (2019, 11, 6, 9),
    "close_at": (2019, 11, 20, 9),
}


@pytest.fixture(autouse=True)
def _media_root(settings, tmp_path):
    """Generated documents go to a temporary MEDIA_ROOT, never into the repository."""
    settings.MEDIA_ROOT = str(tmp_path / "media")


@pytest.fixture
def seed_proposal(session, member, office_user, handler, dept_leader, approval_dept, supervision_dept, office_dept):
    """第28号 of 六届四次会议, replied with the seed letter's text (class A, public)."""
    return factories.replied(
        number=28, lead=approval_dept, supervising_unit=supervision_dept, is_public=True, reply_class="A",
        reply_body=SEED["reply_body"], contact_name="示例委员", **SEED_DATES,
    )


@pytest.fixture
def seed_reply(seed_proposal) -> Reply:
    return factories.reply_of(seed_proposal)
