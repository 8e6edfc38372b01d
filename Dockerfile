# syntax=docker/dockerfile:1
# Build stage: wheels for the app and its dependencies.
FROM python:3.11-slim AS build
WORKDIR /src
COPY pyproject.toml README.md ./
COPY app ./app
COPY geo ./geo
RUN pip wheel --no-cache-dir --wheel-dir /wheels .

# Web stage: the vendor files /console and /map serve (leaflet, geoman, socket.io-client),
# copied from npm packages into app/web/static/vendor by web/build.mjs; never a CDN.
FROM node:20-slim AS web
WORKDIR /src
COPY web/package.json web/package-lock.json web/build.mjs ./web/
RUN cd web && npm ci --no-audit --no-fund --loglevel=error && node build.mjs

# Runtime stage: no compilers, no node, non-root, with a health check.
FROM python:3.11-slim
RUN useradd --create-home --uid 10001 cyberspace
WORKDIR /srv
COPY --from=build /wheels /wheels
# Dependencies from wheels; the project itself runs from /srv, beside contracts/artifacts.
RUN pip install --no-cache-dir $(ls /wheels/*.whl | grep -v '/cyberspace-') && rm -rf /wheels
COPY app ./app
COPY --from=web /src/app/web/static/vendor ./app/web/static/vendor
COPY geo ./geo
COPY alembic.ini ./
COPY migrations ./migrations
COPY scripts ./scripts
COPY contracts/artifacts ./contracts/artifacts
USER cyberspace
# FORWARDED_ALLOW_IPS: uvicorn trusts X-Forwarded-For only from these peers. The app is
# reached only through Nginx / the ingress, which overwrite the header with the client
# address, so per-IP rate limits see the real client. Narrow it if the port is exposed.
ENV PYTHONUNBUFFERED=1 PYTHONDONTWRITEBYTECODE=1 PYTHONPATH=/srv FORWARDED_ALLOW_IPS=*
EXPOSE 8000
# Liveness only: the process answers. Readiness (/readyz) is the orchestrator's business.
HEALTHCHECK --interval=10s --timeout=3s --start-period=20s --retries=3 \
  CMD python -c "import urllib.request,sys; sys.exit(urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=2).status != 200)"
CMD ["uvicorn", "app.asgi:app", "--host", "0.0.0.0", "--port", "8000", "--proxy-headers", "--no-access-log", "--ws-per-message-deflate", "false", "--timeout-graceful-shutdown", "20"]
