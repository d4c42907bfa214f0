"""Docker cannot run on the build machine, so the deployment files are checked as files: the
compose file is valid YAML with both services, health checks, a volume, migrations at start, and
only variables the application actually reads."""

from __future__ import annotations

import re

import yaml

from app.settings import PROJECT_ROOT, Settings

COMPOSE = PROJECT_ROOT / "docker-compose.yml"


def _compose() -> dict:  # type: ignore[type-arg]
    data = yaml.safe_load(COMPOSE.read_text())
    assert isinstance(data, dict)
    return data


def _settings_variables() -> set[str]:
    names = {f"ONBOARD_{name.upper()}" for name in Settings.model_fields}
    return names | {"DATABASE_URL"}


def test_compose_names_the_app_and_postgres_16() -> None:
    services = _compose()["services"]
    assert set(services) == {"app", "db"}
    assert services["db"]["image"] == "postgres:16"
    assert "db-data" in _compose()["volumes"]
    assert any(v.startswith("db-data:") for v in services["db"]["volumes"])


def test_compose_has_health_checks_and_ordering() -> None:
    services = _compose()["services"]
    assert "pg_isready" in " ".join(services["db"]["healthcheck"]["test"])
    assert "/readyz" in " ".join(services["app"]["healthcheck"]["test"])
    assert services["app"]["depends_on"]["db"]["condition"] == "service_healthy"


def test_compose_applies_migrations_at_start() -> None:
    command = " ".join(_compose()["services"]["app"]["command"])
    assert "onboard db upgrade" in command and "onboard serve" in command
    assert command.index("db upgrade") < command.index("serve")


def test_compose_sets_only_variables_the_app_reads() -> None:
    app = _compose()["services"]["app"]
    env = app["environment"]
    assert {"DATABASE_URL", "ONBOARD_SECRET_KEY", "ONBOARD_ENVIRONMENT"} <= set(env)
    assert set(env) <= _settings_variables(), set(env) - _settings_variables()
    assert env["ONBOARD_ENVIRONMENT"] == "production"
    assert env["DATABASE_URL"].startswith("postgresql+psycopg://") and "@db:5432/" in env["DATABASE_URL"]
    assert ".env" in app["env_file"]
    # The key must come from the environment file; compose refuses to start without it.
    assert ":?" in env["ONBOARD_SECRET_KEY"]


def test_env_example_uses_only_known_variables() -> None:
    names = set(re.findall(r"^([A-Z_]+)=", (PROJECT_ROOT / ".env.example").read_text(), re.M))
    assert names - {"POSTGRES_PASSWORD"} <= _settings_variables()


def test_dockerfile_runs_migrations_and_checks_readiness() -> None:
    text = (PROJECT_ROOT / "Dockerfile").read_text()
    assert "onboard db upgrade" in text and "/readyz" in text
    assert "USER onboard" in text
    assert "ONBOARD_ENVIRONMENT=production" in text
    assert "-c constraints.txt" in text


def test_ci_runs_the_readme_test_command() -> None:
    ci = (PROJECT_ROOT / ".ci" / "run").read_text()
    readme = (PROJECT_ROOT / "README.md").read_text()
    assert "make test" in ci
    assert "make run" in readme and "make test" in readme
