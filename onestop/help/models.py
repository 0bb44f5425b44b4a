from datetime import datetime

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from onestop.extensions import db
from onestop.models import UTCDateTime, utcnow

QUERY_LENGTH = 200
TARGET_LENGTH = 300


class HelpQuery(db.Model):
    """One help search as typed, so the province sees what people ask and what finds nothing."""

    __tablename__ = "help_query"
    __table_args__ = (Index("ix_help_query_province_folded", "province_id", "folded"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    province_id: Mapped[int] = mapped_column(ForeignKey("province.id", ondelete="CASCADE"))
    # Grouped on the folded form: "Giấy khai sinh" and "giay khai sinh" are one question.
    folded: Mapped[str] = mapped_column(String(QUERY_LENGTH))
    text: Mapped[str] = mapped_column(String(QUERY_LENGTH))
    result_count: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class HelpVote(db.Model):
    """A "did this answer your question?" answer, for one result (target) or the help visit as a whole."""

    __tablename__ = "help_vote"
    __table_args__ = (Index("ix_help_vote_province_folded", "province_id", "folded"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    province_id: Mapped[int] = mapped_column(ForeignKey("province.id", ondelete="CASCADE"))
    folded: Mapped[str] = mapped_column(String(QUERY_LENGTH))
    text: Mapped[str] = mapped_column(String(QUERY_LENGTH))
    # The page part the result led to ("dang-ky-khai-sinh#step-2"); empty for the visit as a whole.
    target: Mapped[str] = mapped_column(String(TARGET_LENGTH), default="")
    helpful: Mapped[bool]
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
