from .calendar import CalendarDay, CalendarYear
from .events import CaseEvent
from .notifications import Notification
from .organisation import Department, Membership, Role, User
from .rules import LabelChoice, LabelScale, TimeLimitRule, TimeUnit

__all__ = [
    "CalendarDay",
    "CalendarYear",
    "CaseEvent",
    "Department",
    "LabelChoice",
    "LabelScale",
    "Notification",
    "Membership",
    "Role",
    "TimeLimitRule",
    "TimeUnit",
    "User",
]
