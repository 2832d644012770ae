"""``regfind profiles``: list the configured data profiles and check their files."""

from __future__ import annotations

import click


@click.command("profiles")
@click.option("--config", "config", type=click.Path(dir_okay=False), default=None,
              help="Profiles TOML (default: $REGFIND_CONFIG or the user config dir).")
def profiles(config: str | None) -> None:
    """List data profiles and check that every file they name exists and is readable."""
    from regfind.profiles import config_path, load_profiles

    loaded = load_profiles(config)
    click.echo(f"profiles file: {config_path(config)}")
    problems = 0
    for prof in loaded.values():
        cells = ", ".join(prof.cells) or "no cell types"
        click.echo(f"{prof.name}: {cells}")
        for label, path, status in prof.check_files():
            problems += status != "ok"
            click.echo(f"  {status:<10} {label:<24} {path}")
    if problems:
        raise click.ClickException(f"{problems} file(s) missing or unreadable")
