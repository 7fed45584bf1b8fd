"""``deploy/scale-out/``: the scaled-out layout stays in step with the code (issue 17, item 5).

Docker cannot run here, so this checks what can be checked without it: the compose file
parses and its graph is sound; every variable it gives the app is one the app reads, and
the values pass the app's own validation (``Settings.from_env``); the replicas share
what must be shared (database, secret key, Redis, the screening volume); the commands are
accepted by the real command-line parsers (``cryoprotect``, ``dask scheduler``, ``dask
worker``); nginx's upstreams, ports, forwarded headers and body limit match the services
and settings. ``tests/integration/test_scale_out.py`` runs the same configuration on two
real servers.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import click
import pytest
import yaml

from cryoprotect.settings import Settings

pytestmark = pytest.mark.unit

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy" / "scale-out"
COMPOSE = DEPLOY / "compose.yaml"
NGINX = DEPLOY / "nginx.conf"
REPLICAS = ("app1", "app2")
DASK_WORKERS = ("dask-worker-1", "dask-worker-2")


@pytest.fixture(scope="module")
def services() -> dict[str, Any]:
    compose = yaml.safe_load(COMPOSE.read_text())
    assert isinstance(compose, dict)
    services: dict[str, Any] = compose["services"]
    return services


def _interpolated(value: str) -> str:
    """``${NAME:?message}`` / ``${NAME}`` replaced by a placeholder, as compose would fill it."""
    return re.sub(r"\$\{([A-Z0-9_]+)[^}]*\}", lambda m: f"x{m.group(1).lower()}", value)


def _environment(service: dict[str, Any]) -> dict[str, str]:
    return {k: _interpolated(str(v)) for k, v in service.get("environment", {}).items()}


def _env_names_read() -> set[str]:
    """Variables the app reads: the names in ``Settings.from_env``, and the scheduler
    variable of ``cryoprotect screen``."""
    from cryoprotect.services.screening_dask import SCHEDULER_ENV

    tree = ast.parse((ROOT / "src" / "cryoprotect" / "settings.py").read_text())
    from_env = next(
        n for n in ast.walk(tree) if isinstance(n, ast.FunctionDef) and n.name == "from_env"
    )
    names = {
        node.value
        for node in ast.walk(from_env)
        if isinstance(node, ast.Constant)
        and isinstance(node.value, str)
        and re.fullmatch(r"[A-Z][A-Z0-9]*(_[A-Z0-9]+)+", node.value)
    }
    return names | {SCHEDULER_ENV}


def _parses(command: click.Command, args: list[str]) -> click.Context:
    """The context ``command`` builds from ``args`` (raises on an unknown option)."""
    return command.make_context(command.name or "command", list(args), resilient_parsing=False)


def _cryoprotect(args: list[str]) -> click.Context:
    """Resolve ``cryoprotect <group>… <command> [options]`` to the command's parsed context."""
    from cryoprotect.cli import main

    assert args[0] == "cryoprotect"
    command: click.Command = main
    rest = args[1:]
    while isinstance(command, click.Group):
        sub = command.get_command(click.Context(command), rest[0])
        assert sub is not None, f"no cryoprotect command {rest[0]!r}"
        command, rest = sub, rest[1:]
    return _parses(command, rest)


# -------------------------------------------------------------------- compose
def test_services_and_dependencies(services: dict[str, Any]) -> None:
    expected = {"db", "redis", "migrate", "proxy", "dask-scheduler", *REPLICAS, *DASK_WORKERS}
    assert expected <= services.keys()
    for name, service in services.items():
        assert "image" in service or "build" in service, name
        depends = service.get("depends_on", [])
        assert set(depends) <= services.keys() - {name}, f"{name}: {depends}"
    for replica in REPLICAS:
        depends = services[replica]["depends_on"]
        assert depends["migrate"]["condition"] == "service_completed_successfully"
        assert depends["redis"]["condition"] == "service_healthy"
        assert "ports" not in services[replica], "replicas are reached through the proxy"
    assert services["migrate"]["depends_on"]["db"]["condition"] == "service_healthy"
    assert "healthcheck" in services["db"] and "healthcheck" in services["redis"]


def test_every_cryoprotect_service_builds_the_repository_image(services: dict[str, Any]) -> None:
    built = {name: s for name, s in services.items() if s.get("image") == "cryoprotect:latest"}
    assert {"migrate", "dask-scheduler", *REPLICAS, *DASK_WORKERS} <= built.keys()
    for name, service in built.items():
        assert (COMPOSE.parent / service["build"]).resolve() == ROOT, name
    assert (ROOT / "Dockerfile").exists()


def test_replica_environment_is_read_and_accepted_by_the_app(services: dict[str, Any]) -> None:
    known = _env_names_read()
    for name in (*REPLICAS, "migrate"):
        env = _environment(services[name])
        assert set(env) - known == set(), f"{name}: variables the app never reads"
        settings = Settings.from_env(env)  # the app's own validation of every value
        assert settings.trust_proxy == 1, "behind exactly one proxy (nginx)"
        database = urlsplit(str(settings.database_url))
        assert (database.hostname, database.port) == ("db", 5432)
        db_env = services["db"]["environment"]
        assert database.username == db_env["POSTGRES_USER"]
        assert database.path.lstrip("/") == db_env["POSTGRES_DB"]
    for name in REPLICAS:
        settings = Settings.from_env(_environment(services[name]))
        storage = urlsplit(settings.ratelimit_storage_uri)
        assert storage.scheme == "redis" and storage.hostname in services
        assert storage.hostname == "redis"
        assert settings.secret_key, "replicas must share a configured key"
        scheduler = urlsplit(_environment(services[name])["CRYOPROTECT_DASK_SCHEDULER"])
        assert scheduler.hostname == "dask-scheduler"


def test_replicas_share_everything_but_their_name(services: dict[str, Any]) -> None:
    first, *others = (services[name] for name in REPLICAS)
    for other in others:
        assert other == first


def test_interpolated_variables_are_documented_in_env_example() -> None:
    used = set(re.findall(r"\$\{([A-Z][A-Z0-9_]*)", COMPOSE.read_text()))
    assert {"POSTGRES_PASSWORD", "CRYOPROTECT_SECRET_KEY"} <= used
    documented = set(
        re.findall(r"^#?\s*([A-Z][A-Z0-9_]*)=", (ROOT / ".env.example").read_text(), re.M)
    )
    assert used - documented == set()


def test_commands_are_accepted_by_their_parsers(services: dict[str, Any]) -> None:
    from distributed.cli.dask_scheduler import main as dask_scheduler
    from distributed.cli.dask_worker import main as dask_worker

    migrate = _cryoprotect(services["migrate"]["command"])
    assert migrate.command.name == "upgrade" and migrate.params["revision"] == "head"
    for name in REPLICAS:
        serve = _cryoprotect(services[name]["command"])
        assert serve.command.name == "serve" and serve.params["prod"] is True
        port = serve.params["port"]
        assert [str(port)] == services[name]["expose"]
        probe = " ".join(services[name]["healthcheck"]["test"])
        assert f"http://127.0.0.1:{port}/health/ready" in probe
    scheduler_cmd = services["dask-scheduler"]["command"]
    assert scheduler_cmd[:2] == ["dask", "scheduler"]
    scheduler = _parses(dask_scheduler, scheduler_cmd[2:])
    scheduler_port = str(scheduler.params["port"])
    assert [scheduler_port] == services["dask-scheduler"]["expose"]
    for name in DASK_WORKERS:
        command = services[name]["command"]
        assert command[:2] == ["dask", "worker"]
        worker = _parses(dask_worker, command[2:])
        assert worker.params["scheduler"] == f"tcp://dask-scheduler:{scheduler_port}"
        assert worker.params["nthreads"] == 1, "RDKit holds the GIL: one thread per process"
    for name in REPLICAS:
        address = _environment(services[name])["CRYOPROTECT_DASK_SCHEDULER"]
        assert address == f"tcp://dask-scheduler:{scheduler_port}"


def test_readiness_probe_is_a_route() -> None:
    from cryoprotect.api.system import health_blp

    assert health_blp.url_prefix == "/health"
    assert '@health_blp.route("/ready")' in (ROOT / "src/cryoprotect/api/system.py").read_text()


def test_screening_volume_is_shared_at_one_path(services: dict[str, Any]) -> None:
    """``cryoprotect screen`` on the cluster needs its paths readable and writable alike on
    the caller (a replica) and every Dask worker."""
    compose = yaml.safe_load(COMPOSE.read_text())
    declared = set(compose["volumes"])
    for name, service in services.items():
        for mount in service.get("volumes", []):
            source = mount.split(":", 1)[0]
            if source.startswith("."):
                assert (DEPLOY / source).exists(), f"{name}: {source}"
            else:
                assert source in declared, f"{name}: volume {source} is not declared"
    mounts = {
        name: services[name]["volumes"] for name in (*REPLICAS, *DASK_WORKERS, "screening-volume")
    }
    assert len({tuple(m) for m in mounts.values()}) == 1, mounts
    path = mounts["app1"][0].split(":")[1]
    init = services["screening-volume"]
    uid = re.search(r"useradd[^\n]*--uid (\d+)", (ROOT / "Dockerfile").read_text())
    assert uid, "the Dockerfile creates its user with a fixed uid"
    assert init["command"] == ["chown", f"{uid.group(1)}:{uid.group(1)}", path]
    for name in (*REPLICAS, *DASK_WORKERS):
        condition = services[name]["depends_on"]["screening-volume"]["condition"]
        assert condition == "service_completed_successfully"


# ---------------------------------------------------------------------- nginx
def _nginx() -> str:
    return re.sub(r"#[^\n]*", "", NGINX.read_text())


def test_nginx_config_is_balanced_and_mounted(services: dict[str, Any]) -> None:
    text = _nginx()
    assert text.count("{") == text.count("}")
    for line in (line.strip() for line in text.splitlines()):
        assert not line or line.endswith(("{", "}", ";")), f"unterminated directive: {line!r}"
    assert f"./{NGINX.name}:/etc/nginx/nginx.conf:ro" in services["proxy"]["volumes"]


def test_nginx_balances_over_every_replica_without_stickiness(services: dict[str, Any]) -> None:
    text = _nginx()
    upstream = re.search(r"upstream\s+(\w+)\s*\{([^}]*)\}", text)
    assert upstream, "no upstream block"
    servers = re.findall(r"^\s*server\s+([\w.-]+:\d+)", upstream.group(2), re.M)
    expected = {f"{name}:{services[name]['expose'][0]}" for name in REPLICAS}
    assert set(servers) == expected
    assert f"proxy_pass http://{upstream.group(1)};" in text
    for sticky in ("ip_hash", "sticky", "hash "):
        assert sticky not in upstream.group(2), "sessions need no stickiness"


def test_nginx_listens_where_compose_publishes_and_forwards_the_client(
    services: dict[str, Any],
) -> None:
    text = _nginx()
    listen = re.search(r"listen\s+(\d+);", text)
    assert listen
    assert any(p.endswith(f":{listen.group(1)}") for p in services["proxy"]["ports"])
    # One trusted proxy: it must replace (not append to) what the client sent.
    assert "proxy_set_header X-Forwarded-For $remote_addr;" in text
    assert "proxy_set_header X-Forwarded-Proto $scheme;" in text


def test_nginx_body_limit_matches_the_app(services: dict[str, Any]) -> None:
    size = re.search(r"client_max_body_size\s+(\d+)([km]?);", _nginx())
    assert size
    factor = {"": 1, "k": 1024, "m": 1024 * 1024}[size.group(2)]
    app = Settings.from_env(_environment(services["app1"]))
    assert int(size.group(1)) * factor == app.max_content_length
