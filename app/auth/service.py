"""Creating, authenticating and changing users: roles, switching a login off and on, passwords."""

from datetime import UTC, datetime
from typing import Any, cast

from sqlalchemy import func, select, update
from sqlalchemy.engine import CursorResult
from sqlalchemy.orm import Session

from app.access import leader_for, managed_accounts, seller_for
from app.audit.service import record as record_audit
from app.auth.passwords import MIN_PASSWORD_LENGTH, hash_password, verify_password
from app.auth.schemas import KeyAccountRead, MeRead
from app.models import ApiToken, Leader, Seller, User
from app.models.users import Role


class UserError(ValueError):
    """A user cannot be created or changed as asked; the message ("field: why") says why."""


class WrongPassword(UserError):
    """The current password given is not the user's (it counts as a failed sign-in)."""


def normalize_email(email: str) -> str:
    return email.strip().lower()


def authenticate(session: Session, *, email: str, password: str) -> User | None:
    user = session.scalar(select(User).where(User.email == normalize_email(email)))
    if user is None or not user.is_active:
        # Hash anyway so a wrong e-mail costs as long as a wrong password.
        verify_password(password, _DUMMY_HASH)
        return None
    return user if verify_password(password, user.password_hash) else None


def create_user(session: Session, *, email: str, password: str, role: str, actor: User | None = None) -> User:
    """Create a login; a seller or leader login must match a loaded seller or leader by e-mail."""
    email = normalize_email(email)
    _check_password(password, "password")
    if session.scalar(select(User.id).where(User.email == email)) is not None:
        raise UserError(f"email: a user with e-mail {email} exists already")
    _check_role_link(session, email, role, "email")
    user = User(email=email, password_hash=hash_password(password), role=role, is_active=True)
    session.add(user)
    session.flush()
    # Never the password nor its hash.
    record_audit(
        session,
        actor=actor,
        action="user.create",
        entity=f"user:{email}",
        after={"email": email, "role": role, "is_active": True},
    )
    return user


def _check_password(password: str, field: str) -> None:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise UserError(f"{field}: at least {MIN_PASSWORD_LENGTH} characters")


def _check_role_link(session: Session, email: str, role: str, field: str) -> None:
    """A seller or leader login must match a loaded seller or leader by e-mail."""
    for linked_role, model in (("seller", Seller), ("leader", Leader)):
        if role == linked_role and session.scalar(select(model.id).where(func.lower(model.email) == email)) is None:
            raise UserError(f"{field}: no {role} has e-mail {email}; load the {role} first")


def _end_sessions(user: User) -> None:
    """Every login token issued to `user` so far fails from the next request on (app.deps checks the
    version each token carries against the row, on every request). Counted up in SQL, so two changes
    at once (an administrator's reset and the user's own change) both count."""
    user.session_version = User.session_version + 1  # read back from the row when next used


def update_user(
    session: Session, *, user: User, actor: User, active: bool | None = None, role: Role | None = None
) -> User:
    """Change a login's role, or switch it off (its login tokens fail at once and its API tokens are
    revoked) or on again (it signs in with its password; revoked API tokens stay revoked).

    An administrator cannot switch off or demote their own login, so at least one administrator is
    always left."""
    before = {"role": user.role, "is_active": user.is_active}
    revoked = 0
    if user.id == actor.id and (active is False or (role is not None and role != "admin")):
        raise UserError(
            "active: you cannot switch off or demote your own login; ask another administrator"
            if active is False
            else "role: you cannot demote your own login; ask another administrator"
        )
    if role is not None and role != user.role:
        _check_role_link(session, user.email, role, "role")
        user.role = role
    if active is not None and active != user.is_active:
        user.is_active = active
        if not active:
            _end_sessions(user)
            # an UPDATE's result is a CursorResult (Session.execute is typed as returning any Result)
            revoked = cast(
                CursorResult[Any],
                session.execute(
                    update(ApiToken)
                    .where(ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None))
                    .values(revoked_at=datetime.now(UTC))
                ),
            ).rowcount
    after = {"role": user.role, "is_active": user.is_active}
    session.flush()
    if after != before:
        record_audit(
            session,
            actor=actor,
            action="user.update",
            entity=f"user:{user.email}",
            before=before,
            after={**after, "api_tokens_revoked": revoked} if revoked else after,
        )
    return user


def set_password(
    session: Session, *, user: User, password: str, actor: User, current_password: str | None = None
) -> User:
    """A new password for `user`, set by an administrator, or by the user with `current_password`
    (checked; a wrong one is a UserError). Every login token issued before fails from now on; API
    tokens keep working (revoke them, or switch the login off, to end them too)."""
    own = actor.id == user.id
    if own:
        # A token alone (a stolen one, say) must not be enough to take the login over.
        if current_password is None:
            raise UserError("password: change your own password with your current one (POST /api/v1/me/password)")
        if not verify_password(current_password, user.password_hash):
            raise WrongPassword("current_password: not your current password")
    _check_password(password, "new_password" if own else "password")
    user.password_hash = hash_password(password)
    _end_sessions(user)
    session.flush()
    # Never the password nor its hash.
    record_audit(
        session,
        actor=actor,
        action="user.password",
        entity=f"user:{user.email}",
        after={"changed_by": "the user" if own else "an administrator"},
    )
    return user


_DUMMY_HASH = hash_password("not-a-real-password")


def describe_scope(session: Session, user: User) -> MeRead:
    """The signed-in user as the pages need them: role, own seller code, units led, key accounts managed."""
    seller = seller_for(session, user) if user.role == "seller" else None
    units: list[str] = []
    if user.role == "leader" and (leader := leader_for(session, user)) is not None:
        for unit in sorted(leader.units, key=lambda u: (u.level, u.unit_code)):
            units.append("company" if unit.level == "company" else f"{unit.level}:{unit.unit_code}")
    managed = managed_accounts(session, seller) if seller else []
    return MeRead(
        email=user.email,
        role=user.role,
        seller_code=seller.code if seller else None,
        units=units,
        key_accounts=[KeyAccountRead(code=a.code, name=a.name) for a in managed],
    )
