"""regfind's command line: a thin click shell over the Python API.

Each sub-command lives in its own module of this package and imports heavy dependencies
(torch, the model, readers) inside the command body, so ``regfind --help`` and
``regfind --version`` stay fast. Library errors (:class:`regfind.errors.RegfindError`) become one
clear line on stderr and exit status 1; usage errors exit with status 2 as click does.
"""

from __future__ import annotations

import sys

import click

from regfind.errors import RegfindError


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="regfind", prog_name="regfind")
def cli() -> None:
    """Find the regulatory elements that drive a gene's expression with Seq2Exp."""


# (module, command) of every sub-command; each module imports only click at top level.
_COMMANDS = (
    ("model_cmd", "model"),
    ("profiles_cmd", "profiles"),
    ("peaks_cmd", "peaks"),
    ("call_cmd", "call"),
    ("attribute_cmd", "attribute"),
    ("merge_cmd", "merge"),
    ("models_cmd", "models"),
    ("fetch_cmd", "fetch"),
    ("plot_cmd", "plot"),
    ("report_cmd", "report"),
    ("simulate_cmd", "simulate"),
    ("train_cmd", "train"),
    ("compare_cmd", "compare"),
    ("faithfulness_cmd", "faithfulness"),
    ("benchmark_cmd", "benchmark"),
    ("variants_cmd", "variants"),
    ("links_cmd", "links"),
)


def _register() -> None:
    from importlib import import_module

    for module, name in _COMMANDS:
        cli.add_command(getattr(import_module(f"regfind.cli.{module}"), name))


_register()


def _format_warning(message: Warning | str, category: type[Warning], *args: object,
                    **kwargs: object) -> str:
    """Format warnings as one line ``regfind: warning: ...`` (no file and line noise)."""
    return f"regfind: warning: {message}\n"


def main(argv: list[str] | None = None) -> None:
    """Run the CLI; turn regfind errors into one line on stderr and exit status 1."""
    import warnings

    warnings.formatwarning = _format_warning
    try:
        cli.main(args=argv, prog_name="regfind", standalone_mode=False)
    except click.exceptions.Abort:
        click.echo("Aborted.", err=True)
        sys.exit(130)
    except click.ClickException as exc:
        exc.show()
        sys.exit(exc.exit_code)
    except RegfindError as exc:
        click.echo(f"regfind: error: {exc}", err=True)
        sys.exit(1)
