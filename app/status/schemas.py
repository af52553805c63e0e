from datetime import date, datetime

from pydantic import BaseModel, Field


class LastImport(BaseModel):
    dataset: str = Field(description="the dataset loaded: sales, activities, targets, ...")
    at: datetime = Field(description="when the import committed (UTC)")
    by: str | None = Field(
        description="who loaded it: an e-mail, or `cli:<os user>` for the command line; "
        "only for administrators signed in (as the audit trail), null for others"
    )


class DataStatusRead(BaseModel):
    sales_through: date | None = Field(description="the date of the latest sale loaded; null without sales")
    activities_through: date | None = Field(description="the date of the latest activity loaded; null without any")
    last_import: LastImport | None = Field(description="the latest import that committed; null before the first")
    open_period: str | None = Field(
        description="YYYY-MM: the month the pages open on, the latest month with sales "
        "(never a later one); null without sales, and the pages then open "
        "on the current month",
        examples=["2026-10"],
    )
