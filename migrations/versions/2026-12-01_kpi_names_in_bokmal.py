"""kpi and perspective names in Norwegian bokmål: `name_nb` on perspectives and kpi_definitions, filled
for the built-ins

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-01 22:00:00

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision: str = '0007'
down_revision: Union[str, Sequence[str], None] = '0006'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


# The built-ins' Norwegian names as they stood when this migration was written (a migration is
# history, so it does not import the registry from app code; app.analytics.kpis holds the same).
_PERSPECTIVES_NB = {
    "financial": "Økonomi",
    "customer": "Kunder",
    "process": "Interne prosesser",
    "learning": "Læring og vekst",
}
_KPIS_NB = {
    "revenue": "Omsetning",
    "gross_margin": "Dekningsbidrag",
    "margin_pct": "Dekningsgrad",
    "active_customers": "Aktive kunder",
    "new_customers": "Nye kunder",
    "key_account_share": "Andel nøkkelkunder",
    "csat": "Kundetilfredshet",
    "meetings": "Kundemøter",
    "proposals": "Tilbud sendt",
    "hit_rate": "Tilslagsrate",
    "training_hours": "Opplæringstimer",
    "coaching_sessions": "Coachingsamtaler",
}


def upgrade() -> None:
    """Upgrade schema."""
    with op.batch_alter_table('perspectives', schema=None) as batch_op:
        batch_op.add_column(sa.Column('name_nb', sa.String(length=100), nullable=True))
    with op.batch_alter_table('kpi_definitions', schema=None) as batch_op:
        batch_op.add_column(sa.Column('name_nb', sa.String(length=200), nullable=True))

    # Manual KPIs keep no Norwegian name (the English one is shown) until an administrator gives one.
    perspectives = sa.table("perspectives", sa.column("key"), sa.column("name_nb"))
    kpis = sa.table("kpi_definitions", sa.column("code"), sa.column("name_nb"), sa.column("manual", sa.Boolean))
    for key, name in _PERSPECTIVES_NB.items():
        op.execute(perspectives.update().where(perspectives.c.key == key).values(name_nb=name))
    for code, name in _KPIS_NB.items():
        op.execute(kpis.update().where(kpis.c.code == code, kpis.c.manual == sa.false()).values(name_nb=name))


def downgrade() -> None:
    """Downgrade schema."""
    # ALTER TABLE ... DROP COLUMN (SQLite 3.35 and later), not batch mode's copy of the table: copying
    # `perspectives` would drop the table that kpi_definitions' foreign key points to.
    with op.batch_alter_table('kpi_definitions', schema=None, recreate='never') as batch_op:
        batch_op.drop_column('name_nb')
    with op.batch_alter_table('perspectives', schema=None, recreate='never') as batch_op:
        batch_op.drop_column('name_nb')
