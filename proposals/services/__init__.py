from ._all import *  # noqa: F401,F403
from ._all import CASE_KIND, ReviewOutcome  # noqa: F401
