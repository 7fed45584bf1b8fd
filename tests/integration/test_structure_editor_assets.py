"""The structure editor's files (Ketcher, built by web-build/ into static/vendor/ketcher) are
served by the app with the right media types and policies, they are complete (every file the
bundle asks for is there), and no page or stylesheet loads anything from another origin."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from cryoprotect.ops import security
from cryoprotect.web import PAGES

pytestmark = pytest.mark.integration

STATIC = Path(__file__).resolve().parents[2] / "src" / "cryoprotect" / "web" / "static"
VENDOR = STATIC / "vendor" / "ketcher"
URL = "/static/web/vendor/ketcher/"
MEDIA_TYPES = {".js": "text/javascript", ".css": "text/css", ".wasm": "application/wasm"}
#: A URL with a scheme or protocol-relative (another origin), in an attribute that loads it.
EXTERNAL_LOAD = re.compile(
    r"<(?:script|link|img|iframe|source|embed|object)\b[^>]*\b(?:src|href|data)=\"(?:[a-z]+:)?//",
    re.I,
)


def _vendor_files(suffix: str) -> list[Path]:
    return sorted(VENDOR.glob(f"*{suffix}"))


def test_the_bundle_is_complete() -> None:
    """Every chunk the editor imports, its worker and the worker's WebAssembly are shipped."""
    shipped = {p.name for p in VENDOR.iterdir()}
    assert {"ketcher.js", "ketcher.css", "THIRD_PARTY_NOTICES.txt"} <= shipped
    code = "".join(p.read_text(encoding="utf-8") for p in _vendor_files(".js"))
    chunks = set(re.findall(r"\"\./(chunk-[A-Z0-9]+\.js)\"", code))
    workers = set(re.findall(r"\"(indigoWorker-[0-9a-f]+\.js)\"", code))
    wasm = set(re.findall(r"\"(indigo-ketcher[\w.-]*\.wasm)\"", code))
    assert chunks and workers and wasm
    assert chunks | workers | wasm <= shipped


def test_the_bundle_builds_no_code_from_strings() -> None:
    """The pages' policy forbids 'unsafe-eval'; paper.js's PaperScript compiler (excluded by
    web-build/build.mjs) was the one part of Ketcher's dependencies that needed it."""
    for path in _vendor_files(".js"):
        text = path.read_text(encoding="utf-8")
        assert not re.search(r"\bnew Function\(|\beval\(", text), path.name


def test_licences_are_recorded() -> None:
    notices = (VENDOR / "THIRD_PARTY_NOTICES.txt").read_text(encoding="utf-8")
    for package in ("ketcher-core", "ketcher-react", "ketcher-standalone", "indigo-ketcher"):
        assert re.search(rf"^{package} [\d.]+ — Apache-2.0$", notices, re.M), package
    for package in ("react", "react-dom"):
        assert re.search(rf"^{package} [\d.]+ — MIT$", notices, re.M), package
    assert "Apache License\n                           Version 2.0, January 2004" in notices


@pytest.mark.parametrize("suffix", sorted(MEDIA_TYPES))
def test_vendor_files_are_served_with_their_media_type(client: Any, suffix: str) -> None:
    files = _vendor_files(suffix)
    assert files, suffix
    for path in files:
        res = client.get(URL + path.name)
        assert res.status_code == 200, path.name
        assert res.mimetype == MEDIA_TYPES[suffix], path.name
        assert res.headers["X-Content-Type-Options"] == "nosniff"
        assert len(res.get_data()) == path.stat().st_size
        res.close()


def test_wasm_compilation_is_allowed_only_for_the_editor_scripts(client: Any) -> None:
    """The worker compiles Indigo's WebAssembly under the policy of its own script; pages,
    the editor's stylesheet and the .wasm file itself keep the strict policy."""
    assert security.CSP_WASM == (
        "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; "
        "style-src 'self' 'unsafe-inline'; img-src 'self' data:; font-src 'self' data:; "
        "connect-src 'self'; object-src 'none'; base-uri 'self'; form-action 'self'; "
        "frame-ancestors 'none'"
    )
    for path in _vendor_files(".js"):
        res = client.get(URL + path.name)
        assert res.headers["Content-Security-Policy"] == security.CSP_WASM, path.name
        res.close()
    for path in [*_vendor_files(".css"), *_vendor_files(".wasm")]:
        res = client.get(URL + path.name)
        assert res.headers["Content-Security-Policy"] == security.CSP, path.name
        res.close()
    for page in ("/molecules", "/molecules/register", "/static/web/js/structure_editor.js"):
        assert client.get(page).headers["Content-Security-Policy"] == security.CSP, page


def test_the_editor_pages_load_it_only_on_demand(client: Any) -> None:
    """The pages carry a Draw button and the small dialog module, never the bundle itself."""
    for page, buttons in (
        ("/molecules/register", ["draw-structure"]),
        ("/molecules", ["draw-similarity", "draw-substructure"]),
    ):
        html = client.get(page).get_data(as_text=True)
        for button in buttons:
            assert f'id="{button}"' in html, (page, button)
        assert "vendor/ketcher" not in html


def test_no_page_loads_anything_from_another_origin(client: Any) -> None:
    item = "00000000-0000-0000-0000-000000000001"
    for _endpoint, rule, _template in PAGES:
        path = re.sub(r"<[^>]+>", item, rule)
        res = client.get(path)
        assert res.status_code == 200, path
        html = res.get_data(as_text=True)
        assert not EXTERNAL_LOAD.search(html), (path, EXTERNAL_LOAD.search(html))


def test_no_stylesheet_or_module_imports_from_another_origin() -> None:
    css = [*STATIC.glob("css/*.css"), *_vendor_files(".css")]
    for path in css:
        text = path.read_text(encoding="utf-8")
        assert not re.search(r"url\(\s*['\"]?(?:[a-z]+:)?//", text, re.I), path.name
        assert not re.search(r"@import\s+(?:url\()?['\"]?(?:[a-z]+:)?//", text, re.I), path.name
    for path in [*STATIC.glob("js/*.js"), *_vendor_files(".js")]:
        text = path.read_text(encoding="utf-8")
        # static and dynamic imports of modules from another origin
        assert not re.search(r"\b(?:from|import)\s*\(?\s*['\"](?:[a-z]+:)?//", text), path.name
