"""Stopping a training run from the train page (issue 12, finding 7): "Cancel training"
asks the API to cancel the job; the page then says why it stopped, and the model version
is failed, not left ``training``.

Screenshot: test-artifacts/screenshots/models-train-cancelled.png.
"""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from tests.e2e.conftest import Tab
from tests.integration.test_job_cancellation import freezing_records

pytestmark = pytest.mark.e2e


def test_cancel_a_training_run_from_the_page(tab: Tab, app: Any) -> None:
    from playwright.sync_api import expect

    client = app.test_client()
    email = f"cancel-e2e-{uuid.uuid4().hex[:10]}@example.org"
    password = "correct horse battery"
    reg = client.post("/api/v1/auth/register", json={"email": email, "password": password})
    assert reg.status_code in (201, 202), reg.json
    token = client.post("/api/v1/auth/login", json={"email": email, "password": password}).json[
        "access_token"
    ]
    headers = {"Authorization": f"Bearer {token}"}
    # A Gaussian process on 600 rows: minutes of work, so there is time to cancel it.
    dataset = client.post(
        "/api/v1/datasets",
        json={"name": f"slow {uuid.uuid4().hex[:6]}", "records": freezing_records(600)},
        headers=headers,
    )
    assert dataset.status_code == 201, dataset.json

    page = tab.page
    tab.sign_in_with_token(token)
    tab.goto(f"/models/train?dataset={dataset.json['id']}&target=tm_c&algorithm=gaussian_process")
    expect(page.locator("#train-form")).to_be_visible()
    expect(page.locator('select[name="algorithm"]')).to_have_value("gaussian_process")
    page.get_by_role("button", name="Train").click()
    expect(page.locator("#progress-section")).to_be_visible()
    cancel = page.get_by_role("button", name="Cancel training")
    expect(cancel).to_be_visible()
    cancel.click()
    expect(page.locator("#progress-text")).to_have_text(
        "Training stopped: cancelled by its owner", timeout=120_000
    )
    expect(cancel).to_be_hidden()
    expect(page.locator("#progress-done")).to_be_hidden()
    tab.shot("models-train-cancelled")

    mine = client.get("/api/v1/predictive-models?per_page=100", headers=headers).json["items"]
    model = next(m for m in mine if m["created_by"] and m["dataset_id"] == dataset.json["id"])
    assert model["status"] == "failed" and "cancelled by its owner" in model["error"]
    tab.assert_no_js_errors()
