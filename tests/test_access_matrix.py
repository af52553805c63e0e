"""The access matrix (issue 6): every endpoint of the API × every kind of caller × own and other units.

The expectations are written out below as a table, derived from PRODUCT.md §3 "Access" and the README's
API section, not from what the code happens to do:

- a seller reads their own scorecard only; a leader the units they lead and everything below them;
  finance reads budgets, variances and scorecards; an administrator does everything, and only an
  administrator writes the organization, targets, budgets, KPI definitions, settings and users;
- what the caller may not see is 404, word for word like an unknown code (no hint that it exists);
- a write the caller's role may not do is 403; an admin-only list (users, every token) too;
- no token, an expired access token, a tampered one (signature changed) or a revoked API token: 401;
- an API token reads what its user may read, within its scopes (`scorecards:read` for scorecards and
  their charts, `budgets:read` for budgets and their charts: 403 without), and never writes (403);
- documented decisions: a seller calling budget endpoints gets 403 (budgets are not a seller's to read,
  and the route is public knowledge); a leader's budget rows are filtered to their districts; any role
  may create API tokens for themselves; an API token may read the organization and the KPI registry of
  its user whatever its scopes (README: "a token reads what its user may read").

On top of the status, every response is searched for the names and figures of the units the caller
may not see (for a caller without valid credentials: of every unit); every refused write is checked to
have changed nothing; org lists and budget rows are checked to hold exactly the visible units.

A new endpoint without rows in the table fails `test_every_endpoint_is_in_the_matrix`.

The organization is built once per module (per backend) in its own connection and transaction; each
test runs in a SAVEPOINT on it that is rolled back, so writes never reach the next test.
"""

import base64
import csv
import io
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import jwt
import pytest
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient
from sqlalchemy import inspect, text
from sqlalchemy.orm import Session

from app.auth.tokens import create_access_token
from app.db import get_session
from app.main import create_app
from app.models import Budget, Sale, Target
from app.reporting.cache import FIGURES
from tests.builders import (
    PASSWORD,
    add_budgets,
    add_sales,
    add_targets,
    login,
    make_account,
    make_district,
    make_leader,
    make_product,
    make_region,
    make_seller,
    make_user,
    move_seller,
)

PRINCIPALS = ("admin", "fin", "ldist", "lreg", "seller", "f:sc", "f:bud", "f:both", "s:sc", "s:bud", "s:both",
              "none", "expired", "tampered", "revoked")
# admin, finance, the leader of district D1, the leader of region RN, seller S1 (in D1, key account manager of A4);
# f:* API tokens of the finance user, s:* of the seller (sc = scorecards:read, bud = budgets:read,
# both = both scopes); no Authorization header; an expired access token (admin's); admin's access token
# with its signature changed; a revoked API token (finance's, both scopes).
TOKEN_USER = {"f:sc": "fin", "f:bud": "fin", "f:both": "fin", "s:sc": "seller", "s:bud": "seller",
              "s:both": "seller"}
BAD = ("none", "expired", "tampered", "revoked")

# `SCORECARD-VIEWS` stands for each of the nine other endpoints with {level}/{code} (children, trend, the
# outlook and its children's, and the five charts; own and other units, fewer targets than the scorecard itself to keep the run short),
# `BUDGETS` for each of the five budget reads (data and charts). Targets: `level:code` of a unit (ZZ: unknown);
# `.` in a cell: not exercised.
# Steering (PRODUCT.md §5): `level:code` goes in the query (with period=2026-03) of the reads and in the body of
# the POSTs; `-`: no unit asked for. `d1`, `d3`, `s1`, `s4`: the id of the comment on D1 (by ldist) or D3 (by
# admin), of the action on S1 (by ldist, carried out by S1) or D3 (by admin), of the goal conversation with
# S1 (by ldist) or S4 (by admin), made while building. Coaching (actions, goal conversations) is not
# finance's: 404; a seller reads their own, adds notes and comments on their own card, and opens, changes or
# removes nothing (403); only a comment's author or an administrator removes it (403 for others who see it).
# The close (PRODUCT.md §5): while building, an administrator locks 2026-02 (snapshot `first`), unlocks it, a sale
# of S3 in D2 restates February, and February is locked again; `first`'s diff then shows D2's change to whoever
# sees D2. Only finance and administrators lock and unlock, signed in (2026-02 is locked: 409 to lock, 2026-03
# is not: 409 to unlock; 2025-01 has no data: 422). Snapshots are budget reads (sellers 403, tokens need
# budgets:read), each caller's part of them. Subscriptions are finance's, leaders' and administrators', signed
# in: `fin` (finance's variance report) and `ldist` (ldist's scorecard of D1) were made while building; another
# owner's subscription is 404 but to an administrator.
# The sales floor (PRODUCT.md §5): achievements are a scorecard read (tokens need scorecards:read), of the units the
# caller may see (a unit asked for with `level`/`code`, in the query). Display tokens are made by leaders (for a
# unit they lead or one below it; any other is 404, as an unknown one) and administrators, signed in; each revokes
# their own (`ldist`: D1's by ldist, `admin`: the company's by admin, made while building), an administrator any.
# GET /wall answers a display token only: every principal here is 401 (tests/test_displays.py tries a display
# token on every route).
#
# endpoint                          target          admin fin ldist lreg seller f:sc f:bud f:both s:sc s:bud s:both none expired tampered revoked
MATRIX = """
GET    /health                      -               200   200 200   200  200    200  200   200    200  200   200    200  200     200      200
POST   /auth/token                  right-password  200   .   .     .    .      .    .     .      .    .     .      200  200     200      200
POST   /auth/token                  wrong-password  .     .   .     .    .      .    .     .      .    .     .      401  .       .        .
GET    /me                          -               200   200 200   200  200    200  200   200    200  200   200    401  401     401      401
GET    /data-status                 -               200   200 200   200  200    200  200   200    200  200   200    401  401     401      401
GET    /users                       -               200   403 403   403  403    403  403   403    403  403   403    401  401     401      401
POST   /users                       new-login       201   403 403   403  403    403  403   403    403  403   403    401  401     401      401
PATCH  /users/{user_id}             seller          200   403 403   403  403    403  403   403    403  403   403    401  401     401      401
PATCH  /users/{user_id}             unknown         404   403 403   403  403    403  403   403    403  403   403    401  401     401      401
PUT    /users/{user_id}/password    seller          204   403 403   403  403    403  403   403    403  403   403    401  401     401      401
PUT    /users/{user_id}/password    unknown         404   403 403   403  403    403  403   403    403  403   403    401  401     401      401
POST   /me/password                 right-current   200   200 200   200  200    403  403   403    403  403   403    401  401     401      401

GET    /regions                     -               200   200 200   200  200    200  200   200    200  200   200    401  401     401      401
GET    /districts                   -               200   200 200   200  200    200  200   200    200  200   200    401  401     401      401
GET    /sellers                     -               200   200 200   200  200    200  200   200    200  200   200    401  401     401      401
GET    /sellers                     district=D2     200   200 200   200  200    200  200   200    200  200   200    401  401     401      401
GET    /sellers/{code}              S1              200   200 200   200  200    200  200   200    200  200   200    401  401     401      401
GET    /sellers/{code}              S2              200   200 200   200  404    200  200   200    404  404   404    401  401     401      401
GET    /sellers/{code}              S3              200   200 404   200  404    200  200   200    404  404   404    401  401     401      401
GET    /sellers/{code}              S4              200   200 404   404  404    200  200   200    404  404   404    401  401     401      401
GET    /sellers/{code}              ZZ              404   404 404   404  404    404  404   404    404  404   404    401  401     401      401

GET    /scorecards/{level}/{code}   company         200   200 404   404  404    200  403   200    404  403   404    401  401     401      401
GET    /scorecards/{level}/{code}   region:RN       200   200 404   200  404    .    403   .      404  403   404    401  401     401      401
GET    /scorecards/{level}/{code}   region:RS       200   200 404   404  404    200  403   .      404  403   404    401  401     401      401
GET    /scorecards/{level}/{code}   district:D1     200   200 200   200  404    .    403   .      404  403   404    401  401     401      401
GET    /scorecards/{level}/{code}   district:D2     200   200 404   200  404    .    403   .      404  403   404    401  401     401      401
GET    /scorecards/{level}/{code}   district:D3     200   200 404   404  404    200  403   200    404  403   404    401  401     401      401
GET    /scorecards/{level}/{code}   seller:S1       200   200 200   200  200    .    403   .      200  403   200    401  401     401      401
GET    /scorecards/{level}/{code}   seller:S2       200   200 200   200  404    .    403   .      404  403   404    401  401     401      401
GET    /scorecards/{level}/{code}   seller:S4       200   200 404   404  404    200  403   .      404  403   404    401  401     401      401
GET    /scorecards/{level}/{code}   account:A1      200   200 200   200  404    .    403   .      404  403   404    401  401     401      401
GET    /scorecards/{level}/{code}   account:A3      200   200 404   404  404    200  403   .      404  403   404    401  401     401      401
GET    /scorecards/{level}/{code}   account:A4      200   200 200   200  200    .    403   .      200  403   200    401  401     401      401
GET    /scorecards/{level}/{code}   district:ZZ     404   404 404   404  404    404  403   404    404  403   404    401  401     401      401
GET    SCORECARD-VIEWS              district:D2     200   200 404   200  404    200  403   .      404  403   404    401  401     401      401
GET    SCORECARD-VIEWS              district:D3     200   200 404   404  404    200  403   200    404  403   404    401  401     401      401
GET    SCORECARD-VIEWS              seller:S1       200   200 200   200  200    200  403   .      200  403   200    401  401     401      401
GET    SCORECARD-VIEWS              seller:S2       200   200 200   200  404    200  403   200    404  403   404    401  401     401      401
GET    SCORECARD-VIEWS              account:A1      .     .   200   .    404    .    .     .      404  .     .      .    .       .        .
GET    SCORECARD-VIEWS              account:A4      200   .   200   .    200    .    .     .      200  403   .      401  .       .        .
GET    /scorecards/{level}/{code}/export company       200   200 404   404  404    200  403   200    404  403   404    401  401     401      401
GET    /scorecards/{level}/{code}/export district:D1   200   200 200   200  404    200  403   200    404  403   404    401  401     401      401
GET    /scorecards/{level}/{code}/export district:D3   200   200 404   404  404    200  403   200    404  403   404    401  401     401      401
GET    /scorecards/{level}/{code}/export seller:S1     200   200 200   200  200    200  403   200    200  403   200    401  401     401      401
GET    /scorecards/{level}/{code}/export seller:S4     200   200 404   404  404    200  403   200    404  403   404    401  401     401      401
GET    /scorecards/{level}/{code}/export account:A4    200   200 200   200  200    200  403   200    200  403   200    401  401     401      401
GET    /scorecards/{level}/{code}/export district:ZZ   404   404 404   404  404    404  403   404    404  403   404    401  401     401      401

GET    BUDGETS                      by=district     200   200 200   200  403    403  200   200    403  403   403    401  401     401      401
GET    BUDGETS                      by=seller       200   200 200   200  403    403  200   200    403  403   403    401  401     401      401
GET    /budget/variance             csv             200   200 200   200  403    403  200   200    403  403   403    401  401     401      401

GET    /kpis                        -               200   200 200   200  200    200  200   200    200  200   200    401  401     401      401
POST   /kpis                        new-kpi         201   403 403   403  403    403  403   403    403  403   403    401  401     401      401
PATCH  /kpis/{code}                 revenue         200   403 403   403  403    403  403   403    403  403   403    401  401     401      401
PATCH  /kpis/{code}                 nokpi           404   403 403   403  403    403  403   403    403  403   403    401  401     401      401
GET    /perspectives                -               200   200 200   200  200    200  200   200    200  200   200    401  401     401      401
PATCH  /perspectives/{key}          financial       200   403 403   403  403    403  403   403    403  403   403    401  401     401      401
PATCH  /perspectives/{key}          nokey           404   403 403   403  403    403  403   403    403  403   403    401  401     401      401
GET    /settings/scorecard          -               200   200 200   200  200    200  200   200    200  200   200    401  401     401      401
PATCH  /settings/scorecard          -               200   403 403   403  403    403  403   403    403  403   403    401  401     401      401
POST   /imports/{dataset}           products        200   403 403   403  403    403  403   403    403  403   403    401  401     401      401
POST   /imports/{dataset}           targets         200   403 403   403  403    403  403   403    403  403   403    401  401     401      401
POST   /imports/{dataset}           nope            404   403 403   403  403    403  403   403    403  403   403    401  401     401      401

POST   /tokens                      new-token       201   201 201   201  201    403  403   403    403  403   403    401  401     401      401
GET    /tokens                      own             200   200 200   200  200    403  403   403    403  403   403    401  401     401      401
GET    /tokens                      all             200   403 403   403  403    403  403   403    403  403   403    401  401     401      401
DELETE /tokens/{token_id}           own             204   204 204   204  204    403  403   403    403  403   403    401  401     401      401
DELETE /tokens/{token_id}           other           204   404 404   404  404    403  403   403    403  403   403    401  401     401      401
DELETE /tokens/{token_id}           unknown         404   404 404   404  404    403  403   403    403  403   403    401  401     401      401

GET    /audit                       -               200   403 403   403  403    403  403   403    403  403   403    401  401     401      401
GET    /audit/{event_id}            first           200   403 403   403  403    403  403   403    403  403   403    401  401     401      401
GET    /audit/{event_id}            unknown         404   403 403   403  403    403  403   403    403  403   403    401  401     401      401

GET    /attention                   -               200   200 200   200  200    200  403   200    200  403   200    401  401     401      401
GET    /attention                   district:D1     200   200 200   200  404    200  403   200    404  403   404    401  401     401      401
GET    /attention                   district:D3     200   200 404   404  404    200  403   200    404  403   404    401  401     401      401
GET    /attention                   seller:S1       200   200 200   200  200    200  403   200    200  403   200    401  401     401      401
GET    /attention                   district:ZZ     404   404 404   404  404    404  403   404    404  403   404    401  401     401      401
POST   /comments                    district:D1     201   201 201   201  404    403  403   403    403  403   403    401  401     401      401
POST   /comments                    district:D3     201   201 404   404  404    403  403   403    403  403   403    401  401     401      401
POST   /comments                    seller:S1       201   201 201   201  201    403  403   403    403  403   403    401  401     401      401
POST   /comments                    district:ZZ     404   404 404   404  404    403  403   403    403  403   403    401  401     401      401
GET    /comments                    district:D1     200   200 200   200  404    200  403   200    404  403   404    401  401     401      401
GET    /comments                    district:D3     200   200 404   404  404    200  403   200    404  403   404    401  401     401      401
GET    /comments                    seller:S1       200   200 200   200  200    200  403   200    200  403   200    401  401     401      401
DELETE /comments/{comment_id}       d1              204   403 204   403  404    403  403   403    403  403   403    401  401     401      401
DELETE /comments/{comment_id}       d3              204   403 404   404  404    403  403   403    403  403   403    401  401     401      401
DELETE /comments/{comment_id}       unknown         404   404 404   404  404    403  403   403    403  403   403    401  401     401      401

POST   /actions                     seller:S1       201   404 201   201  403    403  403   403    403  403   403    401  401     401      401
POST   /actions                     district:D1     201   404 201   201  404    403  403   403    403  403   403    401  401     401      401
POST   /actions                     district:D3     201   404 404   404  404    403  403   403    403  403   403    401  401     401      401
GET    /actions                     -               200   404 200   200  200    404  403   404    200  403   200    401  401     401      401
GET    /actions                     district:D1     200   404 200   200  404    404  403   404    404  403   404    401  401     401      401
GET    /actions                     district:D3     200   404 404   404  404    404  403   404    404  403   404    401  401     401      401
GET    /actions                     seller:S1       200   404 200   200  200    404  403   404    200  403   200    401  401     401      401
GET    /actions/{action_id}         s1              200   404 200   200  200    404  403   404    200  403   200    401  401     401      401
GET    /actions/{action_id}         d3              200   404 404   404  404    404  403   404    404  403   404    401  401     401      401
GET    /actions/{action_id}         unknown         404   404 404   404  404    404  403   404    404  403   404    401  401     401      401
PATCH  /actions/{action_id}         s1              200   404 200   200  403    403  403   403    403  403   403    401  401     401      401
PATCH  /actions/{action_id}         d3              200   404 404   404  404    403  403   403    403  403   403    401  401     401      401
PATCH  /actions/{action_id}         unknown         404   404 404   404  404    403  403   403    403  403   403    401  401     401      401
POST   /actions/{action_id}/notes   s1              201   404 201   201  201    403  403   403    403  403   403    401  401     401      401
POST   /actions/{action_id}/notes   d3              201   404 404   404  404    403  403   403    403  403   403    401  401     401      401
POST   /actions/{action_id}/notes   unknown         404   404 404   404  404    403  403   403    403  403   403    401  401     401      401

POST   /goal-conversations          seller:S1       201   404 201   201  403    403  403   403    403  403   403    401  401     401      401
POST   /goal-conversations          seller:S4       201   404 404   404  404    403  403   403    403  403   403    401  401     401      401
GET    /goal-conversations          -               200   404 200   200  200    404  403   404    200  403   200    401  401     401      401
GET    /goal-conversations          seller:S1       200   404 200   200  200    404  403   404    200  403   200    401  401     401      401
GET    /goal-conversations          seller:S4       200   404 404   404  404    404  403   404    404  403   404    401  401     401      401
GET    /goal-conversations/{conversation_id} s1     200   404 200   200  200    404  403   404    200  403   200    401  401     401      401
GET    /goal-conversations/{conversation_id} s4     200   404 404   404  404    404  403   404    404  403   404    401  401     401      401
GET    /goal-conversations/{conversation_id} unknown 404  404 404   404  404    404  403   404    404  403   404    401  401     401      401
DELETE /goal-conversations/{conversation_id} s1     204   404 204   204  403    403  403   403    403  403   403    401  401     401      401
DELETE /goal-conversations/{conversation_id} s4     204   404 404   404  404    403  403   403    403  403   403    401  401     401      401
DELETE /goal-conversations/{conversation_id} unknown 404  404 404   404  404    403  403   403    403  403   403    401  401     401      401

GET    /meetings/pack               district:D1     200   200 200   200  404    200  403   200    404  403   404    401  401     401      401
GET    /meetings/pack               district:D3     200   200 404   404  404    200  403   200    404  403   404    401  401     401      401
GET    /meetings/pack               seller:S1       200   200 200   200  200    200  403   200    200  403   200    401  401     401      401

GET    /periods                     -               200   200 200   200  200    200  200   200    200  200   200    401  401     401      401
POST   /periods/{period}/lock       2026-03         201   201 403   403  403    403  403   403    403  403   403    401  401     401      401
POST   /periods/{period}/lock       2026-02         409   409 403   403  403    403  403   403    403  403   403    401  401     401      401
POST   /periods/{period}/lock       2025-01         422   422 403   403  403    403  403   403    403  403   403    401  401     401      401
POST   /periods/{period}/unlock     2026-02         200   200 403   403  403    403  403   403    403  403   403    401  401     401      401
POST   /periods/{period}/unlock     2026-03         409   409 403   403  403    403  403   403    403  403   403    401  401     401      401
GET    /snapshots                   -               200   200 200   200  403    403  200   200    403  403   403    401  401     401      401
GET    /snapshots/{snapshot_id}     first           200   200 200   200  403    403  200   200    403  403   403    401  401     401      401
GET    /snapshots/{snapshot_id}     csv             200   200 200   200  403    403  200   200    403  403   403    401  401     401      401
GET    /snapshots/{snapshot_id}     unknown         404   404 404   404  403    403  404   404    403  403   403    401  401     401      401
GET    /snapshots/{snapshot_id}/diff first          200   200 200   200  403    403  200   200    403  403   403    401  401     401      401
GET    /snapshots/{snapshot_id}/diff unknown        404   404 404   404  403    403  404   404    403  403   403    401  401     401      401
POST   /subscriptions               district:D1     201   201 201   201  403    403  403   403    403  403   403    401  401     401      401
POST   /subscriptions               district:D3     201   201 404   404  403    403  403   403    403  403   403    401  401     401      401
GET    /subscriptions               -               200   200 200   200  403    403  403   403    403  403   403    401  401     401      401
GET    /subscriptions/{subscription_id} fin         200   200 404   404  403    403  403   403    403  403   403    401  401     401      401
GET    /subscriptions/{subscription_id} ldist       200   404 200   404  403    403  403   403    403  403   403    401  401     401      401
GET    /subscriptions/{subscription_id} unknown     404   404 404   404  403    403  403   403    403  403   403    401  401     401      401
PATCH  /subscriptions/{subscription_id} fin         200   200 404   404  403    403  403   403    403  403   403    401  401     401      401
PATCH  /subscriptions/{subscription_id} ldist       200   404 200   404  403    403  403   403    403  403   403    401  401     401      401
PATCH  /subscriptions/{subscription_id} unknown     404   404 404   404  403    403  403   403    403  403   403    401  401     401      401
DELETE /subscriptions/{subscription_id} fin         204   204 404   404  403    403  403   403    403  403   403    401  401     401      401
DELETE /subscriptions/{subscription_id} ldist       204   404 204   404  403    403  403   403    403  403   403    401  401     401      401
DELETE /subscriptions/{subscription_id} unknown     404   404 404   404  403    403  403   403    403  403   403    401  401     401      401
GET    /achievements                -               200   200 200   200  200    200  403   200    200  403   200    401  401     401      401
GET    /achievements                district:D1     200   200 200   200  404    200  403   200    404  403   404    401  401     401      401
GET    /achievements                district:D3     200   200 404   404  404    200  403   200    404  403   404    401  401     401      401
POST   /displays                    district:D1     201   403 201   201  403    403  403   403    403  403   403    401  401     401      401
POST   /displays                    district:D3     201   403 404   404  403    403  403   403    403  403   403    401  401     401      401
POST   /displays                    region:RN       201   403 404   201  403    403  403   403    403  403   403    401  401     401      401
POST   /displays                    company         201   403 404   404  403    403  403   403    403  403   403    401  401     401      401
POST   /displays                    district:ZZ     404   403 404   404  403    403  403   403    403  403   403    401  401     401      401
GET    /displays                    -               200   403 200   200  403    403  403   403    403  403   403    401  401     401      401
DELETE /displays/{display_id}       ldist           204   403 204   404  403    403  403   403    403  403   403    401  401     401      401
DELETE /displays/{display_id}       admin           204   403 404   404  403    403  403   403    403  403   403    401  401     401      401
DELETE /displays/{display_id}       unknown         404   403 404   404  403    403  403   403    403  403   403    401  401     401      401
GET    /wall                        -               401   401 401   401  401    401  401   401    401  401   401    401  401     401      401
"""

SCORECARD_VIEWS = (
    "/scorecards/{level}/{code}/children", "/scorecards/{level}/{code}/trend",
    "/charts/scorecards/{level}/{code}/kpis", "/charts/scorecards/{level}/{code}/perspectives",
    "/charts/scorecards/{level}/{code}/trend", "/charts/scorecards/{level}/{code}/heatmap",
    "/scorecards/{level}/{code}/outlook", "/scorecards/{level}/{code}/children/outlook",
    "/charts/scorecards/{level}/{code}/outlook",
)
EXPORT_PATH = "/scorecards/{level}/{code}/export"
# The table each export row asks for, by the target's level: each of the three, the ranking in bokmål CSV.
EXPORT_TABLE = {"company": "heatmap", "district": "ranking", "seller": "kpis", "account": "kpis"}
BUDGET_PATHS = ("/budget/variance", "/budget/forecast", "/charts/budget/monthly", "/charts/budget/waterfall",
                "/charts/budget/forecast")
ALIASES = {"SCORECARD-VIEWS": SCORECARD_VIEWS, "BUDGETS": BUDGET_PATHS}
WRITES = ("POST", "PATCH", "DELETE")
API = "/api/v1"


@dataclass(frozen=True)
class Case:
    method: str
    path: str
    target: str
    principal: str
    expected: int

    @property
    def id(self) -> str:
        return f"{self.method} {self.path} [{self.target}] as {self.principal} -> {self.expected}"


def _parse(table: str) -> list[Case]:
    cases = []
    for line in table.strip().splitlines():
        if not line.strip():
            continue
        method, path, target, *cells = line.split()
        assert len(cells) == len(PRINCIPALS), f"row {line!r} has {len(cells)} cells, not {len(PRINCIPALS)}"
        for endpoint in ALIASES.get(path, (path,)):
            for principal, cell in zip(PRINCIPALS, cells, strict=True):
                if cell != ".":
                    cases.append(Case(method, endpoint, target, principal, int(cell)))
    return cases


CASES = _parse(MATRIX)

# --- the organization -------------------------------------------------------------------------------
# Distinctive names and figures, so a leak shows up as plain text in a response. Sums of visible
# figures never contain a hidden one (revenue through 2026-03: D1 = 1013.17 + 1021.43 + S5's 1109.37
# = 3143.97, RN = 3143.97 + 2029.41 = 5173.38, D3 = 3047.83 + S5's 1203.59 = 4251.42, company = 9424.80;
# budgets D1 = 5101.19, RN = 10304.48, company = 15611.85).
NAMES = {
    "RN": "Nordvik Region", "RS": "Sorvik Region",
    "D1": "Alder District", "D2": "Birch District", "D3": "Cedar District",
    "S1": "Signe Amber", "S2": "Petter Bronze", "S3": "Kari Copper", "S4": "Ola Dune",
    "A1": "Ivory Traders", "A2": "Jade Foods", "A3": "Khaki Shop", "A4": "Lilac Partners",
    "S5": "Mira Shift",
}
SALES = {"S1": "1013.17", "S2": "1021.43", "S3": "2029.41", "S4": "3047.83"}  # one sale each, 2026-02
BUDGETS = {"D1": "5101.19", "D2": "5203.29", "D3": "5307.37"}  # 2026-02
TARGETS = {"S2": "1877.23", "S3": "1888.59", "S4": "1899.71", "D2": "6053.47", "D3": "6067.91"}  # revenue, 2026-02
# The mover S5: in D1 until 2026-03-15, in D3 from 2026-03-16 (mid-month: on March's last day in D3).
# One sale in D1 in February, one in D3 in March: the March one is never the old leaders' to see.
MOVE_DAY = date(2026, 3, 16)
MOVER_SALES = {"before": (date(2026, 2, 12), "A1", "1109.37"), "after": (date(2026, 3, 20), "A3", "1203.59")}
# A4: a key account in D1 whose key account manager is S1 (the seller principal); A1 is not a key account.
KEY_ACCOUNTS = {"seller": [{"code": "A4", "name": NAMES["A4"]}]}

# What each user may not see: names and figures that must appear in none of their responses.
# Own-district / own-region names are not secret to the people in them, so they are not listed.
HIDDEN_UNITS = {
    "admin": set(),
    "fin": set(),
    "ldist": {"RS", "D2", "D3", "S3", "S4", "A2", "A3"},
    "lreg": {"RS", "D3", "S4", "A3"},
    "seller": {"RS", "D2", "D3", "S2", "S3", "S4", "S5", "A2", "A3"},
    "nobody": set(NAMES),
}
VISIBLE = {  # what the org lists and budget rows must hold, exactly
    # S5 is listed for the leaders of D1 and RN: they see the mover's periods before the move
    "admin": {"regions": {"RN", "RS"}, "districts": {"D1", "D2", "D3"}, "sellers": {"S1", "S2", "S3", "S4", "S5"}},
    "fin": {"regions": {"RN", "RS"}, "districts": {"D1", "D2", "D3"}, "sellers": {"S1", "S2", "S3", "S4", "S5"}},
    "ldist": {"regions": set(), "districts": {"D1"}, "sellers": {"S1", "S2", "S5"}},
    "lreg": {"regions": {"RN"}, "districts": {"D1", "D2"}, "sellers": {"S1", "S2", "S3", "S5"}},
    "seller": {"regions": set(), "districts": set(), "sellers": {"S1"}},
}
EMAILS = {"admin": "admin@matrix.test", "fin": "finance@matrix.test", "ldist": "lead-d1@matrix.test",
          "lreg": "lead-rn@matrix.test", "seller": "s1@matrix.test",
          "ld3": "lead-d3@matrix.test", "mover": "s5@matrix.test"}  # the last two: the mover's table only


def user_of(principal: str) -> str:
    return TOKEN_USER.get(principal, "nobody" if principal in BAD else principal)


def hidden_strings(principal: str) -> set[str]:
    units = HIDDEN_UNITS[user_of(principal)]
    out = {NAMES[u] for u in units}
    for table in (SALES, BUDGETS, TARGETS):
        out |= {table[u] for u in units if u in table}
    if RESTATEMENT[1] in units:
        out.add(RESTATEMENT[3])
    if user_of(principal) == "seller":  # a seller's own district's budget is not theirs to see either
        out.add(BUDGETS["D1"])
    if user_of(principal) in ("ldist", "lreg", "seller"):  # the mover's sale made after the move, in D3
        out.add(MOVER_SALES["after"][2])
    return out


# The sale that restates February after its first lock (S3, in D2): hidden from whoever may not see D2.
RESTATEMENT = (date(2026, 2, 20), "S3", "A2", "1039.61")


@dataclass
class World:
    connection: object
    client: TestClient
    holder: dict
    headers: dict[str, dict[str, str]] = field(default_factory=dict)
    spare: dict[str, int] = field(default_factory=dict)  # user -> id of a token of theirs to revoke
    admin_id: int = 0
    seller_user_id: int = 0  # the login of seller S1
    audit_id: int = 0  # an audit event recorded while building (the revoked token)
    items: dict[str, int] = field(default_factory=dict)  # "comment:d1", "action:s1", "gc:s4", "sub:fin", … -> id
    baseline: list = field(default_factory=list)  # the fingerprint right after building


def _build(session: Session) -> dict:
    rn = make_region(session, code="RN", name=NAMES["RN"])
    rs = make_region(session, code="RS", name=NAMES["RS"])
    d = {"D1": make_district(session, code="D1", region=rn, name=NAMES["D1"]),
         "D2": make_district(session, code="D2", region=rn, name=NAMES["D2"]),
         "D3": make_district(session, code="D3", region=rs, name=NAMES["D3"])}
    home = {"S1": "D1", "S2": "D1", "S3": "D2", "S4": "D3"}
    s = {code: make_seller(session, code=code, district=d[dist], name=NAMES[code],
                           email=EMAILS["seller"] if code == "S1" else None)
         for code, dist in home.items()}
    a = {"A1": make_account(session, code="A1", district=d["D1"]),
         "A2": make_account(session, code="A2", district=d["D2"]),
         "A3": make_account(session, code="A3", district=d["D3"])}
    for code, row in a.items():
        row.name = NAMES[code]
    widget = make_product(session, code="PW", group="Tools")
    account_of = {"S1": "A1", "S2": "A1", "S3": "A2", "S4": "A3"}
    s["S5"] = make_seller(session, code="S5", district=d["D1"], name=NAMES["S5"], email=EMAILS["mover"])
    move_seller(session, seller=s["S5"], district=d["D3"], valid_from=MOVE_DAY)
    a["A4"] = make_account(session, code="A4", district=d["D1"], key_account=True, kam=s["S1"])
    a["A4"].name = NAMES["A4"]
    add_sales(session, [Sale(id=f"m-S5-{when}", date=day, seller_id=s["S5"].id, account_id=a[account].id,
                             product_id=widget.id, quantity=Decimal(1), amount=Decimal(amount))
                        for when, (day, account, amount) in MOVER_SALES.items()])
    add_sales(session, [Sale(id=f"m-{code}", date=date(2026, 2, 10), seller_id=s[code].id,
                             account_id=a[account_of[code]].id, product_id=widget.id, quantity=Decimal(3),
                             amount=Decimal(amount))
                        for code, amount in SALES.items()])
    add_budgets(session, [Budget(district_id=d[code].id, product_id=widget.id, month=date(2026, 2, 1),
                                 quantity=Decimal(4), amount=Decimal(amount), source_period="2026-02")
                          for code, amount in BUDGETS.items()])
    add_targets(session, [Target(level="seller" if code.startswith("S") else "district", unit_code=code,
                                 kpi_code="revenue", month=date(2026, 2, 1), value=Decimal(value),
                                 source_period="2026-02")
                          for code, value in TARGETS.items()])
    make_leader(session, units=[("district", "D1")], email=EMAILS["ldist"])
    make_leader(session, units=[("region", "RN")], email=EMAILS["lreg"])
    make_leader(session, units=[("district", "D3")], email=EMAILS["ld3"])
    users = {"admin": make_user(session, role="admin", email=EMAILS["admin"]),
             "fin": make_user(session, role="finance", email=EMAILS["fin"]),
             "ldist": make_user(session, role="leader", email=EMAILS["ldist"]),
             "lreg": make_user(session, role="leader", email=EMAILS["lreg"]),
             "seller": make_user(session, role="seller", email=EMAILS["seller"]),
             "ld3": make_user(session, role="leader", email=EMAILS["ld3"]),
             "mover": make_user(session, role="seller", email=EMAILS["mover"])}
    session.flush()
    return users


def _token(client: TestClient, headers: dict, scopes: list[str], name: str = "matrix") -> dict:
    res = client.post(f"{API}/tokens", headers=headers, json={"name": name, "scopes": scopes})
    assert res.status_code == 201, res.text
    return res.json()


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


# Texts of the items on D3 and S4 carry the units' names: a leak of them shows up as a hidden name.
STEERING_ITEMS = (  # key, author, route, target, text
    ("comment:d1", "ldist", "/comments", "district:D1", "Alder District: more visits"),
    ("comment:d3", "admin", "/comments", "district:D3", "Cedar District: push the revenue"),
    ("action:s1", "ldist", "/actions", "seller:S1", "Signe Amber: plan the visits"),
    ("action:d3", "admin", "/actions", "district:D3", "Cedar District recovery"),
    ("gc:s1", "ldist", "/goal-conversations", "seller:S1", "Signe Amber agreed the plan"),
    ("gc:s4", "admin", "/goal-conversations", "seller:S4", "Ola Dune agreed the plan"),
)
ACTION_DUE = (date.today() + timedelta(days=30)).isoformat()


def steering_body(path: str, target: str, text: str = "Matrix text") -> dict:
    """The body of POST /comments, /actions or /goal-conversations on the unit `level:code`."""
    level, _, code = target.partition(":")
    if path == "/comments":
        return {"level": level, "code": code, "period": "2026-03", "kpi": "revenue", "text": text}
    if path == "/actions":  # its owner: seller S1, whose login thereby reads the one on S1 (and none on D3)
        owner = EMAILS["ld3"] if code == "D3" else EMAILS["seller"]
        return {"level": level, "code": code, "kpi": "revenue", "arena": "plan", "title": text, "due": ACTION_DUE,
                "owner_email": owner}
    return {"seller_code": code, "held_on": "2026-03-10", "notes": text,
            "kpis": [{"kpi": "revenue", "period": "2026-03", "target": 1500.0}]}


def _steering(client: TestClient, w: World) -> dict[str, int]:
    """The comments, actions and goal conversations the id routes of the matrix address."""
    items = {}
    for key, author, path, target, words in STEERING_ITEMS:
        res = client.post(f"{API}{path}", headers=w.headers[author], json=steering_body(path, target, words))
        assert res.status_code == 201, f"{key}: {res.text}"
        items[key] = res.json()["id"]
    return items


SUBSCRIPTIONS = (  # key, owner, body
    ("sub:fin", "fin", {"report": "variance", "format": "csv", "schedule": "monthly",
                        "recipients": ["controller@matrix.example.com"]}),
    ("sub:ldist", "ldist", {"report": "scorecard", "params": {"level": "district", "code": "D1"}, "format": "xlsx",
                            "schedule": "weekly", "recipients": ["lead-d1@matrix.example.com"]}),
)


def subscription_body(target: str) -> dict:
    """The body of POST /subscriptions for the scorecard of the unit `level:code`."""
    level, _, code = target.partition(":")
    return {"report": "scorecard", "params": {"level": level, "code": code}, "format": "csv", "schedule": "daily",
            "recipients": ["matrix@matrix.example.com"]}


def display_body(target: str) -> dict:
    """The body of POST /displays for the wall of the unit `level:code` (the company's code is '-')."""
    level, _, code = target.partition(":")
    return {"name": "Matrix TV", "level": level, "code": code or "-"}


DISPLAYS = (("disp:ldist", "ldist", "district:D1"), ("disp:admin", "admin", "company"))  # key, maker, unit


def _floor(client: TestClient, w: World) -> dict[str, int]:
    """The display tokens the DELETE /displays/{display_id} rows revoke."""
    items = {}
    for key, maker, target in DISPLAYS:
        res = client.post(f"{API}/displays", headers=w.headers[maker], json=display_body(target))
        assert res.status_code == 201, f"{key}: {res.text}"
        items[key] = res.json()["id"]
    return items


def _close(client: TestClient, w: World, setup: Session) -> dict[str, int]:
    """February locked, unlocked, restated and locked again; the subscriptions of SUBSCRIPTIONS."""
    admin = w.headers["admin"]
    first = client.post(f"{API}/periods/2026-02/lock", headers=admin)
    assert first.status_code == 201, first.text
    assert client.post(f"{API}/periods/2026-02/unlock", headers=admin).status_code == 200
    day, seller, account, amount = RESTATEMENT
    seller_id, account_id, product_id = setup.execute(text(
        "SELECT s.id, a.id, p.id FROM sellers s, accounts a, products p WHERE s.code = :s AND a.code = :a"
        " AND p.code = 'PW'"), {"s": seller, "a": account}).one()
    add_sales(setup, [Sale(id="m-restated", date=day, seller_id=seller_id, account_id=account_id,
                           product_id=product_id, quantity=Decimal(1), amount=Decimal(amount))])
    setup.commit()
    again = client.post(f"{API}/periods/2026-02/lock", headers=admin)
    assert again.status_code == 201, again.text
    items = {"snap:first": first.json()["snapshot_id"]}
    for key, owner, body in SUBSCRIPTIONS:
        res = client.post(f"{API}/subscriptions", headers=w.headers[owner], json=body)
        assert res.status_code == 201, f"{key}: {res.text}"
        items[key] = res.json()["id"]
    return items


@pytest.fixture(scope="module")
def world(engine) -> Iterator[World]:
    """The organization, the users' logins and their API tokens, built once per backend."""
    connection = engine.connect()
    outer = connection.begin()
    setup = Session(bind=connection, join_transaction_mode="create_savepoint", expire_on_commit=False)
    holder = {"session": setup}
    app = create_app(precompute=False)

    def _session_override() -> Iterator[Session]:
        yield holder["session"]

    app.dependency_overrides[get_session] = _session_override
    try:
        users = _build(setup)
        setup.commit()
        with TestClient(app) as client:
            w = World(connection=connection, client=client, holder=holder)
            for name, user in users.items():  # each principal signs in once, through the real route
                w.headers[name] = login(client, user)
                w.spare[name] = _token(client, w.headers[name], ["scorecards:read"], name="spare")["id"]
            scopes = {"sc": ["scorecards:read"], "bud": ["budgets:read"], "both": ["scorecards:read", "budgets:read"]}
            for who, user in (("f", "fin"), ("s", "seller")):
                for key, granted in scopes.items():
                    w.headers[f"{who}:{key}"] = _bearer(_token(client, w.headers[user], granted)["token"])
            w.admin_id = users["admin"].id
            w.seller_user_id = users["seller"].id
            w.headers["none"] = {}
            w.headers["expired"] = _bearer(create_access_token(users["admin"].id, minutes=-5))
            head, _, signature = w.headers["admin"]["Authorization"].removeprefix("Bearer ").rpartition(".")
            mid = len(signature) // 2
            changed = signature[:mid] + ("A" if signature[mid] != "A" else "B") + signature[mid + 1:]
            w.headers["tampered"] = _bearer(f"{head}.{changed}")
            revoked = _token(client, w.headers["fin"], ["scorecards:read", "budgets:read"])
            assert client.delete(f"{API}/tokens/{revoked['id']}", headers=w.headers["fin"]).status_code == 204
            w.headers["revoked"] = _bearer(revoked["token"])
            w.items = _steering(client, w) | _close(client, w, setup) | _floor(client, w)
            events = client.get(f"{API}/audit?limit=1", headers=w.headers["admin"])
            assert events.status_code == 200 and events.json()["items"], events.text
            w.audit_id = events.json()["items"][0]["id"]
            setup.commit()
            w.baseline = fingerprint(setup)
            yield w
    finally:
        setup.close()
        outer.rollback()
        connection.close()


@pytest.fixture(autouse=True)
def _fresh_figure_cache(request) -> Iterator[None]:
    """This module's own (in place of tests/conftest.py's, which empties the figure cache around every
    test): the matrix's reads share the cache, as every request of a running app does. The world does
    not change between them, and a warm cache is the case to check: a refusal must come from the
    access check run before the cache is asked, never from a figure not yet computed. A case that
    writes (which may count the data version up inside its SAVEPOINT, taken back by its rollback) and
    any other test empty it after themselves, so no figure of a rolled-back state is found later."""
    yield
    callspec = getattr(request.node, "callspec", None)
    case = callspec.params.get("case") if callspec is not None else None
    if not isinstance(case, Case) or case.method in WRITES:
        FIGURES.clear()


@pytest.fixture
def fresh(world) -> Iterator[Session]:
    """A session in a SAVEPOINT of the module's transaction, rolled back after the test."""
    savepoint = world.connection.begin_nested()
    session = Session(bind=world.connection, join_transaction_mode="create_savepoint", expire_on_commit=False)
    world.holder["session"] = session
    try:
        yield session
    finally:
        session.close()
        savepoint.rollback()


# --- requests ---------------------------------------------------------------------------------------
QUERY = {
    "/budget/variance": "from=2026-01&to=2026-03", "/budget/forecast": "year=2026&as_of=2026-03",
    "/charts/budget/monthly": "from=2026-01&to=2026-03", "/charts/budget/waterfall": "from=2026-01&to=2026-03",
    "/charts/budget/forecast": "year=2026&as_of=2026-03",
}
UNKNOWN = {"district:ZZ", "ZZ", "nokpi", "nokey", "nope", "unknown"}
UNKNOWN_TOKEN_ID = 999_999_999
TARGETS_CSV = "level,code,kpi,period,value\nseller,S1,revenue,2026-03,1234.5\n"
STEERING_READS = ("/attention", "/comments", "/actions", "/goal-conversations", "/meetings/pack")
STEERING_POSTS = ("/comments", "/actions", "/goal-conversations")
ITEM_IDS = {"{comment_id}": "comment", "{action_id}": "action", "{conversation_id}": "gc",
            "{subscription_id}": "sub", "{snapshot_id}": "snap", "{display_id}": "disp"}
ITEM_ID_IN_URL = re.compile(r"/(comments|actions|goal-conversations|subscriptions|snapshots|displays)/(\d+)")


def request_for(case: Case, world: World) -> tuple[str, dict]:
    """(url, keyword arguments of client.request) for one case."""
    path, target, kwargs = case.path, case.target, {}
    query = ""
    if "{level}" in path:
        level, _, code = target.partition(":")
        path = path.replace("{level}", level).replace("{code}", code or "-")
        query = ("as_of=2026-03" if path.endswith("/outlook") else "period=2026-03") + (
            "&months=2" if path.endswith("/trend") else "")
        if case.path == EXPORT_PATH:
            query += f"&table={EXPORT_TABLE[level]}" + ("&lang=nb&delimiter=%3B" if level == "district" else "")
    elif path == "/sellers/{code}":
        path = path.replace("{code}", target)
    elif path == "/sellers" and target != "-":
        query = target
    elif path in QUERY:
        query = QUERY[path] + ("&by=seller" if target == "by=seller" else "&by=district")
        if target == "csv":
            query += "&format=csv"
    elif path == "/auth/token":
        password = PASSWORD if target == "right-password" else "not the password"
        kwargs["data"] = {"username": EMAILS["fin"], "password": password}
    elif path == "/users" and case.method == "POST":
        kwargs["json"] = {"email": "new-login@scorecard.no", "password": "a long enough secret", "role": "finance"}
    elif path.startswith("/users/{user_id}"):
        path = path.replace("{user_id}", str(world.seller_user_id if target == "seller" else UNKNOWN_TOKEN_ID))
        kwargs["json"] = {"password": "a long enough secret"} if path.endswith("/password") else {"active": False}
    elif path == "/me/password":
        kwargs["json"] = {"current_password": PASSWORD, "new_password": "a long enough secret"}
    elif path == "/kpis" and case.method == "POST":
        kwargs["json"] = {"code": "matrix_nps", "name": "Matrix NPS", "perspective": "customer"}
    elif path == "/kpis/{code}":
        path = path.replace("{code}", target)
        kwargs["json"] = {"weight": 3.5}
    elif path == "/perspectives/{key}":
        path = path.replace("{key}", target)
        kwargs["json"] = {"weight": 0.37}
    elif path == "/settings/scorecard" and case.method == "PATCH":
        kwargs["json"] = {"score_cap": 1.7}
    elif path == "/imports/{dataset}":
        path = path.replace("{dataset}", target)
        content = TARGETS_CSV if target == "targets" else "code,name,product_group\nPX9,Matrix Product,G9\n"
        kwargs["files"] = {"file": (f"{target}.csv", content.encode(), "text/csv")}
    elif path == "/tokens" and case.method == "POST":
        kwargs["json"] = {"name": "matrix new", "scopes": ["scorecards:read"]}
    elif path == "/tokens" and target == "all":
        query = "all=true"
    elif path == "/tokens/{token_id}":
        user = user_of(case.principal)
        token_id = {"own": world.spare.get(user, world.spare["fin"]),
                    "other": world.spare["fin" if user == "admin" else "admin"],
                    "unknown": UNKNOWN_TOKEN_ID}[target]
        path = path.replace("{token_id}", str(token_id))
    elif path == "/audit/{event_id}":
        path = path.replace("{event_id}", str(world.audit_id if target == "first" else UNKNOWN_TOKEN_ID))
    elif case.method == "GET" and path in STEERING_READS:
        level, _, code = target.partition(":")
        if path == "/goal-conversations":
            query = f"seller_code={code}" if code else ""
        else:
            params = [f"level={level}", f"code={code}"] if code else []
            query = "&".join(params + (["period=2026-03"] if path != "/actions" else []))
    elif case.method == "POST" and path in STEERING_POSTS:
        kwargs["json"] = steering_body(path, target)
    elif path.startswith("/periods/{period}"):
        path = path.replace("{period}", target)
    elif path == "/subscriptions" and case.method == "POST":
        kwargs["json"] = subscription_body(target)
    elif path == "/achievements" and target != "-":
        level, _, code = target.partition(":")
        query = f"level={level}&code={code}"
    elif path == "/displays" and case.method == "POST":
        kwargs["json"] = display_body(target)
    elif path == "/snapshots/{snapshot_id}" and target == "csv":
        path = path.replace("{snapshot_id}", str(world.items["snap:first"]))
        query = "format=csv&table=variance"
    elif placeholder := next((p for p in ITEM_IDS if p in path), None):
        item_id = UNKNOWN_TOKEN_ID if target == "unknown" else world.items[f"{ITEM_IDS[placeholder]}:{target}"]
        path = path.replace(placeholder, str(item_id))
        if case.method == "PATCH" and placeholder == "{subscription_id}":
            kwargs["json"] = {"active": False}
        elif case.method == "PATCH":
            kwargs["json"] = {"status": "done", "outcome": "Matrix outcome"}
        elif path.endswith("/notes"):
            kwargs["json"] = {"text": "Matrix note"}
    url = API + path + (f"?{query}" if query else "")
    return url, kwargs


def unknown_twin(case: Case, url: str, kwargs: dict) -> tuple[str, dict, str, str] | None:
    """For a hidden target, (url and keyword arguments of the same request for an unknown code or id,
    hidden code, unknown code)."""
    if case.target in UNKNOWN or case.target in ("company", "-"):
        return None
    if "{level}" in case.path:
        level, _, code = case.target.partition(":")
        return url.replace(f"/{level}/{code}", f"/{level}/ZZ"), kwargs, code, "ZZ"
    if case.path == "/sellers/{code}":
        return url.replace(f"/sellers/{case.target}", "/sellers/ZZ"), kwargs, case.target, "ZZ"
    if case.path in ("/tokens/{token_id}", "/audit/{event_id}"):
        token_id = url.rsplit("/", 1)[1]
        return url.rsplit("/", 1)[0] + f"/{UNKNOWN_TOKEN_ID}", kwargs, token_id, str(UNKNOWN_TOKEN_ID)
    if any(p in case.path for p in ITEM_IDS):
        found = ITEM_ID_IN_URL.search(url)
        assert found is not None, url
        twin = url.replace(found.group(0), f"/{found.group(1)}/{UNKNOWN_TOKEN_ID}")
        return twin, kwargs, found.group(2), str(UNKNOWN_TOKEN_ID)
    code = case.target.partition(":")[2]
    key = "seller_code" if case.path == "/goal-conversations" else "code"
    if case.method == "GET" and case.path in STEERING_READS:
        return url.replace(f"{key}={code}", f"{key}=ZZ"), kwargs, code, "ZZ"
    if case.method == "POST" and case.path in STEERING_POSTS:
        return url, {**kwargs, "json": {**kwargs["json"], key: "ZZ"}}, code, "ZZ"
    if case.method == "GET" and case.path == "/achievements":
        return url.replace(f"code={code}", "code=ZZ"), kwargs, code, "ZZ"
    if case.method == "POST" and case.path == "/displays":
        return url, {**kwargs, "json": {**kwargs["json"], "code": "ZZ"}}, code, "ZZ"
    if case.method == "POST" and case.path == "/subscriptions":
        body = kwargs["json"]
        return url, {**kwargs, "json": {**body, "params": {**body["params"], "code": "ZZ"}}}, code, "ZZ"
    return None


FINGERPRINT_SQL = (
    "SELECT email, role, is_active, password_hash, session_version FROM users ORDER BY email",
    "SELECT * FROM kpi_definitions ORDER BY code",
    "SELECT * FROM perspectives ORDER BY key",
    "SELECT * FROM app_settings ORDER BY key",
    "SELECT id, user_id, name, scopes, expires_at, revoked_at FROM api_tokens ORDER BY id",
    "SELECT code, name, product_group FROM products ORDER BY code",
    "SELECT level, unit_code, kpi_code, month, value FROM targets ORDER BY level, unit_code, kpi_code, month",
    "SELECT * FROM comments ORDER BY id",
    "SELECT * FROM coaching_actions ORDER BY id",
    "SELECT * FROM action_notes ORDER BY id",
    "SELECT * FROM goal_conversations ORDER BY id",
    "SELECT * FROM goal_conversation_kpis ORDER BY id",
    "SELECT id, date, seller_id, account_id, type, value FROM activities ORDER BY id",
    "SELECT period, locked_by, snapshot_id FROM period_locks ORDER BY period",
    "SELECT id, period, unlocked_by FROM snapshots ORDER BY id",
    "SELECT id, owner_user_id, params, schedule, recipients, active FROM report_subscriptions ORDER BY id",
    "SELECT id, name, level, code, created_by_user_id, revoked_at FROM displays ORDER BY id",
)


def fingerprint(session: Session) -> list:
    """Everything a write route of the app can change (last_used_at of tokens aside), and the audit trail."""
    audit = ["SELECT count(*) FROM audit_events"] if inspect(session.connection()).has_table("audit_events") else []
    return [session.execute(text(sql)).all() for sql in (*FINGERPRINT_SQL, *audit)]


# --- the matrix -------------------------------------------------------------------------------------
def check_content(case: Case, res, world: World) -> None:
    """For an allowed read: exactly the visible units, and the caller's own data only."""
    user = user_of(case.principal)
    body = res.json() if res.headers.get("content-type", "").startswith("application/json") else None
    if case.path in ("/regions", "/districts") or (case.path == "/sellers" and case.target == "-"):
        assert {row["code"] for row in body} == VISIBLE[user][case.path.strip("/")]
    elif case.path == "/sellers":  # ?district=D2: those now in D2 whom the caller may see
        assert {row["code"] for row in body} == VISIBLE[user]["sellers"] & {"S3"}
    elif case.path == "/me":
        assert body["email"] == EMAILS[user]
        assert body["key_accounts"] == KEY_ACCOUNTS.get(user, [])
    elif case.path == "/tokens" and case.method == "GET" and case.target == "own":
        assert body and {t["user_email"] for t in body} == {EMAILS[user]}
    elif case.path == "/scorecards/{level}/{code}":
        assert body["code"] == (case.target.partition(":")[2] or "-")
    elif case.path == EXPORT_PATH:  # the table asked for, of the unit asked for
        level, _, code = case.target.partition(":")
        unit = level if level == "company" else f"{level}-{code}"
        name = f'scorecard-{EXPORT_TABLE[level]}-{unit}-2026-03-ytd.csv"'
        assert res.headers["content-type"].startswith("text/csv") and res.headers["content-disposition"].endswith(name)
    elif case.path == "/actions" and case.target == "-":  # the seller's: the one on their card; D3's: admin's
        assert {a["code"] for a in body["items"]} == ({"S1", "D3"} if user == "admin" else {"S1"})
    elif case.path == "/goal-conversations" and case.target == "-":
        assert {g["seller_code"] for g in body["items"]} == ({"S1", "S4"} if user == "admin" else {"S1"})
    elif case.path == "/meetings/pack":
        assert body["code"] == case.target.partition(":")[2]
        if user == "fin":  # coaching is not finance's
            assert body["actions"] == []
    elif case.path == "/periods":  # February locked (at its second snapshot), March open, both with data
        months = {row["period"]: row for row in body["items"]}
        assert months["2026-02"]["locked"] and months["2026-02"]["snapshot_id"] != world.items["snap:first"]
        assert not months["2026-03"]["locked"] and months["2026-03"]["has_data"]
    elif case.path == "/snapshots":  # the two of February, newest (locked) first
        assert [(s["period"], s["locked"]) for s in body["items"]] == [("2026-02", True), ("2026-02", False)]
    elif case.path == "/snapshots/{snapshot_id}" and case.target == "first":  # the caller's districts only
        assert {row["district_code"] for row in body["rows"]} == VISIBLE[user]["districts"]
        assert {s["code"] for s in body["scorecards"] if s["level"] == "district"} == VISIBLE[user]["districts"]
    elif case.path == "/snapshots/{snapshot_id}" and case.target == "csv":
        assert res.headers["content-type"].startswith("text/csv")
        assert {row["district_code"] for row in csv.DictReader(io.StringIO(res.text))} == VISIBLE[user]["districts"]
    elif case.path == "/snapshots/{snapshot_id}/diff":  # S3's sale restated D2: seen by who sees D2
        sees_d2 = "D2" in VISIBLE[user]["districts"]
        assert body["restated"] is sees_d2
        assert {row["district_code"] for row in body["rows"]} == ({"D2"} if sees_d2 else set())
    elif case.path == "/subscriptions":  # an administrator's: every one; others their own
        owners = {s["owner"] for s in body["items"]}
        assert owners == ({EMAILS["fin"], EMAILS["ldist"]} if user == "admin" else {EMAILS[user]} & owners)
        assert len(body["items"]) == {"admin": 2, "fin": 1, "ldist": 1}.get(user, 0)
    elif case.path == "/displays":  # an administrator's: every one; a leader's their own
        makers = {EMAILS[maker] for _, maker, _ in DISPLAYS}
        assert {d["created_by"] for d in body["items"]} == (makers if user == "admin" else {EMAILS[user]} & makers)
    elif case.path in ("/budget/variance", "/budget/forecast") and case.target == "by=district":
        codes = {row["district_code"] for row in body["rows"]}
        assert codes == VISIBLE[user]["districts"], f"budget rows of {sorted(codes)}"
    elif case.path in ("/budget/variance", "/budget/forecast") and case.target == "by=seller":
        codes = {row["seller_code"] for row in body["rows"]}  # each visible seller sold once, in their district
        assert codes == VISIBLE[user]["sellers"], f"budget rows of {sorted(codes)}"


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_access_matrix(case: Case, world: World, fresh: Session) -> None:
    url, kwargs = request_for(case, world)
    headers = world.headers[case.principal]
    is_write = case.method in WRITES and case.path != "/auth/token"
    before = fingerprint(fresh) if is_write else None

    res = world.client.request(case.method, url, headers=headers, **kwargs)

    assert res.status_code == case.expected, f"{case.id}: got {res.status_code} {res.text[:300]}"
    body = res.content.decode("utf-8", errors="replace")
    leaked = sorted(s for s in hidden_strings(case.principal) if s in body)
    assert not leaked, f"{case.id}: the response shows {leaked}"
    if res.status_code == 401:
        assert res.headers.get("www-authenticate", "").lower().startswith("bearer")
    if is_write:
        after = fingerprint(fresh)
        if 200 <= case.expected < 300:
            assert after != before, f"{case.id}: the write changed nothing; the test body is wrong"
        else:
            assert after == before, f"{case.id}: a refused write changed the database"
    if res.status_code == 404 and (twin := unknown_twin(case, url, kwargs)) is not None:
        twin_url, twin_kwargs, code, unknown = twin
        other = world.client.request(case.method, twin_url, headers=headers, **twin_kwargs)
        assert other.status_code == 404
        assert res.text.replace(code, unknown) == other.text, "a hidden unit must look exactly like an unknown one"
    if 200 <= res.status_code < 300 and case.method == "GET":
        check_content(case, res, world)


def _forged(world: World, kind: str) -> str:
    """Access tokens an attacker could make: unsigned, signed with a guessed key, or re-aimed at another user."""
    admin_id = world.admin_id
    claims = {"sub": str(admin_id), "typ": "access", "exp": datetime.now(UTC) + timedelta(minutes=30)}
    if kind == "alg-none":
        return jwt.encode(claims, key=None, algorithm="none")
    if kind == "other-key":
        return jwt.encode(claims, "not-the-secret-key-but-long-enough-32b", algorithm="HS256")
    # the finance user's genuine token with the payload changed to the admin's id, signature kept
    head, payload, signature = world.headers["fin"]["Authorization"].removeprefix("Bearer ").split(".")
    data = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    data["sub"] = str(admin_id)
    forged = base64.urlsafe_b64encode(json.dumps(data).encode()).decode().rstrip("=")
    return f"{head}.{forged}.{signature}"


@pytest.mark.parametrize("kind", ["alg-none", "other-key", "payload-swapped"])
def test_forged_access_tokens_are_401(kind: str, world: World, fresh: Session) -> None:
    before = fingerprint(fresh)
    headers = _bearer(_forged(world, kind))
    for method, url, kwargs in (("GET", f"{API}/me", {}), ("GET", f"{API}/users", {}),
                                ("PATCH", f"{API}/settings/scorecard", {"json": {"score_cap": 1.7}})):
        res = world.client.request(method, url, headers=headers, **kwargs)
        assert res.status_code == 401, f"{kind} {method} {url}: {res.status_code} {res.text[:200]}"
    assert fingerprint(fresh) == before


def test_no_write_outlives_its_test(world: World, fresh: Session) -> None:
    """The SAVEPOINT per test really isolates: whatever ran before, the database is as built."""
    assert fingerprint(fresh) == world.baseline


def _walk(routes) -> Iterator[tuple[set[str], str]]:
    """(methods, path) of every API route, also inside included routers (FastAPI 0.165 keeps those
    as one entry whose effective routes carry the full path)."""
    for route in routes:
        if isinstance(route, APIRoute):
            yield set(route.methods), route.path
        contexts = getattr(route, "effective_route_contexts", None)
        if callable(contexts):
            for ctx in contexts():
                yield set(ctx.methods or ()), ctx.path


def _routes() -> set[tuple[str, str]]:
    app = create_app(precompute=False)
    found = {(m, path.removeprefix(API)) for methods, path in _walk(app.routes) if path.startswith(API)
             for m in methods - {"HEAD", "OPTIONS"}}
    openapi = {(m.upper(), p.removeprefix(API)) for p, ops in app.openapi()["paths"].items()
               for m in ops if p.startswith(API)}
    assert openapi <= found, "the route walk misses OpenAPI paths"
    return found | openapi


def test_every_endpoint_is_in_the_matrix() -> None:
    """A new route without rows in MATRIX fails here; so does a row for a route that is gone."""
    routes = _routes()
    in_matrix = {(c.method, c.path) for c in CASES}
    assert routes - in_matrix == set(), "endpoints missing from the access matrix"
    assert in_matrix - routes == set(), "matrix rows for endpoints that do not exist"


def test_every_endpoint_is_tried_by_every_principal_and_refuses_bad_credentials() -> None:
    """Each endpoint is called by each of the 15 principals; every one needing a sign-in refuses the 4 bad ones."""
    by_endpoint: dict[tuple[str, str], set[str]] = {}
    for c in CASES:
        by_endpoint.setdefault((c.method, c.path), set()).add(c.principal)
    public = {("GET", "/health"), ("POST", "/auth/token")}
    # the sign-in route takes a form, not a bearer token: it is tried with and without bad headers only
    assert all(p == set(PRINCIPALS) for e, p in by_endpoint.items() if e != ("POST", "/auth/token"))
    for c in CASES:
        if c.principal in BAD and (c.method, c.path) not in public:
            assert c.expected == 401, c.id
        if c.principal in TOKEN_USER and c.method in WRITES and (c.method, c.path) not in public:
            assert c.expected == 403, c.id


# --- the mover --------------------------------------------------------------------------------------
# S5 moved from D1 (led by ldist; D1 is in RN, led by lreg) to D3 (led by ld3) on 2026-03-16. For a
# period, a leader sees a seller when the seller belonged to one of the leader's units on the period's
# last day (PRODUCT.md §3): 2026-02 (S5 in D1 on 28 Feb) is the old leaders', 2026-03 (in D3 on 31 Mar)
# the new leader's. A trend ends at its period, so it follows its period. What names a seller without a
# period (the seller's record, the sellers list) follows "in at least one period": all three leaders
# (README, Access). The mover's own login sees every period, another seller (S1) none.
# Every route that takes a seller code is a row here, for both periods
# (test_every_seller_route_is_in_the_move_table). `in`/`out`: 200, with S5 listed or not.
#
# route                                            period   ldist lreg ld3  admin mover seller
MOVES = """
GET /scorecards/{level}/{code}                     2026-02  200   200  404  200   200   404
GET /scorecards/{level}/{code}                     2026-03  404   404  200  200   200   404
GET /scorecards/{level}/{code}/children            2026-02  200   200  404  200   200   404
GET /scorecards/{level}/{code}/children            2026-03  404   404  200  200   200   404
GET /scorecards/{level}/{code}/trend               2026-02  200   200  404  200   200   404
GET /scorecards/{level}/{code}/trend               2026-03  404   404  200  200   200   404
GET /charts/scorecards/{level}/{code}/kpis         2026-02  200   200  404  200   200   404
GET /charts/scorecards/{level}/{code}/kpis         2026-03  404   404  200  200   200   404
GET /charts/scorecards/{level}/{code}/perspectives 2026-02  200   200  404  200   200   404
GET /charts/scorecards/{level}/{code}/perspectives 2026-03  404   404  200  200   200   404
GET /charts/scorecards/{level}/{code}/trend        2026-02  200   200  404  200   200   404
GET /charts/scorecards/{level}/{code}/trend        2026-03  404   404  200  200   200   404
GET /charts/scorecards/{level}/{code}/heatmap      2026-02  200   200  404  200   200   404
GET /charts/scorecards/{level}/{code}/heatmap      2026-03  404   404  200  200   200   404
GET /scorecards/{level}/{code}/outlook             2026-02  200   200  404  200   200   404
GET /scorecards/{level}/{code}/outlook             2026-03  404   404  200  200   200   404
GET /scorecards/{level}/{code}/children/outlook    2026-02  200   200  404  200   200   404
GET /scorecards/{level}/{code}/children/outlook    2026-03  404   404  200  200   200   404
GET /charts/scorecards/{level}/{code}/outlook      2026-02  200   200  404  200   200   404
GET /charts/scorecards/{level}/{code}/outlook      2026-03  404   404  200  200   200   404
GET /scorecards/{level}/{code}/export              2026-02  200   200  404  200   200   404
GET /scorecards/{level}/{code}/export              2026-03  404   404  200  200   200   404
GET /sellers/{code}                                -        200   200  200  200   200   404
GET /sellers                                       -        in    in   in   in    in    out
"""
MOVE_PRINCIPALS = ("ldist", "lreg", "ld3", "admin", "mover", "seller")
# S5's own card holds all their sales (PRODUCT.md §2): revenue YTD through February = the February sale
# 1109.37; through March = 1109.37 + 1203.59 = 2312.96. The 2-month trend: (Jan 0, Feb 1109.37) and
# (Feb 1109.37, Mar 1203.59).
MOVER_YTD = {"2026-02": 1109.37, "2026-03": 2312.96}
MOVER_TREND = {"2026-02": [0.0, 1109.37], "2026-03": [1109.37, 1203.59]}
# The new district's leader (ld3) sees S5 from the move on, and not before: February blanked (null).
MOVER_TREND_LD3 = {"2026-03": [None, 1203.59]}


@dataclass(frozen=True)
class MoveCase:
    path: str
    period: str
    principal: str
    expected: int
    listed: bool | None  # for the list: whether S5 is in it
    warm_by: str | None  # a principal who may see it, who asks first so a refused case meets a warm cache

    @property
    def id(self) -> str:
        return f"GET {self.path} [S5 @ {self.period}] as {self.principal} -> {self.expected}"


def _parse_moves(table: str) -> list[MoveCase]:
    cases = []
    for line in table.strip().splitlines():
        method, path, period, *cells = line.split()
        assert method == "GET" and len(cells) == len(MOVE_PRINCIPALS), line
        allowed = [p for p, c in zip(MOVE_PRINCIPALS, cells, strict=True) if c != "404"]
        for principal, cell in zip(MOVE_PRINCIPALS, cells, strict=True):
            listed = {"in": True, "out": False}.get(cell)
            cases.append(MoveCase(path, period, principal, 200 if listed is not None else int(cell), listed,
                                  allowed[0] if cell == "404" else None))
    return cases


MOVE_CASES = _parse_moves(MOVES)


def _move_url(case: MoveCase) -> str:
    if "{level}" in case.path:
        query = (f"as_of={case.period}" if case.path.endswith("/outlook") else f"period={case.period}") + (
            "&months=2" if case.path.endswith("/trend") else "")
        query += "&table=kpis" if case.path == EXPORT_PATH else ""
        return f"{API}{case.path.replace('{level}', 'seller').replace('{code}', 'S5')}?{query}"
    return API + case.path.replace("{code}", "S5")


@pytest.mark.parametrize("case", MOVE_CASES, ids=[c.id for c in MOVE_CASES])
def test_mover_access(case: MoveCase, world: World, fresh: Session) -> None:
    url = _move_url(case)
    if case.warm_by is not None:
        # someone allowed asks first: the card, trend or figure is then in the figure cache, and the
        # refusal below must come from the access check, not from an empty cache
        assert world.client.get(url, headers=world.headers[case.warm_by]).status_code == 200
    res = world.client.get(url, headers=world.headers[case.principal])

    assert res.status_code == case.expected, f"{case.id}: got {res.status_code} {res.text[:300]}"
    if case.principal in ("ldist", "lreg", "seller"):
        assert MOVER_SALES["after"][2] not in res.text, f"{case.id}: shows the sale made after the move"
    if res.status_code == 404:
        twin = world.client.get(url.replace("/S5", "/ZZ"), headers=world.headers[case.principal])
        assert twin.status_code == 404 and res.text.replace("S5", "ZZ") == twin.text
        return
    if case.path == EXPORT_PATH:  # S5's KPIs as CSV: the card's figures, its previous period blanked as the card's
        revenue = next(r for r in csv.DictReader(io.StringIO(res.text)) if r["Code"] == "revenue")
        assert float(revenue["Actual"]) == pytest.approx(MOVER_YTD[case.period])
        if case.period == "2026-03":  # February is not the new leader's to see
            assert revenue["Previous actual"] == ("" if case.principal == "ld3" else "1109.37")
        return
    body = res.json()
    if case.path == "/scorecards/{level}/{code}":
        revenue = next(k for p in body["perspectives"] for k in p["kpis"] if k["code"] == "revenue")
        assert revenue["actual"] == pytest.approx(MOVER_YTD[case.period])
    elif case.path == "/scorecards/{level}/{code}/trend":
        expected = (MOVER_TREND_LD3 if case.principal == "ld3" else MOVER_TREND)[case.period]
        assert [p["kpis"]["revenue"]["actual"] for p in body["points"]] == pytest.approx(expected)
    elif case.path == "/sellers/{code}":
        assert body["history"] == [{"district_code": "D1", "valid_from": "2020-01-01"},
                                   {"district_code": "D3", "valid_from": MOVE_DAY.isoformat()}]
    elif case.path == "/sellers":
        assert ("S5" in {s["code"] for s in body}) is case.listed


def test_every_seller_route_is_in_the_move_table() -> None:
    """A new route that takes a seller (a {level}/{code} route, or under /sellers) fails here until the
    mover's table has rows for it; each {level}/{code} route has both periods."""
    seller_routes = {p for m, p in _routes() if m == "GET" and ("{level}/{code}" in p or p.startswith("/sellers"))}
    assert {c.path for c in MOVE_CASES} == seller_routes
    for path in seller_routes:
        periods = {c.period for c in MOVE_CASES if c.path == path}
        assert periods == ({"2026-02", "2026-03"} if "{level}" in path else {"-"}), path
