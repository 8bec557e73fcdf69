"""The one ``robodojo`` command: every subcommand is registered here (see
:mod:`robodojo.cli.main`)."""

from robodojo.cli.main import main

__all__ = ["main"]
