"""``regfind fetch <genome|cell|benchmark>``: download reference data and write its profile."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click


@click.command("fetch")
@click.argument("targets", nargs=-1, required=True)
@click.option("--dry-run", is_flag=True, help="Print what would be downloaded, with sizes.")
@click.option("--offline", is_flag=True, default=None,
              help="Forbid network use (also REGFIND_OFFLINE=1): only check the files.")
@click.option("--hic", is_flag=True, help="Also fetch the (very large) Hi-C files.")
@click.option("--allow-unknown-checksum", "allow_unknown", is_flag=True,
              help="Accept files whose sha256 is not known (their sha256 is recorded).")
@click.option("--cache-dir", "cache", type=click.Path(file_okay=False, path_type=Path),
              default=None, help="Download cache (default: $REGFIND_CACHE or the user cache "
              "dir).")
@click.option("--config", "config", type=click.Path(dir_okay=False, path_type=Path),
              default=None, help="Profiles TOML to update (default: $REGFIND_CONFIG or the "
              "user config dir).")
@click.option("--no-profile", is_flag=True, help="Do not write the data profile.")
def fetch(targets: tuple[str, ...], dry_run: bool, offline: bool | None, hic: bool,
          allow_unknown: bool, cache: Path | None, config: Path | None,
          no_profile: bool) -> None:
    """Fetch the files of TARGETS (hg38, K562, GM12878, crispri), verified, into the cache.

    A cell type implies its genome. After fetching, the profile of the genome in the profiles
    file is written or updated so that `regfind call --cell K562 ...` works.
    """
    from regfind.zoo import cache_dir
    from regfind.zoo.data import load_registry

    registry = load_registry()
    root = cache_dir(cache)
    for target in targets:
        if dry_run:
            _dry_run(target, registry, root, hic)
        else:
            _fetch(target, registry, root, hic=hic, offline=offline,
                   allow_unknown=allow_unknown, config=None if no_profile else config,
                   write=not no_profile)


def _dry_run(target: str, registry: dict[str, Any], root: Path, hic: bool) -> None:
    from regfind.zoo.data import plan, status

    p = plan(target, hic=hic, registry=registry)
    click.echo(f"regfind fetch {p.target}: {len(p.files)} file(s) into {root / 'data'}")
    known = 0
    for item in p.files:
        st = status(item, root)
        size = f"{item.remote.size:,} B" if item.remote.size else "size unknown"
        sha = "sha256 known" if item.remote.sha256 else "sha256 UNKNOWN"
        if st != "present" and item.remote.size:
            known += item.remote.size
        verb = "have" if st == "present" else "get "
        click.echo(f"  {verb} {item.label:<24} {size:>16}  {sha:<14}  {item.remote.url}")
        click.echo(f"       -> {item.local_path(root)} ({st})")
    for item in p.skipped:
        click.echo(f"  skip {item.label:<24} (optional; add --hic)  {item.remote.url}")
    _dry_run_models(p.models)
    click.echo(f"  to download: {known:,} bytes known"
               + ("; some sizes unknown" if any(not i.remote.size for i in p.files) else ""))


def _dry_run_models(names: list[str]) -> None:
    from regfind import zoo

    for name in names:
        card = zoo.find_model(name)
        if card is None or card.url:
            click.echo(f"  model {name}: fetched with `regfind models download {name}`")
        else:
            click.echo(f"  model {name}: no download URL known; get the checkpoint by hand and "
                       f"run `regfind models download {name} --from-file PATH "
                       "--allow-unknown-checksum`")


def _fetch(target: str, registry: dict[str, Any], root: Path, *, hic: bool,
           offline: bool | None, allow_unknown: bool, config: Path | None,
           write: bool) -> None:
    from regfind.zoo._download import read_record
    from regfind.zoo._profile import write_profile
    from regfind.zoo.data import fetch

    p, paths = fetch(target, cache=root, allow_unknown=allow_unknown, offline=offline,
                     hic=hic, registry=registry)
    for label, path in paths.items():
        record = read_record(path) or {}
        click.echo(f"ok  {label:<24} {path}  sha256 {record.get('sha256', '?')} "
                   f"({record.get('checksum_source', '?')})")
    _dry_run_models(p.models)
    if write and p.genome:
        written = write_profile(p.genome, registry, root, config)
        if written is not None:
            click.echo(f"profile {p.genome} written to {written}")
