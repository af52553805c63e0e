from datetime import date

from pydantic import BaseModel


class RegionRead(BaseModel):
    code: str
    name: str


class DistrictRead(BaseModel):
    code: str
    name: str
    basis: str
    region_code: str | None


class SellerAssignmentRead(BaseModel):
    district_code: str
    valid_from: date


class SellerRead(BaseModel):
    code: str
    name: str
    email: str
    district_code: str | None
    history: list[SellerAssignmentRead]
