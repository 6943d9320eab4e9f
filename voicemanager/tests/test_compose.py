"""docker-compose.yml validates with the real docker-compose binary (no engine needed)."""
import os
import subprocess
from pathlib import Path

import compose

ROOT = Path(__file__).resolve().parents[2]
ENV = {**os.environ, "SECRET_KEY": "compose-validation-only"}


def test_docker_compose_config_is_valid():
    binary = Path(compose.__file__).parent / "docker-compose"
    result = subprocess.run([str(binary), "-f", str(ROOT / "docker-compose.yml"), "config", "-q"],
                            capture_output=True, text=True, timeout=60, cwd=ROOT, env=ENV)
    assert result.returncode == 0, result.stderr
    services = subprocess.run([str(binary), "-f", str(ROOT / "docker-compose.yml"), "config", "--services"],
                              capture_output=True, text=True, timeout=60, cwd=ROOT, env=ENV).stdout.split()
    assert {"web", "worker", "adherence", "beat", "redis", "postgres", "s3"} <= set(services)
