"""Deployment files stay valid and in step with the code: Dockerfile, compose.yaml,
.env.example, the GitHub workflow and the gunicorn configuration.

None of them can run here (no Docker, no GitHub), so this checks what can be checked
without running them: that they parse, that their graphs are sound (jobs and ``needs``,
services and ``depends_on``), and that every command, route, port, path and variable they
name exists in the repository or the app.
"""

from __future__ import annotations

import ast
import json
import os
import re
import subprocess
import sys
import tomllib
from pathlib import Path
from typing import Any

import pytest
import yaml

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[2]
WORKFLOW = ROOT / ".github" / "workflows" / "ci.yml"
COMPOSE = ROOT / "compose.yaml"
DOCKERFILE = ROOT / "Dockerfile"
ENV_EXAMPLE = ROOT / ".env.example"
COMPOSE_SECTION = "# ---- compose.yaml only"


def _yaml(path: Path) -> Any:
    return yaml.safe_load(path.read_text())


# -------------------------------------------------------------------- parsing
@pytest.mark.parametrize(
    "path",
    sorted({*(ROOT / "deploy").rglob("*.yml"), COMPOSE, WORKFLOW}),
    ids=lambda p: str(p.relative_to(ROOT)),
)
def test_yaml_files_parse(path: Path) -> None:
    assert isinstance(_yaml(path), dict)


@pytest.mark.parametrize(
    "path", sorted((ROOT / "deploy").rglob("*.json")), ids=lambda p: str(p.relative_to(ROOT))
)
def test_json_files_parse(path: Path) -> None:
    assert isinstance(json.loads(path.read_text()), dict)


# ------------------------------------------------------------------- workflow
def _makefile_targets() -> dict[str, list[str]]:
    """Target name -> recipe lines of the Makefile."""
    targets: dict[str, list[str]] = {}
    current: list[str] | None = None
    for line in (ROOT / "Makefile").read_text().splitlines():
        header = re.match(r"^([A-Za-z][\w.-]*)\s*:(?!=)", line)
        if header:
            current = targets.setdefault(header.group(1), [])
        elif line.startswith("\t") and current is not None:
            current.append(line.strip())
        elif not line.strip():
            current = None
    return targets


def test_workflow_triggers_on_push_and_pull_request() -> None:
    workflow = _yaml(WORKFLOW)
    triggers = workflow.get("on", workflow.get(True))  # YAML 1.1 reads a bare `on` as true
    assert "push" in triggers and "pull_request" in triggers


def test_workflow_job_graph() -> None:
    jobs = _yaml(WORKFLOW)["jobs"]
    assert {"lint", "typecheck", "test"} <= jobs.keys()
    for name, job in jobs.items():
        needs = job.get("needs", [])
        needs = [needs] if isinstance(needs, str) else needs
        assert set(needs) <= jobs.keys() - {name}, f"{name} needs unknown jobs {needs}"
        assert job["steps"], name
    # No cycles: a topological order exists.
    remaining = {n: set(j.get("needs", [])) for n, j in jobs.items()}
    while remaining:
        ready = [n for n, deps in remaining.items() if not deps & remaining.keys()]
        assert ready, f"cycle among {sorted(remaining)}"
        for n in ready:
            del remaining[n]
    assert set(jobs["test"]["needs"]) == {"lint", "typecheck"}


def test_workflow_runs_the_real_commands() -> None:
    jobs = _yaml(WORKFLOW)["jobs"]

    def runs(job: str) -> str:
        return "\n".join(s.get("run", "") for s in jobs[job]["steps"])

    assert "make lint" in runs("lint")
    assert "make typecheck" in runs("typecheck")
    assert ".ci/run" in runs("test")
    ci_run = (ROOT / ".ci" / "run").read_text()
    assert ci_run.rstrip().splitlines()[-1] == "make test"
    assert "apt-get install" in ci_run and "prometheus" in ci_run
    # The Makefile targets run the same commands as the code-quality test and pytest.
    targets = _makefile_targets()
    quality = (ROOT / "tests" / "unit" / "test_code_quality.py").read_text()
    assert any("ruff check src tests" in line for line in targets["lint"])
    assert any("ruff format --check src tests" in line for line in targets["lint"])
    assert '"ruff", "check", "src", "tests"' in quality
    assert '"ruff", "format", "--check", "src", "tests"' in quality
    assert any(line.endswith("-m mypy") for line in targets["typecheck"])
    assert any(line.endswith("-m pytest") for line in targets["test"])


def test_workflow_python_matches_the_project() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    minimum = project["requires-python"].removeprefix(">=")
    for job in _yaml(WORKFLOW)["jobs"].values():
        for step in job["steps"]:
            if step.get("uses", "").startswith("actions/setup-python"):
                assert step["with"]["python-version"] == minimum


# -------------------------------------------------------------------- compose
def _compose() -> dict[str, Any]:
    return _yaml(COMPOSE)


def test_compose_services_and_dependencies() -> None:
    services = _compose()["services"]
    assert {"db", "app", "prometheus", "grafana", "alertmanager"} <= services.keys()
    for name, service in services.items():
        assert "image" in service or "build" in service, name
        depends = service.get("depends_on", [])
        assert set(depends) <= services.keys() - {name}, f"{name}: {depends}"
    assert services["app"]["depends_on"]["db"]["condition"] == "service_healthy"
    assert "healthcheck" in services["db"]
    assert services["app"]["build"] == "."


def test_compose_volumes_and_mounts_exist() -> None:
    compose = _compose()
    named = set(compose.get("volumes", {}))
    for name, service in compose["services"].items():
        for mount in service.get("volumes", []):
            source = mount.split(":", 1)[0]
            if source.startswith("."):
                assert (ROOT / source).exists(), f"{name}: {source} is not in the repository"
            else:
                assert source in named, f"{name}: volume {source} is not declared"


def test_compose_wires_app_prometheus_and_grafana_together() -> None:
    services = _compose()["services"]
    scrape = _yaml(ROOT / "deploy" / "prometheus" / "prometheus.yml")["scrape_configs"]
    app_job = next(c for c in scrape if c["job_name"] == "cryoprotect")
    host, port = app_job["static_configs"][0]["targets"][0].split(":")
    assert host in services and host == "app"
    assert f"EXPOSE {port}" in DOCKERFILE.read_text()
    assert any(p.endswith(f":{port}") for p in services["app"]["ports"])
    datasource = _yaml(
        ROOT / "deploy" / "grafana" / "provisioning" / "datasources" / "prometheus.yml"
    )
    url = datasource["datasources"][0]["url"]
    assert re.fullmatch(r"http://prometheus:9090", url)
    provider = _yaml(
        ROOT / "deploy" / "grafana" / "provisioning" / "dashboards" / "cryoprotect.yml"
    )
    dashboards_path = provider["providers"][0]["options"]["path"]
    assert f"./deploy/grafana/dashboards:{dashboards_path}:ro" in services["grafana"]["volumes"]
    assert "./deploy/prometheus:/etc/prometheus:ro" in services["prometheus"]["volumes"]


# ----------------------------------------------------------------- Dockerfile
def _instructions() -> list[tuple[str, str]]:
    text = re.sub(r"\\\n", " ", DOCKERFILE.read_text())
    out = []
    for line in text.splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            word, _, rest = line.partition(" ")
            out.append((word.upper(), rest.strip()))
    return out


def test_dockerfile_is_multi_stage() -> None:
    instructions = _instructions()
    stages = [
        re.search(r"\bAS\s+(\S+)", rest, re.I) for word, rest in instructions if word == "FROM"
    ]
    names = [m.group(1) for m in stages if m]
    assert len(stages) >= 2 and "build" in names
    copies_from = [rest for word, rest in instructions if word == "COPY" and "--from=" in rest]
    assert copies_from and all(re.search(r"--from=(\S+)", c).group(1) in names for c in copies_from)  # type: ignore[union-attr]


def test_dockerfile_runs_as_a_non_root_user() -> None:
    instructions = _instructions()
    final = max(i for i, (word, _) in enumerate(instructions) if word == "FROM")
    users = [rest for word, rest in instructions[final:] if word == "USER"]
    assert users, "the final stage sets no USER"
    assert users[-1].split(":")[0] not in {"root", "0"}
    assert any(
        word == "RUN" and "useradd" in rest and users[-1] in rest for word, rest in instructions
    )


def test_dockerfile_copies_only_files_the_context_keeps() -> None:
    ignored = [
        line.strip()
        for line in (ROOT / ".dockerignore").read_text().splitlines()
        if line.strip() and not line.startswith("#")
    ]
    for word, rest in _instructions():
        if word == "COPY" and "--from=" not in rest:
            for source in rest.split()[:-1]:
                assert (ROOT / source).exists(), source
                assert source not in ignored, f"{source} is excluded by .dockerignore"


def test_dockerfile_healthcheck_and_command_use_real_routes_and_commands(app: Any) -> None:
    instructions = dict(_instructions())
    health = instructions["HEALTHCHECK"]
    url = re.search(r"http://127\.0\.0\.1:(\d+)(/[\w/]*)", health)
    assert url, health
    routes = {rule.rule for rule in app.url_map.iter_rules()}
    assert url.group(2) in routes
    command = json.loads(instructions["CMD"])
    assert command[:3] == ["cryoprotect", "serve", "--prod"]
    assert command[command.index("--port") + 1] == url.group(1)
    from cryoprotect.cli import serve

    assert {"host", "port", "prod"} <= {p.name for p in serve.params}
    script = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["scripts"]
    assert script["cryoprotect"] == "cryoprotect.cli:main"


# ---------------------------------------------------------------- .env.example
def _settings_env_names() -> set[str]:
    """Environment variables the app reads: in ``Settings.from_env`` and as click ``envvar``s."""
    settings = ast.parse((ROOT / "src" / "cryoprotect" / "settings.py").read_text())
    from_env = next(
        n for n in ast.walk(settings) if isinstance(n, ast.FunctionDef) and n.name == "from_env"
    )
    names = {
        node.value
        for node in ast.walk(from_env)
        if isinstance(node, ast.Constant)
        and isinstance(node.value, str)
        and re.fullmatch(r"[A-Z][A-Z0-9]*(_[A-Z0-9]+)+", node.value)
    }
    cli = [ast.parse(p.read_text()) for p in (ROOT / "src" / "cryoprotect" / "cli").glob("*.py")]
    names |= {
        node.value.value
        for tree in cli
        for node in ast.walk(tree)
        if isinstance(node, ast.keyword)
        and node.arg == "envvar"
        and isinstance(node.value, ast.Constant)
        and isinstance(node.value.value, str)
    }
    return names


def _env_example_keys() -> tuple[set[str], set[str]]:
    app_part, _, compose_part = ENV_EXAMPLE.read_text().partition(COMPOSE_SECTION)

    def keys(text: str) -> set[str]:
        return set(re.findall(r"^#?\s*([A-Z][A-Z0-9_]*)=", text, re.M))

    return keys(app_part), keys(compose_part)


def test_env_example_documents_exactly_the_settings() -> None:
    app_keys, _ = _env_example_keys()
    read = _settings_env_names()
    assert "DATABASE_URL" in read and "CRYOPROTECT_CORS_ORIGINS" in read
    assert app_keys - read == set(), "documented but never read"
    assert read - app_keys == set(), "read but not documented in .env.example"


def test_env_example_documents_the_compose_variables() -> None:
    app_keys, compose_keys = _env_example_keys()
    used = set(re.findall(r"\$\{([A-Z][A-Z0-9_]*)", COMPOSE.read_text()))
    assert used, "compose.yaml interpolates nothing?"
    assert compose_keys == used - app_keys


# ------------------------------------------------------------------- gunicorn
def test_gunicorn_config_pointer_loads_valid_settings(tmp_path: Path) -> None:
    """deploy/gunicorn.conf.py resolves to the packaged config, and gunicorn accepts it."""
    script = """
import json, runpy, sys
from gunicorn.config import Config
namespace = runpy.run_path(sys.argv[1])
config = Config()
applied = sorted(k for k, v in namespace.items() if k in config.settings and not callable(v))
for key in applied:
    config.set(key, namespace[key])
hooks = sorted(k for k, v in namespace.items() if k in config.settings and callable(v))
print(json.dumps({"applied": applied, "hooks": hooks, "workers": config.workers,
                  "worker_class": config.worker_class_str, "wsgi_app": config.wsgi_app,
                  "preload": config.preload_app}))
"""
    env = dict(
        os.environ,
        PROMETHEUS_MULTIPROC_DIR=str(tmp_path),
        CRYOPROTECT_HOME=str(tmp_path / "home"),
        CRYOPROTECT_WEB_WORKERS="3",
    )
    result = subprocess.run(
        [sys.executable, "-c", script, str(ROOT / "deploy" / "gunicorn.conf.py")],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    loaded = json.loads(result.stdout)
    assert loaded["workers"] == 3
    assert loaded["worker_class"] == "gthread"
    assert loaded["preload"] is False
    assert loaded["wsgi_app"] == "cryoprotect.app:create_app()"
    assert {"on_starting", "child_exit", "post_worker_init", "on_exit"} <= set(loaded["hooks"])
