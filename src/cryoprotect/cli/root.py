"""The ``cryoprotect`` command group; each command group module registers itself on it."""

from __future__ import annotations

import click

from cryoprotect.cli.common import CryoprotectGroup


@click.group(cls=CryoprotectGroup)
@click.version_option(package_name="cryoprotect")
def main() -> None:
    """CryoProtect: a research platform for cryoprotectant design."""
