"""steering: comments, coaching actions and their notes, goal conversations

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-02 15:00:00

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision: str = '0008'
down_revision: Union[str, Sequence[str], None] = '0007'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    """Upgrade schema."""
    op.create_table('coaching_actions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('level', sa.String(length=16), nullable=False),
    sa.Column('unit_code', sa.String(length=64), nullable=False),
    sa.Column('kpi_code', sa.String(length=64), nullable=False),
    sa.Column('arena', sa.String(length=24), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('owner_email', sa.String(length=254), nullable=False),
    sa.Column('due', sa.Date(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('outcome', sa.Text(), nullable=True),
    sa.Column('baseline_period', sa.String(length=7), nullable=False),
    sa.Column('baseline_attainment', sa.Float(), nullable=True),
    sa.Column('created_by_user_id', sa.Integer(), nullable=True),
    sa.Column('created_by', sa.String(length=254), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('closed_at', sa.DateTime(timezone=True), nullable=True),
    sa.CheckConstraint("arena IN ('appraisal', 'training', 'practice', 'problem_solving', 'goals', 'plan')", name=op.f('ck_coaching_actions_arena')),
    sa.CheckConstraint("level IN ('seller', 'district', 'region', 'company', 'account')", name=op.f('ck_coaching_actions_level')),
    sa.CheckConstraint("status IN ('open', 'done', 'dropped')", name=op.f('ck_coaching_actions_status')),
    sa.ForeignKeyConstraint(['created_by_user_id'], ['users.id'], name=op.f('fk_coaching_actions_created_by_user_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['kpi_code'], ['kpi_definitions.code'], name=op.f('fk_coaching_actions_kpi_code_kpi_definitions')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_coaching_actions'))
    )
    with op.batch_alter_table('coaching_actions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_coaching_actions_owner_email'), ['owner_email'], unique=False)
        batch_op.create_index('ix_coaching_actions_unit', ['level', 'unit_code'], unique=False)

    op.create_table('comments',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('level', sa.String(length=16), nullable=False),
    sa.Column('unit_code', sa.String(length=64), nullable=False),
    sa.Column('kpi_code', sa.String(length=64), nullable=False),
    sa.Column('period', sa.String(length=7), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('author_user_id', sa.Integer(), nullable=True),
    sa.Column('author', sa.String(length=254), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("level IN ('seller', 'district', 'region', 'company', 'account')", name=op.f('ck_comments_level')),
    sa.ForeignKeyConstraint(['author_user_id'], ['users.id'], name=op.f('fk_comments_author_user_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['kpi_code'], ['kpi_definitions.code'], name=op.f('fk_comments_kpi_code_kpi_definitions')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_comments'))
    )
    with op.batch_alter_table('comments', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_comments_author_user_id'), ['author_user_id'], unique=False)
        batch_op.create_index('ix_comments_unit_period', ['level', 'unit_code', 'period'], unique=False)

    op.create_table('action_notes',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('action_id', sa.Integer(), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('author_user_id', sa.Integer(), nullable=True),
    sa.Column('author', sa.String(length=254), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['action_id'], ['coaching_actions.id'], name=op.f('fk_action_notes_action_id_coaching_actions'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['author_user_id'], ['users.id'], name=op.f('fk_action_notes_author_user_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_action_notes'))
    )
    with op.batch_alter_table('action_notes', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_action_notes_action_id'), ['action_id'], unique=False)

    op.create_table('goal_conversations',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('seller_id', sa.Integer(), nullable=False),
    sa.Column('held_on', sa.Date(), nullable=False),
    sa.Column('notes', sa.Text(), nullable=False),
    sa.Column('activity_id', sa.String(length=64), nullable=False),
    sa.Column('recorded_by_user_id', sa.Integer(), nullable=True),
    sa.Column('recorded_by', sa.String(length=254), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['activity_id'], ['activities.id'], name=op.f('fk_goal_conversations_activity_id_activities')),
    sa.ForeignKeyConstraint(['recorded_by_user_id'], ['users.id'], name=op.f('fk_goal_conversations_recorded_by_user_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['seller_id'], ['sellers.id'], name=op.f('fk_goal_conversations_seller_id_sellers')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_goal_conversations')),
    sa.UniqueConstraint('activity_id', name=op.f('uq_goal_conversations_activity_id'))
    )
    with op.batch_alter_table('goal_conversations', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_goal_conversations_seller_id'), ['seller_id'], unique=False)

    op.create_table('goal_conversation_kpis',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('conversation_id', sa.Integer(), nullable=False),
    sa.Column('kpi_code', sa.String(length=64), nullable=False),
    sa.Column('period', sa.String(length=7), nullable=False),
    sa.Column('target', sa.Numeric(precision=18, scale=4), nullable=True),
    sa.ForeignKeyConstraint(['conversation_id'], ['goal_conversations.id'], name=op.f('fk_goal_conversation_kpis_conversation_id_goal_conversations'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['kpi_code'], ['kpi_definitions.code'], name=op.f('fk_goal_conversation_kpis_kpi_code_kpi_definitions')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_goal_conversation_kpis'))
    )
    with op.batch_alter_table('goal_conversation_kpis', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_goal_conversation_kpis_conversation_id'), ['conversation_id'], unique=False)



def downgrade() -> None:
    """Downgrade schema."""
    with op.batch_alter_table('goal_conversation_kpis', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_goal_conversation_kpis_conversation_id'))

    op.drop_table('goal_conversation_kpis')
    with op.batch_alter_table('goal_conversations', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_goal_conversations_seller_id'))

    op.drop_table('goal_conversations')
    with op.batch_alter_table('action_notes', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_action_notes_action_id'))

    op.drop_table('action_notes')
    with op.batch_alter_table('comments', schema=None) as batch_op:
        batch_op.drop_index('ix_comments_unit_period')
        batch_op.drop_index(batch_op.f('ix_comments_author_user_id'))

    op.drop_table('comments')
    with op.batch_alter_table('coaching_actions', schema=None) as batch_op:
        batch_op.drop_index('ix_coaching_actions_unit')
        batch_op.drop_index(batch_op.f('ix_coaching_actions_owner_email'))

    op.drop_table('coaching_actions')
