"""The experiment pages in a real browser (Debian's Chromium driven by Playwright).

Journeys: an author records an experiment for a team-visible mixture (a bad value is
rejected next to its field first), submits it; the author sees no verify button and the
API refuses them; a second user, the team's verifier, finds it in the verification queue and
verifies it in their own browser; the badge changes for both; the stored prediction of the
author's model appears against the measured value. CSV import with its template and its
per-row report. Screenshots go to test-artifacts/screenshots/.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import pytest

from cryoprotect.web.numbers import format_in_unit
from tests.e2e.conftest import Tab, _expected_console_noise

pytestmark = pytest.mark.e2e

PASSWORD = "correct horse battery"
UUID_URL = re.compile(r".*/experiments/[0-9a-f-]{36}$")


@dataclass
class Person:
    email: str
    name: str
    token: str
    id: str


@dataclass
class World:
    author: Person
    verifier: Person
    team_id: str
    team_name: str
    mixture_id: str
    mixture_name: str
    model_id: str
    model_label: str
    predicted: float


def _person(client: Any, prefix: str) -> Person:
    email = f"{prefix}-{uuid.uuid4().hex[:10]}@example.org"
    name = f"{prefix.capitalize()} {uuid.uuid4().hex[:4]}"
    reg = client.post(
        "/api/v1/auth/register", json={"email": email, "password": PASSWORD, "display_name": name}
    )
    assert reg.status_code == 202, reg.json
    login = client.post("/api/v1/auth/login", json={"email": email, "password": PASSWORD})
    assert login.status_code == 200, login.json
    return Person(
        email,
        name,
        login.json["access_token"],
        client.get(
            "/api/v1/users/me", headers={"Authorization": f"Bearer {login.json['access_token']}"}
        ).json["id"],
    )


def _auth(person: Person) -> dict[str, str]:
    return {"Authorization": f"Bearer {person.token}"}


@pytest.fixture(scope="module")
def world(app) -> World:
    """Author (team admin) and verifier in one team; a team mixture; the author's ridge model
    trained on the shipped data and one stored prediction of it for the mixture."""
    from cryoprotect.services.actor import Actor

    client = app.test_client()
    author, verifier = _person(client, "author"), _person(client, "verifier")
    team_name = f"Cryo lab {uuid.uuid4().hex[:6]}"
    team = client.post("/api/v1/teams", json={"name": team_name}, headers=_auth(author))
    assert team.status_code == 201, team.json
    team_id = team.json["id"]
    invited = client.post(
        f"/api/v1/teams/{team_id}/members",
        json={"email": verifier.email, "role": "verifier"},
        headers=_auth(author),
    )
    assert invited.status_code == 202, invited.json
    accepted = client.post(
        f"/api/v1/teams/invitations/{invited.json['id']}/accept", headers=_auth(verifier)
    )
    assert accepted.status_code == 200, accepted.json
    mixture_name = f"DMSO 10 % e2e {uuid.uuid4().hex[:6]}"
    mixture = client.post(
        "/api/v1/mixtures",
        json={
            "name": mixture_name,
            "components": [{"name": "Dimethyl sulfoxide", "amount": 10, "unit": "% v/v"}],
            "carrier": "isotonic saline",
            "visibility": "team",
            "team_id": team_id,
        },
        headers=_auth(author),
    )
    assert mixture.status_code == 201, mixture.json
    train = client.post(
        "/api/v1/predictive-models",
        json={"dataset": "cryomn-literature", "target": "viability_percent", "algorithm": "ridge"},
        headers=_auth(author),
    )
    assert train.status_code == 202, train.json
    model = train.json["model"]
    job = app.extensions["cryoprotect"].jobs.wait(
        Actor(user_id=uuid.UUID(author.id)), uuid.UUID(train.json["job_id"]), timeout_s=300
    )
    assert job.status == "done", job
    prediction = client.post(
        f"/api/v1/predictive-models/{model['id']}/predict",
        json={"mixture_id": mixture.json["id"]},
        headers=_auth(author),
    )
    assert prediction.status_code == 200, prediction.json
    return World(
        author=author,
        verifier=verifier,
        team_id=team_id,
        team_name=team_name,
        mixture_id=mixture.json["id"],
        mixture_name=mixture_name,
        model_id=model["id"],
        model_label=f"{model['name']} v{model['version']}",
        predicted=prediction.json["value"],
    )


@contextmanager
def second_tab(browser: Any, base: str, width: int = 1280, height: int = 800) -> Iterator[Tab]:
    """Another person's browser: its own context (own localStorage), errors recorded."""
    context = browser.new_context(viewport={"width": width, "height": height})
    page = context.new_page()
    page.set_default_timeout(30_000)
    handle = Tab(page=page, base=base)
    page.on("pageerror", lambda exc: handle.errors.append(f"pageerror: {exc}"))
    page.on(
        "console",
        lambda msg: (
            handle.errors.append(f"console: {msg.text}")
            if msg.type == "error" and not _expected_console_noise(msg.text)
            else None
        ),
    )
    try:
        yield handle
    finally:
        context.close()


def unlabelled_controls(page: Any) -> list[str]:
    """Inputs, selects and textareas without a label (or aria-label): should be none."""
    return list(
        page.evaluate(
            """() => [...document.querySelectorAll("input, select, textarea")]
                .filter((el) => el.type !== "hidden")
                .filter((el) => !(el.labels && el.labels.length) && !el.getAttribute("aria-label"))
                .map((el) => el.name || el.id || el.outerHTML.slice(0, 60))"""
        )
    )


def sideways_overflow(page: Any) -> tuple[int, list[str]]:
    """How far the page scrolls sideways (px), and the elements that stick out."""
    return tuple(
        page.evaluate(
            """() => {
                const width = document.documentElement.clientWidth;
                const out = [...document.querySelectorAll("main *")]
                    .filter((el) => el.getBoundingClientRect().right > width + 1)
                    .slice(0, 8)
                    .map((el) => `${el.tagName.toLowerCase()}#${el.id}.${el.className}`);
                return [document.documentElement.scrollWidth - width, out];
            }"""
        )
    )


def js_fixed(value: float, digits: int) -> str:
    """``value.toFixed(digits)`` as JavaScript computes it (exact binary value, ties up)."""
    return str(Decimal(value).quantize(Decimal(1).scaleb(-digits), rounding=ROUND_HALF_UP))


def test_record_submit_and_verify_an_experiment(tab: Tab, browser: Any, world: World) -> None:
    from playwright.sync_api import expect

    page = tab.page
    title = f"HepG2 slow freezing {uuid.uuid4().hex[:6]}"
    tab.sign_in_with_token(world.author.token)

    # --- record: the mixture comes preselected from ?mixture_id=, with its version
    tab.goto(f"/experiments/new?mixture_id={world.mixture_id}")
    page.wait_for_selector("#experiment-form:not([hidden])")
    assert page.locator("[name=mixture_id]").input_value() == world.mixture_id
    assert page.locator("[name=mixture_version]").input_value() == "1"
    assert "Current version of" in page.locator("#mixture-hint").inner_text()
    assert page.get_by_label("Cooling rate (°C/min)").count() == 1  # units on the conditions
    assert unlabelled_controls(page) == []
    page.get_by_label("Title").fill(title)
    page.locator("[name='results[0].measure']").select_option("viability_percent")
    page.locator("[name='results[0].value']").fill("120")
    page.locator("[name='results[0].replicates']").fill("3")
    page.locator("[name='results[0].sd']").fill("4.1")
    cell_types = page.locator("[name=cell_type_id] option")
    assert cell_types.count() > 1, "the shipped cell types are offered"
    cell_name = cell_types.nth(1).inner_text().split(" (")[0]
    page.get_by_label("Cell type from the library").select_option(index=1)
    assert page.locator("[name='biological_system.kind']").input_value() == "cell"
    page.locator("[name='biological_system.name']").fill("HepG2")
    page.locator("[name='conditions.cooling_rate_c_per_min']").fill("1")
    page.locator("[name='conditions.storage_temperature_c']").fill("-196")
    page.locator("[name=visibility]").select_option("team")
    page.locator("[name=team_id]").select_option(world.team_id)
    page.locator("[name=submit_now]").check()

    # a value out of range: the API's message appears next to that value
    page.locator("#save").click()
    slot = page.locator("[data-error-for='results[0].value']")
    slot.wait_for(state="visible")
    assert "between 0 and 100" in slot.inner_text()
    assert page.locator("[name='results[0].value']").get_attribute("aria-invalid") == "true"
    assert page.url.endswith(f"/experiments/new?mixture_id={world.mixture_id}")
    tab.shot("experiments-new-error")

    page.locator("[name='results[0].value']").fill("72.5")
    page.locator("#save").click()
    page.wait_for_url(UUID_URL)
    experiment_url = page.url
    experiment_id = experiment_url.rsplit("/", 1)[1]

    # --- the author's view: pending, no verify button, prediction against measurement
    badge = page.locator("#status-badge")
    badge.wait_for(state="visible")
    assert badge.inner_text() == "Pending verification"
    assert "pending" in (badge.get_attribute("class") or "")
    results = page.locator("#results-table tbody")
    assert "72.5 %" in results.inner_text() and "4.1 %" in results.inner_text()
    summary = page.locator("#summary").inner_text()
    assert f"{world.mixture_name} v1" in summary and f"{cell_name} · HepG2 (cell)" in summary
    assert page.get_by_role("link", name="experiments on this cell type").count() == 1
    assert "1 °C/min" in page.locator("#conditions").inner_text()
    assert "-196 °C" in page.locator("#conditions").inner_text()
    assert page.locator("#verify-form").is_hidden()
    assert "cannot verify your own experiment" in page.locator("#verification-text").inner_text()
    row = page.locator("#pvm-table tbody tr").first
    row.wait_for()
    cells = row.inner_text()
    assert world.model_label in cells
    assert f"{js_fixed(world.predicted, 1)} %" in cells
    assert "72.5 %" in cells
    page.wait_for_selector("#pvm-chart.js-plotly-plot")
    history = page.locator("#history-table tbody tr")
    history.nth(1).wait_for()
    assert "Recorded" in history.nth(0).inner_text()
    assert "Pending verification" in history.nth(1).inner_text()
    assert "Submitted for verification" in history.nth(1).inner_text()
    assert page.locator("#error").is_hidden()
    assert unlabelled_controls(page) == []
    # the API refuses the author too, not just the page
    refused = page.evaluate(
        """async ([id, token]) => {
            const r = await fetch(`/api/v1/experiments/${id}/verification`, {
                method: "POST",
                headers: {"Content-Type": "application/json", Authorization: `Bearer ${token}`},
                body: JSON.stringify({status: "verified"}),
            });
            return [r.status, (await r.json()).error.message];
        }""",
        [experiment_id, world.author.token],
    )
    assert refused[0] == 403 and "own experiment" in refused[1]
    tab.shot("experiments-experiment-pending")

    # the author's queue: nothing to decide, but the prediction-error summary of the team
    tab.goto("/experiments/queue")
    page.locator("#queue-empty").wait_for(state="visible")
    page.locator("#summary-form [name=team_id]").select_option(world.team_id)
    page.locator("#summary-form button[type=submit]").click()
    summary_row = page.locator("#summary-table tbody tr", has_text=world.model_label)
    summary_row.wait_for()
    error_pp = abs(world.predicted - 72.5)
    # MAE of one comparison, as the precision policy writes a percentage
    assert format_in_unit(error_pp, "%") in summary_row.inner_text()
    page.wait_for_selector("#summary-chart.js-plotly-plot")
    tab.shot("experiments-queue-summary")
    tab.assert_no_js_errors()

    # --- the verifier, in their own browser
    with second_tab(browser, tab.base) as other:
        other.sign_in_with_token(world.verifier.token)
        other.goto("/experiments/queue")
        link = other.page.locator("#queue-table a", has_text=title)
        link.wait_for()
        assert world.team_name in other.page.locator("#queue-table tbody").inner_text()
        other.shot("experiments-queue-verifier")
        link.click()
        other.page.wait_for_url(experiment_url)
        form = other.page.locator("#verify-form")
        form.wait_for(state="visible")
        assert "verifier" in other.page.locator("#verification-text").inner_text()
        other.page.get_by_label("Verification notes").fill("Counts re-done from the plate images")
        other.page.get_by_label("Equipment used to check").fill("Countess II")
        other.page.locator("#verify-button").click()
        expect(other.page.locator("#status-badge")).to_have_text("Verified")
        assert "verified" in (other.page.locator("#status-badge").get_attribute("class") or "")
        assert other.page.locator("#verify-form").is_hidden()
        expect(other.page.locator("#history-table tbody")).to_contain_text("Countess II")
        history = other.page.locator("#history-table tbody").inner_text()
        assert world.verifier.name in history
        other.shot("experiments-experiment-verified")
        other.assert_no_js_errors()

    # --- the list, filtered by status, shows the new badge; an empty filter says so
    tab.goto("/experiments?status=verified")
    row = page.locator("#experiments-table tbody tr", has_text=title)
    row.wait_for()
    assert "Verified" in row.inner_text()
    assert f"{world.mixture_name} v1" in row.inner_text()
    assert "Post-thaw viability 72.5 %" in row.inner_text()
    tab.shot("experiments-list")
    page.get_by_label("Search titles").fill(f"no such title {uuid.uuid4().hex}")
    page.locator("#filters button[type=submit]").click()
    page.locator("#empty").wait_for(state="visible")
    assert "No experiment matches" in page.locator("#empty").inner_text()

    # the mixture's experiments (the link from a mixture or an experiment page)
    tab.goto(f"/experiments?mixture_id={world.mixture_id}")
    page.locator("#experiments-table tbody tr", has_text=title).wait_for()
    expect(page.locator("#scope-note")).to_contain_text(
        f"Showing experiments with mixture {world.mixture_name}"
    )

    # --- editing: the page explains that it reopens verification; saving the form unchanged
    # keeps the verification, changing a result reopens it
    tab.goto(f"/experiments/{experiment_id}")
    expect(page.locator("#status-badge")).to_have_text("Verified")
    page.locator("#edit-link").click()
    page.wait_for_url(re.compile(rf".*/experiments/new\?edit={experiment_id}$"))
    note = page.locator("#reopen-note")
    note.wait_for(state="visible")
    assert "back to pending verification" in note.inner_text()
    page.wait_for_selector("#experiment-form:not([hidden])")
    assert page.get_by_label("Title").input_value() == title
    assert page.locator("[name='results[0].value']").input_value() == "72.5"
    assert page.locator("[name=team_id]").input_value() == world.team_id
    tab.shot("experiments-edit")
    page.locator("#save").click()
    page.wait_for_url(experiment_url)
    expect(page.locator("#status-badge")).to_have_text("Verified")
    page.locator("#edit-link").click()
    page.wait_for_selector("#experiment-form:not([hidden])")
    page.locator("[name='results[0].value']").fill("70")
    page.locator("#save").click()
    page.wait_for_url(experiment_url)
    expect(page.locator("#status-badge")).to_have_text("Pending verification")
    expect(page.locator("#history-table tbody")).to_contain_text(
        "Reopened: verified experiment edited (results)"
    )
    expect(page.locator("#history-table tbody")).to_contain_text("Results: 1 → 1 entries")
    tab.assert_no_js_errors()


def test_import_results_from_csv(tab: Tab, world: World) -> None:
    from cryoprotect.services.experiments import IMPORT_COLUMNS

    page = tab.page
    tab.sign_in_with_token(world.author.token)
    tab.goto("/experiments/import")
    page.locator("#columns-table tbody tr").first.wait_for()

    # the template's columns are exactly the ones the importer reads
    with page.expect_download() as download:
        page.locator("#template-link").click()
    header = download.value.path().read_text(encoding="utf-8").strip()
    assert header.split(",") == list(IMPORT_COLUMNS)
    assert unlabelled_controls(page) == []

    # a file the importer cannot read at all: the message sits next to the file field
    page.locator("[name=file]").set_input_files(
        files=[{"name": "bad.csv", "mimeType": "text/csv", "buffer": b"title,colour\nx,blue\n"}]
    )
    page.locator("#import-button").click()
    slot = page.locator("[data-error-for=file]")
    slot.wait_for(state="visible")
    assert "Unknown column 'colour'" in slot.inner_text()

    title = f"Imported run {uuid.uuid4().hex[:6]}"
    csv_text = (
        "title,mixture,measure,value,unit,replicates,sd\n"
        f"{title},{world.mixture_name},viability_percent,64,%,4,3.5\n"
        f"{title},,viability_percent,140,%,1,\n"
    )
    page.locator("[name=file]").set_input_files(
        files=[{"name": "results.csv", "mimeType": "text/csv", "buffer": csv_text.encode()}]
    )
    page.locator("#import-button").click()
    page.locator("#report").wait_for(state="visible")
    assert page.locator("#report-summary").inner_text() == (
        "1 of 2 rows imported, 1 experiment created, 0 updated. 1 row was rejected (see below)."
    )
    rows = page.locator("#report-table tbody tr")
    assert rows.count() == 2
    assert "added" in rows.nth(0).inner_text()
    rejected = rows.nth(1).inner_text()
    assert rejected.startswith("3") and "rejected" in rejected and "value" in rejected
    assert "between 0 and 100" in rejected
    tab.shot("experiments-import-report")
    rows.nth(0).locator("a").click()
    page.wait_for_url(UUID_URL)
    page.locator("#results-table tbody tr").first.wait_for()
    assert "64 %" in page.locator("#results-table tbody").inner_text()
    assert page.locator("#experiment-title").inner_text() == title
    tab.assert_no_js_errors()


def test_experiment_page_on_a_narrow_screen(
    app, browser: Any, live_server: str, world: World
) -> None:
    """390×844 (a phone): the pages are readable without sideways scrolling."""
    title = f"Narrow screen run {uuid.uuid4().hex[:6]}"
    created = app.test_client().post(
        "/api/v1/experiments",
        json={
            "title": title,
            "mixture_id": world.mixture_id,
            "biological_system": {"kind": "tissue", "name": "porcine cornea"},
            "conditions": {"cooling_rate_c_per_min": 1.0, "step_temperatures_c": [22.0, 4.0]},
            "results": [{"measure": "viability_percent", "value": 55.0, "replicates": 2}],
            "visibility": "team",
            "team_id": world.team_id,
        },
        headers=_auth(world.author),
    )
    assert created.status_code == 201, created.json
    with second_tab(browser, live_server, width=390, height=844) as phone:
        phone.sign_in_with_token(world.author.token)
        phone.goto("/experiments")
        link = phone.page.locator("#experiments-table tbody a", has_text=title)
        link.wait_for()
        link.click()
        phone.page.wait_for_url(UUID_URL)
        phone.page.locator("#status-badge").wait_for(state="visible")
        phone.page.wait_for_selector("#history-table tbody tr")
        overflow, culprits = sideways_overflow(phone.page)
        phone.shot("experiments-experiment-narrow")
        assert overflow <= 1, f"the page scrolls sideways by {overflow} px: {culprits}"
        phone.goto("/experiments/new")
        phone.page.wait_for_selector("#experiment-form:not([hidden])")
        phone.shot("experiments-new-narrow")
        overflow, culprits = sideways_overflow(phone.page)
        assert overflow <= 1, f"the form scrolls sideways by {overflow} px: {culprits}"
        phone.assert_no_js_errors()


def test_attachment_rows_by_hand(tab: Tab, world: World) -> None:
    """An attachment added by hand has every field, each labelled, and can be removed."""
    page = tab.page
    tab.sign_in_with_token(world.author.token)
    tab.goto("/experiments/new")
    page.wait_for_selector("#experiment-form:not([hidden])")
    page.locator("#add-attachment").click()
    for key in ("filename", "content_type", "size_bytes", "sha256", "url", "description"):
        assert page.locator(f"[name='attachments[0].{key}']").count() == 1, key
    assert page.get_by_label("SHA-256").get_attribute("pattern") == "[0-9a-f]{64}"
    assert page.get_by_label("Where it is stored (URL or path)").count() == 1
    assert unlabelled_controls(page) == []
    page.get_by_label("Description").last.fill("raw plate reader export")
    page.get_by_role("button", name="Remove attachment 1").click()
    assert page.locator("[name='attachments[0].filename']").count() == 0
    assert page.evaluate("document.activeElement.id") == "add-attachment"
    tab.assert_no_js_errors()
