"""docker-compose.yml, the Nginx config and the Dockerfile say what docs/SCALING.md and
README's deployment section promise: two replicas behind Nginx, sticky polling, WebSocket
upgrades, rate limits, migrations before the app, non-root image with a health check."""

import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
NGINX = (ROOT / "deploy" / "nginx" / "nginx.conf").read_text()


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    """The resolved configuration (anchors, merges and variables applied) from compose."""
    binary = shutil.which("docker-compose")
    assert binary, "docker-compose must be installed (scripts/setup.d/10-docker-compose.sh)"
    result = subprocess.run(
        [binary, "config"], cwd=ROOT, capture_output=True, text=True, check=True
    )
    config: dict[str, Any] = yaml.safe_load(result.stdout)
    return config


def _nginx_block(name: str) -> str:
    match = re.search(re.escape(name) + r"\s*\{(.*?)\n\s*\}", NGINX, re.S)
    assert match, f"no `{name}` block in nginx.conf"
    return match.group(1)


def test_two_app_replicas_run_the_asgi_app_after_migrations(compose: dict[str, Any]) -> None:
    services = compose["services"]
    replicas = [name for name in services if name.startswith("app-")]
    assert len(replicas) >= 2
    migrate = services["migrate"]
    assert migrate["command"] == ["alembic", "upgrade", "head"]
    for name in replicas:
        app = services[name]
        assert app["depends_on"]["migrate"]["condition"] == "service_completed_successfully"
        assert app["depends_on"]["redis"]["condition"] == "service_healthy"
        assert "/readyz" in " ".join(app["healthcheck"]["test"])
        env = app["environment"]
        assert env["ENVIRONMENT"] == "production"
        assert env["DATABASE_URL"].startswith("postgresql+psycopg://")
        assert env["REDIS_URL"].startswith("redis://redis:")
        # Replicas must share one chain (an embedded chain is per process).
        assert "WEB3_RPC_URL" in env
        assert "ports" not in app, "replicas are reached through nginx only"
    assert services["db"]["healthcheck"]
    assert services["migrate"]["depends_on"]["db"]["condition"] == "service_healthy"


def test_nginx_fronts_every_replica(compose: dict[str, Any]) -> None:
    nginx = compose["services"]["nginx"]
    assert any(str(p).endswith("8080") or "8080" in str(p) for p in nginx["ports"])
    assert any("deploy/nginx/nginx.conf" in str(v) for v in nginx["volumes"])
    upstream = _nginx_block("upstream cyberspace")
    replicas = [n for n in compose["services"] if n.startswith("app-")]
    for name in replicas:
        assert re.search(rf"server\s+{name}:8000", upstream), name
        assert nginx["depends_on"][name]["condition"] == "service_healthy"


def test_nginx_sticky_sessions_websockets_and_limits() -> None:
    upstream = _nginx_block("upstream cyberspace")
    assert re.search(r"^\s*(ip_hash|hash\s+\S+\s+consistent);", upstream, re.M), "sticky"
    socketio = _nginx_block("location /socket.io/")
    assert "proxy_set_header Upgrade $http_upgrade;" in socketio
    assert "proxy_set_header Connection $connection_upgrade;" in socketio
    assert re.search(r"proxy_read_timeout\s+\d{3,}s;", socketio)
    assert "map $http_upgrade $connection_upgrade" in NGINX
    assert re.search(r"limit_req_zone \$binary_remote_addr zone=api:\S+ rate=\d+r/s;", NGINX)
    assert re.search(r"limit_req_zone \$binary_remote_addr zone=auth:\S+ rate=\d+r/s;", NGINX)
    assert "limit_req zone=auth" in _nginx_block("location /api/auth/")
    assert "limit_req_status 429;" in NGINX
    assert "client_max_body_size 1m;" in NGINX
    # Overwritten, not appended: the app trusts X-Forwarded-For (FORWARDED_ALLOW_IPS).
    assert "proxy_set_header X-Forwarded-For $remote_addr;" in NGINX
    assert "deny all;" in _nginx_block("location = /metrics")


def test_nginx_config_braces_balance() -> None:
    stripped = re.sub(r"#.*", "", NGINX)
    depth = 0
    for char in stripped:
        depth += {"{": 1, "}": -1}.get(char, 0)
        assert depth >= 0
    assert depth == 0


def test_dockerfile_is_multi_stage_non_root_with_healthcheck() -> None:
    dockerfile = (ROOT / "Dockerfile").read_text()
    assert len(re.findall(r"^FROM ", dockerfile, re.M)) >= 2
    runtime = dockerfile.rsplit("\nFROM ", 1)[1]
    assert re.search(r"^USER (?!root)\S+", runtime, re.M)
    assert re.search(r"^HEALTHCHECK .*\n?.*CMD .*(/healthz)", runtime, re.M)
    assert '"uvicorn", "app.asgi:app"' in runtime
    assert "--proxy-headers" in runtime
    ignored = (ROOT / ".dockerignore").read_text().split()
    assert {".venv", ".git", ".env", "deploy/*.env"} <= set(ignored)
