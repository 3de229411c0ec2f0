from .calendar import CalendarDay, CalendarStamp, CalendarYear
from .daily import DailyFigure, DailyFigureDay, DailyFigureStamp
from .deadlines import DeadlineBasis
from .documents import DocumentBatch, DocumentBatchChunk, DocumentCounter, DocumentNumber, DocumentSeries, GeneratedDocument
from .events import CaseEvent
from .exports import ExportJob
from .handling import EvaluationBase, ExtensionRequestBase
from .notifications import Channel, Notification, NotificationPreference, NotificationSettings, OutboundMessage
from .organisation import Department, Membership, User
from .rules import LabelChoice, LabelScale, RuleSetting, TimeLimitRule, TimeLimitStamp, TimeUnit
from .reports import Report
from .security import PasswordHistory, SecurityEvent
from .supervision import BreachRecord, SupervisionNotice, UrgingNotice
from .tasks import CaseTask, SupervisionState

__all__ = [
    "CalendarDay",
    "CalendarStamp",
    "CalendarYear",
    "CaseEvent",
    "CaseTask",
    "DailyFigure",
    "DailyFigureDay",
    "DailyFigureStamp",
    "DeadlineBasis",
    "DocumentBatch",
    "DocumentBatchChunk",
    "DocumentCounter",
    "DocumentNumber",
    "DocumentSeries",
    "EvaluationBase",
    "ExportJob",
    "ExtensionRequestBase",
    "GeneratedDocument",
    "Department",
    "LabelChoice",
    "LabelScale",
    "RuleSetting",
    "Channel",
    "Notification",
    "NotificationPreference",
    "NotificationSettings",
    "OutboundMessage",
    "PasswordHistory",
    "Report",
    "SecurityEvent",
    "SupervisionState",
    "BreachRecord",
    "SupervisionNotice",
    "UrgingNotice",
    "Membership",
    "TimeLimitRule",
    "TimeLimitStamp",
    "TimeUnit",
    "User",
]
