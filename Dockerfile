# syntax=docker/dockerfile:1
# CryoProtect image: `docker build -t cryoprotect .` (compose.yaml builds it too).
# Stage 1 builds a virtualenv from the pinned lock; stage 2 copies only that virtualenv into
# a slim runtime that runs as an unprivileged user.

ARG PYTHON_IMAGE=python:3.11-slim-bookworm

FROM ${PYTHON_IMAGE} AS build
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_NO_CACHE_DIR=1
WORKDIR /src
RUN python -m venv /opt/venv
ENV PATH=/opt/venv/bin:$PATH
# Dependencies first (a layer that changes only with the lock), then the package itself.
# The lock constrains versions; only the runtime dependencies are installed.
COPY requirements.lock pyproject.toml README.md ./
COPY src ./src
RUN pip install --constraint requirements.lock . \
    && python -c "import cryoprotect, gunicorn, rdkit"

FROM ${PYTHON_IMAGE} AS runtime
# RDKit's bundled cairo links against the X11 client libraries.
RUN apt-get update \
    && apt-get install -y --no-install-recommends libx11-6 libxext6 libxrender1 \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --system --uid 10001 --user-group --home-dir /var/lib/cryoprotect \
        --create-home --shell /usr/sbin/nologin cryoprotect
COPY --from=build /opt/venv /opt/venv
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    CRYOPROTECT_HOME=/var/lib/cryoprotect
USER cryoprotect
WORKDIR /var/lib/cryoprotect
VOLUME ["/var/lib/cryoprotect"]
EXPOSE 5000
# Liveness (GET /health, no database query): 503 only when the app cannot recover by itself,
# i.e. the embedded database that `serve` restarts has been down longer than
# CRYOPROTECT_DB_DOWN_LIMIT (60 s) with no restart under way. Readiness is /health/ready.
HEALTHCHECK --interval=30s --timeout=5s --start-period=90s --retries=3 \
    CMD ["python", "-c", "import sys, urllib.request; sys.exit(0 if urllib.request.urlopen('http://127.0.0.1:5000/health', timeout=4).status == 200 else 1)"]
# Migrates the database (DATABASE_URL, or the embedded server under CRYOPROTECT_HOME), then
# runs gunicorn; SIGTERM (docker stop) drains in-flight requests and exits 0.
STOPSIGNAL SIGTERM
CMD ["cryoprotect", "serve", "--prod", "--host", "0.0.0.0", "--port", "5000"]
