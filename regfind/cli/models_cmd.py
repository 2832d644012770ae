"""``regfind models list|info|download|verify|path``: the model zoo."""

from __future__ import annotations

import json
from pathlib import Path

import click

_CACHE = click.option("--cache-dir", "cache", type=click.Path(file_okay=False, path_type=Path),
                      default=None, help="Download cache (default: $REGFIND_CACHE or the user "
                      "cache dir).")


@click.group()
def models() -> None:
    """List, download, verify and locate known Seq2Exp models."""


@models.command("list")
@_CACHE
@click.option("--json", "as_json", is_flag=True, help="Print machine-readable JSON.")
def list_(cache: Path | None, as_json: bool) -> None:
    """List the official, bundled and local models and whether they are available here."""
    from regfind import zoo

    rows = [{**card.to_dict(), "status": zoo.model_status(card, cache)}
            for card in zoo.list_models()]
    if as_json:
        click.echo(json.dumps(rows, indent=2, default=str))
        return
    click.echo(f"{'name':<22} {'kind':<9} {'variant':<7} {'cell':<8} {'genome':<6} "
               f"{'window':>7}  {'sha256':<8}  status")
    for r in rows:
        sha = "known" if r["sha256"] or r["checksums"] else "unknown"
        click.echo(f"{r['name']:<22} {r['kind']:<9} {r['variant']:<7} {r['cell_type']:<8} "
                   f"{r['genome']:<6} {r['window']:>7}  {sha:<8}  {r['status']}")


@models.command()
@click.argument("name")
@_CACHE
@click.option("--json", "as_json", is_flag=True, help="Print machine-readable JSON.")
def info(name: str, cache: Path | None, as_json: bool) -> None:
    """Print the card of model NAME and where it is (or would be) stored."""
    from regfind import zoo

    card = zoo.get_card(name)
    data = {**card.to_dict(), "status": zoo.model_status(card, cache)}
    if not card.bundled and card.kind != "local":
        data["cache_path"] = str(zoo.cache_dir(cache) / "models" / card.name /
                                 card.remote.filename)
        data["recorded_sha256"] = zoo.recorded_sha256(card.name, cache)
    if as_json:
        click.echo(json.dumps(data, indent=2, default=str))
        return
    for key, value in data.items():
        if value not in ("", 0, {}, None):
            click.echo(f"{key}: {value}")


@models.command()
@click.argument("name")
@_CACHE
@click.option("--url", default=None, help="Download from this URL instead of the card's.")
@click.option("--from-file", "from_file", type=click.Path(exists=True, dir_okay=False,
              path_type=Path), default=None, help="Copy a checkpoint obtained by hand into "
              "the cache (verified like a download; no network).")
@click.option("--allow-unknown-checksum", "allow_unknown", is_flag=True,
              help="Accept a checkpoint whose sha256 the card does not know (recorded).")
@click.option("--offline", is_flag=True, default=None,
              help="Forbid network use (also REGFIND_OFFLINE=1).")
def download(name: str, cache: Path | None, url: str | None, from_file: Path | None,
             allow_unknown: bool, offline: bool | None) -> None:
    """Download model NAME into the cache, verify its sha256, and print its path."""
    from regfind import zoo

    path = zoo.download_model(name, cache=cache, url=url, from_file=from_file,
                              allow_unknown=allow_unknown, offline=offline)
    card = zoo.get_card(name)
    if not card.bundled and card.kind != "local":
        sha = zoo.recorded_sha256(card.name, cache)
        note = "matches the card" if card.sha256 else "NOT known to the card; recorded"
        click.echo(f"sha256 {sha} ({note})", err=True)
    click.echo(str(path))


@models.command()
@click.argument("names", nargs=-1)
@_CACHE
def verify(names: tuple[str, ...], cache: Path | None) -> None:
    """Check the sha256 of models NAMES (default: every bundled or downloaded model)."""
    from regfind import zoo
    from regfind.errors import RegfindError

    cards = ([zoo.get_card(n) for n in names] if names else
             [c for c in zoo.list_models() if zoo.model_status(c, cache) in
              ("bundled", "local", "downloaded")])
    failed = 0
    for card in cards:
        try:
            for fname, sha in zoo.verify_model(card.name, cache=cache).items():
                click.echo(f"ok        {card.name:<22} {fname} {sha}")
        except RegfindError as exc:
            failed += 1
            click.echo(f"FAILED    {card.name:<22} {exc}")
    if failed:
        raise click.ClickException(f"{failed} model(s) failed verification")


@models.command()
@click.argument("name")
@_CACHE
def path(name: str, cache: Path | None) -> None:
    """Print the verified local path of model NAME (an error if it is not downloaded)."""
    from regfind import zoo

    click.echo(str(zoo.model_path(name, cache=cache)))
