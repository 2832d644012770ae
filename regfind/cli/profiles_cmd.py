"""``regfind profiles``: list the configured data profiles and check their files."""

from __future__ import annotations

import click


@click.command("profiles")
@click.option("--config", "config", type=click.Path(dir_okay=False), default=None,
              help="Profiles TOML (default: $REGFIND_CONFIG or the user config dir).")
def profiles(config: str | None) -> None:
    """List data profiles and check that every file they name exists and is readable.

    The built-in ``demo`` profile (the simulated demo genome, made on first use) is always
    listed, unless the profiles file defines its own ``demo``.
    """
    from regfind.inputs.profiles import (
        DEMO,
        DEMO_MODEL,
        config_path,
        default_profile,
        load_each_profile,
    )

    path = config_path(config)
    loaded, errors = load_each_profile(config) if path.is_file() else ({}, {})
    if path.is_file():
        click.echo(f"profiles file: {path}")
    else:
        click.echo(f"profiles file: none at {path} (see docs/inputs.md to add one)")
    problems = 0
    if default_profile(None, DEMO, config) == DEMO:  # --cell demo means the built-in demo
        problems += _builtin_demo(DEMO, DEMO_MODEL)
    for prof in loaded.values():
        cells = ", ".join(prof.cells) or "no cell types"
        click.echo(f"{prof.name}: {cells}")
        for label, file, status in prof.check_files():
            problems += status != "ok"
            click.echo(f"  {status:<10} {label:<24} {file}")
    for name, error in errors.items():
        click.echo(f"{name}: NOT READ - {error}")
    if errors:
        raise click.ClickException(f"{len(errors)} profile(s) could not be read (see above)")
    if problems:
        raise click.ClickException(f"{problems} file(s) missing or unreadable")


def _builtin_demo(name: str, model: str) -> int:
    """List the built-in demo profile; check its files when it has been built (no build)."""
    from regfind.inputs.profiles import load_profiles
    from regfind.simulate.demo import demo_dir
    from regfind.simulate.tables import MANIFEST

    folder = demo_dir()
    click.echo(f"{name} (built-in): cell type {name}; a simulated genome with planted "
               f"enhancers and the bundled model {model}; try `regfind call --gene SIM0801 "
               f"--cell {name} -o regions.bed`")
    if not (folder / MANIFEST).is_file():
        click.echo(f"  {'not built':<10} {'data':<24} {folder} (made on first use, about "
                   "a minute)")
        return 0
    problems = 0
    for label, file, status in load_profiles(folder / "profiles.toml")[name].check_files():
        problems += status != "ok"
        click.echo(f"  {status:<10} {label:<24} {file}")
    return problems
