"""Creating and authenticating users."""

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.audit.service import record as record_audit
from app.auth.passwords import MIN_PASSWORD_LENGTH, hash_password, verify_password
from app.models import Leader, Seller, User


class UserError(ValueError):
    """A user cannot be created as asked; the message says why."""


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
    if len(password) < MIN_PASSWORD_LENGTH:
        raise UserError(f"password: at least {MIN_PASSWORD_LENGTH} characters")
    if session.scalar(select(User.id).where(User.email == email)) is not None:
        raise UserError(f"email: a user with e-mail {email} exists already")
    if role == "seller" and session.scalar(
        select(Seller.id).where(func.lower(Seller.email) == email)
    ) is None:
        raise UserError(f"email: no seller has e-mail {email}; load the seller first")
    if role == "leader" and session.scalar(
        select(Leader.id).where(func.lower(Leader.email) == email)
    ) is None:
        raise UserError(f"email: no leader has e-mail {email}; load the leader first")
    user = User(email=email, password_hash=hash_password(password), role=role, is_active=True)
    session.add(user)
    session.flush()
    # Never the password nor its hash.
    record_audit(session, actor=actor, action="user.create", entity=f"user:{email}",
                 after={"email": email, "role": role, "is_active": True})
    return user


_DUMMY_HASH = hash_password("not-a-real-password")
