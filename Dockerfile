# syntax=docker/dockerfile:1
# Production image: `docker build -t sales-scorecard .`, then
#   docker run -p 8000:8000 -e SECRET_KEY=... -e DATABASE_URL=postgresql+psycopg://user:pw@db:5432/scorecard sales-scorecard
# The entrypoint migrates the database (`scorecard migrate`) before serving; MIGRATE_ON_START=0 skips that.

ARG PYTHON_IMAGE=python:3.12.12-slim-bookworm

# --- build: the project's wheel plus wheels of all its dependencies, installed into a venv ---
FROM ${PYTHON_IMAGE} AS build
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_NO_CACHE_DIR=1
WORKDIR /src
COPY pyproject.toml README.md alembic.ini ./
COPY app ./app
COPY migrations ./migrations
COPY frontend ./frontend
RUN pip wheel --no-cache-dir --wheel-dir /wheels . \
    && python -m venv /opt/venv \
    && /opt/venv/bin/pip install --no-cache-dir --no-index --find-links /wheels /wheels/sales_scorecard-*.whl

# --- runtime: the venv only; no compilers, no wheels, no source tree ---
FROM ${PYTHON_IMAGE}
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    ENVIRONMENT=production \
    DATABASE_URL=sqlite:////data/scorecard.db
RUN groupadd --system --gid 10001 scorecard \
    && useradd --system --uid 10001 --gid scorecard --home-dir /data --no-create-home scorecard \
    && mkdir /data \
    && chown scorecard:scorecard /data
COPY --from=build /opt/venv /opt/venv
COPY --chmod=0755 docker/entrypoint.sh /usr/local/bin/scorecard-entrypoint
WORKDIR /data
USER 10001:10001
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
    CMD ["python", "-c", "import sys, urllib.request; r = urllib.request.urlopen('http://127.0.0.1:8000/api/v1/health', timeout=4); sys.exit(0 if r.status == 200 else 1)"]
ENTRYPOINT ["scorecard-entrypoint"]
CMD ["scorecard", "serve", "--host", "0.0.0.0", "--port", "8000"]
