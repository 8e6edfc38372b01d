"""The deployment files stay valid for users who have Docker (more in tests/deploy/)."""

import shutil
import subprocess
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent


def test_docker_compose_config_is_valid() -> None:
    binary = shutil.which("docker-compose")
    assert binary, "docker-compose must be installed (scripts/setup.d/10-docker-compose.sh does it)"
    result = subprocess.run(
        [binary, "config", "-q"], cwd=ROOT, capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stderr
    services = yaml.safe_load((ROOT / "docker-compose.yml").read_text())["services"]
    assert {"db", "redis", "migrate", "app-1", "app-2", "nginx"} <= set(services)
    assert services["db"]["image"].startswith("postgis/postgis")
