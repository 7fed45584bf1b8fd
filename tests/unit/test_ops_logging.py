"""Tests for cryoprotect.ops.logging: JSON lines, request ids, access log."""

from __future__ import annotations

import io
import json
import logging
import re
import sys
from collections.abc import Iterator
from typing import Any

import flask
import pytest

from cryoprotect.ops import logging as ops_logging

pytestmark = pytest.mark.unit

ROUTE = "/items/<int:item_id>"
HEX_ID = re.compile(r"[0-9a-f]{32}")


def our_handlers() -> list[logging.Handler]:
    return [h for h in logging.getLogger().handlers if h.name == "cryoprotect"]


@pytest.fixture
def stream(monkeypatch: pytest.MonkeyPatch) -> Iterator[io.StringIO]:
    """Points stderr at a buffer, configures JSON logging, and undoes it afterwards."""
    root = logging.getLogger()
    level = root.level
    buffer = io.StringIO()
    monkeypatch.setattr(sys, "stderr", buffer)
    ops_logging.configure_logging("INFO", json_format=True)
    yield buffer
    for handler in our_handlers():
        root.removeHandler(handler)
    root.setLevel(level)


def lines(buffer: io.StringIO) -> list[dict[str, Any]]:
    return [json.loads(line) for line in buffer.getvalue().splitlines() if line.strip()]


def access_lines(buffer: io.StringIO) -> list[dict[str, Any]]:
    return [line for line in lines(buffer) if line["logger"] == "cryoprotect.access"]


def make_app() -> flask.Flask:
    app = flask.Flask("logging_test")

    @app.get(ROUTE)
    def get_item(item_id: int) -> dict[str, int]:
        logging.getLogger("thirdparty.lib").warning("inside view")
        return {"id": item_id}

    @app.get("/boom")
    def boom() -> str:
        raise RuntimeError("boom")

    ops_logging.init_app(app)
    return app


def test_access_log_is_one_json_line_with_the_response_request_id(stream: io.StringIO) -> None:
    response = make_app().test_client().get("/items/5?q=secret", headers={"User-Agent": "ua/1"})
    request_id = response.headers["X-Request-ID"]
    assert HEX_ID.fullmatch(request_id)

    (line,) = access_lines(stream)
    assert line["request_id"] == request_id
    assert line["level"] == "INFO"
    assert line["timestamp"]
    assert line["message"].startswith("GET /items/5 200")
    assert line["method"] == "GET"
    assert line["path"] == "/items/5"
    assert line["route"] == ROUTE
    assert line["status"] == 200
    assert line["duration_ms"] >= 0
    assert line["remote_addr"] == "127.0.0.1"
    assert line["user_agent"] == "ua/1"


def test_third_party_lines_carry_the_request_id(stream: io.StringIO) -> None:
    response = make_app().test_client().get("/items/1")
    (line,) = [line for line in lines(stream) if line["logger"] == "thirdparty.lib"]
    assert line["request_id"] == response.headers["X-Request-ID"]
    assert line["level"] == "WARNING"
    assert line["message"] == "inside view"


def test_valid_incoming_request_id_is_echoed(stream: io.StringIO) -> None:
    incoming = "abc-123.X_y"
    response = make_app().test_client().get("/items/2", headers={"X-Request-ID": incoming})
    assert response.headers["X-Request-ID"] == incoming
    assert access_lines(stream)[0]["request_id"] == incoming


@pytest.mark.parametrize("incoming", ["bad id!", "x" * 129, "a/b", "", "é"])
def test_invalid_incoming_request_id_is_replaced(stream: io.StringIO, incoming: str) -> None:
    response = make_app().test_client().get("/items/2", headers={"X-Request-ID": incoming})
    request_id = response.headers["X-Request-ID"]
    assert request_id != incoming
    assert HEX_ID.fullmatch(request_id)
    assert access_lines(stream)[0]["request_id"] == request_id


def test_error_responses_get_the_header_and_an_access_line(stream: io.StringIO) -> None:
    client = make_app().test_client()
    missing = client.get("/nope")
    crashed = client.get("/boom")  # not TESTING: Flask turns it into a 500 page
    assert missing.status_code == 404
    assert crashed.status_code == 500
    assert missing.headers["X-Request-ID"] != crashed.headers["X-Request-ID"]

    by_status = {line["status"]: line for line in access_lines(stream)}
    assert by_status[404]["route"] == "<unmatched>"
    assert by_status[404]["request_id"] == missing.headers["X-Request-ID"]
    assert by_status[500]["route"] == "/boom"
    assert by_status[500]["request_id"] == crashed.headers["X-Request-ID"]


def test_outside_a_request_the_id_is_a_dash(stream: io.StringIO) -> None:
    assert ops_logging.current_request_id() == "-"
    logging.getLogger("cli").info("hello")
    assert lines(stream)[-1]["request_id"] == "-"


def test_configure_logging_is_idempotent_and_supports_text(
    stream: io.StringIO, monkeypatch: pytest.MonkeyPatch
) -> None:
    text = io.StringIO()
    monkeypatch.setattr(sys, "stderr", text)  # pytest re-points stderr between phases
    ops_logging.configure_logging("DEBUG", json_format=False)
    assert len(our_handlers()) == 1
    assert logging.getLogger().level == logging.DEBUG

    logging.getLogger("plain").debug("text line")
    assert text.getvalue().rstrip("\n").endswith("DEBUG plain [-] text line")
    assert stream.getvalue() == ""


def test_unknown_level_is_rejected() -> None:
    with pytest.raises(ValueError, match="NOPE"):
        ops_logging.configure_logging("nope")
