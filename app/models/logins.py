"""Failed sign-ins, counted in the database so that every worker and every instance shares the counts
(app.security.LoginThrottle reads and writes them)."""

from datetime import datetime

from sqlalchemy import Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from app.db import Base, UtcDateTime


class LoginFailure(Base):
    """The failed sign-ins of one key: an e-mail from one client address (`pair`), or a client address
    whatever the e-mail (`address`). Neither the e-mail nor the address is stored, only a hash."""

    __tablename__ = "login_failures"

    key: Mapped[str] = mapped_column(
        String(32), primary_key=True, doc="BLAKE2b-128 (hex) of the kind, the address and the e-mail"
    )
    kind: Mapped[str] = mapped_column(String(8), doc="pair or address")
    failures: Mapped[int] = mapped_column(Integer, doc="failures counted since window_start")
    window_start: Mapped[datetime] = mapped_column(UtcDateTime, doc="the first failure counted")
    last_failure: Mapped[datetime] = mapped_column(UtcDateTime)
    blocked_until: Mapped[datetime | None] = mapped_column(UtcDateTime, doc="sign-ins refused until then")
    # The row is forgotten from then on: the window after window_start, or after blocked_until once
    # blocked. A failure after it counts afresh; rows past it are deleted (hence the index).
    expires_at: Mapped[datetime] = mapped_column(UtcDateTime, index=True)
