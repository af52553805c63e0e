"""All tables; importing this module registers them on `Base.metadata` (Alembic's env.py does)."""

from app.models.aggregates import AccountFirstSale, ActivitiesMonthly, DataVersion, SalesMonthly, SalesProductMonthly
from app.models.audit import AuditEvent
from app.models.close import (
    REPORT_FORMATS,
    REPORTS,
    SCHEDULES,
    PeriodLock,
    ReportSend,
    Snapshot,
    SnapshotScore,
    SnapshotVariance,
    Subscription,
)
from app.models.facts import ACTIVITY_TYPES, Activity, Sale
from app.models.floor import ACHIEVEMENT_LEVELS, DISPLAY_LEVELS, THRESHOLDS, Achievement, Display
from app.models.kpis import AppSetting, KpiDefinition, Perspective
from app.models.logins import LoginFailure
from app.models.org import Account, District, Leader, LeaderUnit, Product, Region, Seller, SellerDistrict
from app.models.plans import TARGET_LEVELS, Budget, KpiValue, Seasonality, Target
from app.models.steering import (
    ACTION_STATUSES,
    ARENAS,
    ActionNote,
    CoachingAction,
    Comment,
    GoalConversation,
    GoalConversationKpi,
)
from app.models.tokens import TOKEN_SCOPES, ApiToken
from app.models.users import ROLES, User

__all__ = [
    "ACHIEVEMENT_LEVELS",
    "ACTION_STATUSES",
    "ACTIVITY_TYPES",
    "ARENAS",
    "DISPLAY_LEVELS",
    "REPORTS",
    "REPORT_FORMATS",
    "ROLES",
    "SCHEDULES",
    "TARGET_LEVELS",
    "THRESHOLDS",
    "TOKEN_SCOPES",
    "Account",
    "AccountFirstSale",
    "Achievement",
    "ActionNote",
    "ActivitiesMonthly",
    "Activity",
    "ApiToken",
    "AppSetting",
    "AuditEvent",
    "Budget",
    "CoachingAction",
    "Comment",
    "DataVersion",
    "Display",
    "District",
    "GoalConversation",
    "GoalConversationKpi",
    "KpiDefinition",
    "KpiValue",
    "Leader",
    "LeaderUnit",
    "LoginFailure",
    "PeriodLock",
    "Perspective",
    "Product",
    "Region",
    "ReportSend",
    "Sale",
    "SalesMonthly",
    "SalesProductMonthly",
    "Seasonality",
    "Seller",
    "SellerDistrict",
    "Snapshot",
    "SnapshotScore",
    "SnapshotVariance",
    "Subscription",
    "Target",
    "User",
]
