"""Server-rendered web pages.

The ``web`` blueprint renders page shells (Jinja); each page's ES module calls the API
(``static/js/api.js``) and draws its charts with Plotly.js, which is served from the
installed ``plotly`` Python package (no CDN). Pages carry no inline scripts, so the strict
Content-Security-Policy that ``cryoprotect.ops.security`` sets on every response applies.
"""

from __future__ import annotations

import uuid
from importlib import resources
from pathlib import Path
from typing import Any

from flask import Blueprint, abort, render_template, send_file

from cryoprotect.web.numbers import FILTERS

web = Blueprint(
    "web",
    __name__,
    template_folder="templates",
    static_folder="static",
    static_url_path="/static/web",
)


for _name, _filter in FILTERS.items():  # the precision policy (numbers.py, twin of precision.js)
    web.add_app_template_filter(_filter, _name)


def plotly_js_path() -> Path:
    """``plotly.min.js`` shipped inside the installed ``plotly`` package."""
    return Path(str(resources.files("plotly") / "package_data" / "plotly.min.js"))


@web.get("/static/vendor/plotly.min.js")
def plotly_js() -> Any:
    path = plotly_js_path()
    if not path.is_file():  # pragma: no cover - a broken plotly install
        abort(404)
    return send_file(path, mimetype="text/javascript", max_age=86400)


# Page shells: (endpoint, URL rule, template). base.html loads each page's ES module, named
# after its template (``<page>.html`` -> ``static/js/<page>.js``, unless the template sets
# ``page_js``); ids in the URL reach the module through a data attribute, never through
# inline script.
PAGES: tuple[tuple[str, str, str], ...] = (
    ("home", "/", "home.html"),
    ("signin_page", "/signin", "signin.html"),
    ("signup_page", "/signup", "signup.html"),
    ("profile_page", "/profile", "profile.html"),
    ("teams_page", "/teams", "teams.html"),
    ("team_page", "/teams/<uuid:item_id>", "team.html"),
    ("molecules_page", "/molecules", "molecules.html"),
    ("molecule_register_page", "/molecules/register", "molecule_register.html"),
    ("molecule_import_page", "/molecules/import", "molecule_import.html"),
    ("molecule_page", "/molecules/<uuid:item_id>", "molecule.html"),
    ("mixtures_page", "/mixtures", "mixtures.html"),
    ("mixture_builder_page", "/mixtures/new", "mixture_builder.html"),
    ("mixture_compare_page", "/mixtures/compare", "mixture_compare.html"),
    ("mixture_page", "/mixtures/<uuid:item_id>", "mixture.html"),
    ("models_page", "/models", "models.html"),
    ("model_train_page", "/models/train", "model_train.html"),
    ("model_page", "/models/<uuid:item_id>", "model.html"),
    ("model_suggest_page", "/models/<uuid:item_id>/suggest", "model_suggest.html"),
    ("experiments_page", "/experiments", "experiments.html"),
    ("experiment_new_page", "/experiments/new", "experiment_new.html"),
    ("experiment_import_page", "/experiments/import", "experiment_import.html"),
    ("experiment_queue_page", "/experiments/queue", "experiment_queue.html"),
    ("eln_import_page", "/eln/import", "eln_import.html"),
    ("experiment_page", "/experiments/<uuid:item_id>", "experiment.html"),
    ("protocols_page", "/protocols", "protocols.html"),
    ("protocol_design_page", "/protocols/design", "protocol_design.html"),
    ("protocol_compare_page", "/protocols/compare", "protocol_compare.html"),
    ("protocol_page", "/protocols/<uuid:item_id>", "protocol.html"),
    ("protocol_recipe_page", "/protocols/<uuid:item_id>/recipe", "protocol_recipe.html"),
    ("toxicity_models_page", "/toxicity-models", "toxicity_models.html"),
    ("toxicity_model_page", "/toxicity-models/<uuid:item_id>", "toxicity_model.html"),
    ("cocktail_design_page", "/cocktails/design", "cocktail_design.html"),
    ("admin_page", "/admin", "admin.html"),
    ("reset_password_page", "/reset/<item_id>", "reset_password.html"),  # item_id: the token
    ("shared_page", "/shared/<item_id>", "shared.html"),  # item_id: the share token
)


def _page_view(template: str) -> Any:
    def view(item_id: uuid.UUID | None = None) -> str:
        return render_template(
            template, page=template.removesuffix(".html"), item_id=str(item_id) if item_id else ""
        )

    return view


for _endpoint, _rule, _template in PAGES:
    web.add_url_rule(_rule, endpoint=_endpoint, view_func=_page_view(_template))
