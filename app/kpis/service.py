"""The editable part of the KPI registry: weights, thresholds, manual KPIs, scorecard settings."""

from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.analytics.kpis import DEFAULT_FISCAL_YEAR_START_MONTH, DEFAULT_SCORE_CAP, KPIS
from app.audit.service import record as record_audit
from app.audit.service import snapshot
from app.kpis.schemas import (
    KpiUpdate,
    ManualKpiCreate,
    PerspectiveUpdate,
    ScorecardSettings,
    ScorecardSettingsUpdate,
)
from app.models import AppSetting, KpiDefinition, Perspective, User
from app.reporting.version import bump_version


class RegistryError(ValueError):
    """A change the registry refuses; the message says why."""


def _dec(value: float) -> Decimal:
    return Decimal(str(value))


def list_kpis(session: Session) -> list[KpiDefinition]:
    """Every KPI, active or not, in the scorecard's display order: by perspective, built-ins first."""
    rows = session.execute(
        select(KpiDefinition, Perspective.position).join(Perspective, Perspective.key == KpiDefinition.perspective)
    ).all()
    builtin = {k.code: i for i, k in enumerate(KPIS)}
    return [kpi for kpi, _ in sorted(rows, key=lambda r: (r[1], builtin.get(r[0].code, len(builtin)), r[0].code))]


def update_kpi(session: Session, *, code: str, changes: KpiUpdate, actor: User | None = None) -> KpiDefinition | None:
    """Apply `changes` to one KPI; an actual change is recorded in the audit trail."""
    kpi = session.get(KpiDefinition, code)
    if kpi is None:
        return None
    values = changes.model_dump(exclude_unset=True)
    green = values.get("green_threshold", float(kpi.green_threshold))
    amber = values.get("amber_threshold", float(kpi.amber_threshold))
    if amber > green:
        raise RegistryError("amber_threshold must not be above green_threshold")
    if code == "revenue" and values.get("celebrated") is False:
        raise RegistryError("revenue is always celebrated: its goals are achievements whatever this says")
    before = snapshot(kpi, list(values))
    for field, value in values.items():
        setattr(kpi, field, _dec(value) if isinstance(value, float) else value)
    after = snapshot(kpi, list(values))
    if before != after:
        bump_version(session)  # every cached scorecard was scored with the old registry
        record_audit(
            session,
            actor=actor,
            action="kpi.update",
            entity=f"kpi:{code}",
            before={f: v for f, v in before.items() if after[f] != v},
            after={f: v for f, v in after.items() if before[f] != v},
        )
    session.flush()
    return kpi


def create_manual_kpi(session: Session, *, body: ManualKpiCreate, actor: User | None = None) -> KpiDefinition:
    """Add a manual-entry KPI, recorded in the audit trail."""
    if session.get(KpiDefinition, body.code) is not None:
        raise RegistryError(f"a KPI with code {body.code} exists already")
    kpi = KpiDefinition(
        code=body.code,
        name=body.name,
        name_nb=body.name_nb,
        perspective=body.perspective,
        unit=body.unit,
        direction=body.direction,
        weight=_dec(body.weight),
        green_threshold=_dec(body.green_threshold),
        amber_threshold=_dec(body.amber_threshold),
        time_rollup=body.time_rollup,
        manual=True,
        active=True,
    )
    session.add(kpi)
    session.flush()
    bump_version(session)
    record_audit(
        session,
        actor=actor,
        action="kpi.create",
        entity=f"kpi:{kpi.code}",
        after=snapshot(
            kpi,
            (
                "code",
                "name",
                "name_nb",
                "perspective",
                "unit",
                "direction",
                "weight",
                "green_threshold",
                "amber_threshold",
                "time_rollup",
                "manual",
                "active",
            ),
        ),
    )
    return kpi


def list_perspectives(session: Session) -> list[Perspective]:
    return list(session.scalars(select(Perspective).order_by(Perspective.position)))


def update_perspective(
    session: Session, *, key: str, changes: PerspectiveUpdate, actor: User | None = None
) -> Perspective | None:
    """Apply `changes` (weight, names) to one perspective; an actual change is recorded in the audit trail."""
    perspective = session.get(Perspective, key)
    if perspective is not None:
        values = changes.model_dump(exclude_unset=True)
        before = snapshot(perspective, list(values))
        for field, value in values.items():
            setattr(perspective, field, _dec(value) if isinstance(value, float) else value)
        after = snapshot(perspective, list(values))
        if before != after:
            bump_version(session)
            record_audit(
                session,
                actor=actor,
                action="perspective.update",
                entity=f"perspective:{key}",
                before={f: v for f, v in before.items() if after[f] != v},
                after={f: v for f, v in after.items() if before[f] != v},
            )
        session.flush()
    return perspective


def get_settings(session: Session) -> ScorecardSettings:
    stored = dict(session.execute(select(AppSetting.key, AppSetting.value)).all())
    return ScorecardSettings(
        score_cap=float(stored.get("score_cap", DEFAULT_SCORE_CAP)),
        fiscal_year_start_month=int(stored.get("fiscal_year_start_month", DEFAULT_FISCAL_YEAR_START_MONTH)),
        require_comment_on_red=stored.get("require_comment_on_red", "false") == "true",
        wall_show_names=stored.get("wall_show_names", "false") == "true",
    )


def _stored(value: object) -> str:
    """A setting as app_settings keeps it: a flag as "true" or "false", a number as its text."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def update_settings(
    session: Session, *, changes: ScorecardSettingsUpdate, actor: User | None = None
) -> ScorecardSettings:
    """Store the given settings; the ones that change are recorded in the audit trail."""
    before: dict[str, str | None] = {}
    after: dict[str, str] = {}
    for key, given in changes.model_dump(exclude_unset=True, exclude_none=True).items():
        value = _stored(given)
        row = session.get(AppSetting, key)
        if row is None:
            session.add(AppSetting(key=key, value=value))
            before[key], after[key] = None, value
        else:
            if row.value != value:
                before[key], after[key] = row.value, value
            row.value = value
    session.flush()
    if after:
        bump_version(session)
        record_audit(
            session, actor=actor, action="settings.update", entity="settings:scorecard", before=before, after=after
        )
    return get_settings(session)
