"""``cryoprotect models``: train and register predictive models."""

from __future__ import annotations

import json

import click

from cryoprotect.cli.common import load_settings, open_database, system_actor
from cryoprotect.cli.root import main


@main.group()
def models() -> None:
    """Predictive models: train, list."""


@models.command("train")
@click.option("--dataset", required=True, help="Dataset name (e.g. cryomn-literature) or id.")
@click.option("--target", required=True, help="Target column, e.g. viability_percent.")
@click.option(
    "--algorithm",
    default="random_forest",
    show_default=True,
    help="ridge, random_forest, gradient_boosting or gaussian_process.",
)
@click.option("--level", default=0.9, show_default=True, type=float, help="Interval coverage.")
@click.option("--seed", default=0, show_default=True, type=int)
@click.option(
    "--user", "email", default=None, help="Owner account (default: the shipped-data owner, public)."
)
def models_train(
    dataset: str, target: str, algorithm: str, level: float, seed: int, email: str | None
) -> None:
    """Train with grouped nested cross-validation, print metrics against the baselines, register a version."""
    from cryoprotect.services.auth import AuthService
    from cryoprotect.services.models import ModelService

    settings = load_settings()
    with open_database(settings, prepare=True) as database:
        if email:
            actor = AuthService(database, settings).actor_by_email(email)
            visibility = "private"
        else:
            actor, visibility = system_actor(), "public"

        def progress(message: str, fraction: float) -> None:
            click.echo(f"  [{fraction * 100:5.1f} %] {message}", err=True)

        model = ModelService(database).train(
            actor,
            dataset=dataset,
            target=target,
            algorithm=algorithm,
            level=level,
            visibility=visibility,
            seed=seed,
            progress=progress,
        )
    click.echo(
        f"Registered {model.name} v{model.version} ({model.id}) in {model.training_seconds} s"
    )
    click.echo(json.dumps(model.metrics, indent=2, default=str)[:6000])
