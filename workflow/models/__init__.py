from .calendar import CalendarDay, CalendarStamp, CalendarYear
from .documents import DocumentCounter, DocumentSeries, GeneratedDocument
from .events import CaseEvent
from .handling import EvaluationBase, ExtensionRequestBase
from .notifications import Notification
from .organisation import Department, Membership, User
from .rules import LabelChoice, LabelScale, RuleSetting, TimeLimitRule, TimeUnit
from .security import PasswordHistory, SecurityEvent
from .supervision import BreachRecord, SupervisionNotice, UrgingNotice
from .tasks import CaseTask, SupervisionState

__all__ = [
    "CalendarDay",
    "CalendarStamp",
    "CalendarYear",
    "CaseEvent",
    "CaseTask",
    "DocumentCounter",
    "DocumentSeries",
    "EvaluationBase",
    "ExtensionRequestBase",
    "GeneratedDocument",
    "Department",
    "LabelChoice",
    "LabelScale",
    "RuleSetting",
    "Notification",
    "PasswordHistory",
    "SecurityEvent",
    "SupervisionState",
    "BreachRecord",
    "SupervisionNotice",
    "UrgingNotice",
    "Membership",
    "TimeLimitRule",
    "TimeUnit",
    "User",
]
