"""All tables; importing this module registers them on `Base.metadata` (Alembic's env.py does)."""

from app.models.aggregates import AccountFirstSale, ActivitiesMonthly, DataVersion, SalesMonthly, SalesProductMonthly
from app.models.audit import AuditEvent
from app.models.facts import ACTIVITY_TYPES, Activity, Sale
from app.models.kpis import AppSetting, KpiDefinition, Perspective
from app.models.logins import LoginFailure
from app.models.org import Account, District, Leader, LeaderUnit, Product, Region, Seller, SellerDistrict
from app.models.plans import TARGET_LEVELS, Budget, KpiValue, Seasonality, Target
from app.models.tokens import TOKEN_SCOPES, ApiToken
from app.models.users import ROLES, User

__all__ = [
    "ACTIVITY_TYPES",
    "ROLES",
    "TARGET_LEVELS",
    "TOKEN_SCOPES",
    "Account",
    "AccountFirstSale",
    "ActivitiesMonthly",
    "Activity",
    "ApiToken",
    "AppSetting",
    "AuditEvent",
    "Budget",
    "DataVersion",
    "District",
    "KpiDefinition",
    "KpiValue",
    "Leader",
    "LeaderUnit",
    "LoginFailure",
    "Perspective",
    "Product",
    "Region",
    "Sale",
    "SalesMonthly",
    "SalesProductMonthly",
    "Seasonality",
    "Seller",
    "SellerDistrict",
    "Target",
    "User",
]
