"""Server-rendered web pages.

The ``web`` blueprint renders page shells (Jinja); each page's ES module calls the API
(``static/js/api.js``) and draws its charts with Plotly.js, which is served from the
installed ``plotly`` Python package (no CDN). Pages carry no inline scripts, so a strict
Content-Security-Policy applies to them.
"""

from __future__ import annotations

import uuid
from importlib import resources
from pathlib import Path
from typing import Any

from flask import Blueprint, Response, abort, render_template, send_file

web = Blueprint(
    "web",
    __name__,
    template_folder="templates",
    static_folder="static",
    static_url_path="/static/web",
)

#: Applied to every page of this blueprint: scripts only from this origin, no inline code.
#: Plotly sets inline ``style`` attributes and draws some glyphs from ``data:`` URIs.
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; font-src 'self' data:; connect-src 'self'; object-src 'none'; "
    "base-uri 'self'; frame-ancestors 'none'"
)


def plotly_js_path() -> Path:
    """``plotly.min.js`` shipped inside the installed ``plotly`` package."""
    return Path(str(resources.files("plotly") / "package_data" / "plotly.min.js"))


@web.after_request
def _security_headers(response: Response) -> Response:
    if response.mimetype == "text/html":
        response.headers.setdefault("Content-Security-Policy", CSP)
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    return response


@web.get("/static/vendor/plotly.min.js")
def plotly_js() -> Any:
    path = plotly_js_path()
    if not path.is_file():  # pragma: no cover - a broken plotly install
        abort(404)
    return send_file(path, mimetype="text/javascript", max_age=86400)


@web.get("/models")
def models_page() -> str:
    return render_template("models.html")


@web.get("/models/<uuid:model_id>")
def model_page(model_id: uuid.UUID) -> str:
    return render_template("model.html", model_id=str(model_id))
