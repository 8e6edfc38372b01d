# syntax=docker/dockerfile:1
# Build stage: wheels for the app and its dependencies.
FROM python:3.11-slim AS build
WORKDIR /src
COPY pyproject.toml README.md ./
COPY app ./app
COPY geo ./geo
RUN pip wheel --no-cache-dir --wheel-dir /wheels .

# Runtime stage: no compilers, non-root, with a health check.
FROM python:3.11-slim
RUN useradd --create-home --uid 10001 cyberspace
WORKDIR /srv
COPY --from=build /wheels /wheels
# Dependencies from wheels; the project itself runs from /srv, beside contracts/artifacts.
RUN pip install --no-cache-dir $(ls /wheels/*.whl | grep -v '/cyberspace-') && rm -rf /wheels
COPY app ./app
COPY geo ./geo
COPY alembic.ini ./
COPY migrations ./migrations
COPY scripts ./scripts
COPY contracts/artifacts ./contracts/artifacts
USER cyberspace
ENV PYTHONUNBUFFERED=1 PYTHONPATH=/srv
EXPOSE 8000
HEALTHCHECK --interval=10s --timeout=3s --retries=3 \
  CMD python -c "import urllib.request,sys; sys.exit(urllib.request.urlopen('http://127.0.0.1:8000/healthz').status != 200)"
CMD ["uvicorn", "app.asgi:app", "--host", "0.0.0.0", "--port", "8000", "--no-access-log"]
