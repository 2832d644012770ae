"""Every parameter of the regulatory-genome simulator, in one frozen dataclass.

The rules these parameters drive are documented in ``docs/simulation.md``; they were fixed
from biology before any model was trained on the output, and are not tuned to any method.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields, replace
from typing import Any

from regfind.errors import ConfigError

__all__ = ["DEMO", "SimConfig"]


@dataclass(frozen=True)
class SimConfig:
    """Parameters of a simulated genome (all lengths in bp; coordinates 0-based half-open).

    Attributes
    ----------
    seed : int
        Seed of ``numpy.random.default_rng``; the whole output is a function of the config.
    n_genes : int
        Genes, spread evenly over the chromosomes (one gene per locus).
    n_chroms : int
        Chromosomes ``chr1 .. chr{n}``.
    valid_chroms, test_chroms : tuple of str
        Held-out chromosomes; every other chromosome is ``train``.
    window : int
        Model window around each TSS; each gene owns ``window + spacer`` bp so that no element
        falls in two windows.
    spacer : int
        Background between consecutive windows.
    center_len : int
        Promoter length at the window centre (the model's ``center_len``); no distal element
        is placed within ``center_len // 2 + element_gap`` of a TSS.
    gc, cpg_retention : float
        Background GC fraction and the fraction of CpG dinucleotides that survive
        (deamination of methylated CpG: human DNA keeps about 1/4 of the expected CpG).
    promoter_gc : float
        GC fraction of the promoter (CpG-island-like: no CpG depletion).
    element_len : tuple of 2 int
        Width range of every distal element (uniform).
    element_gap : int
        Minimum background between elements and from the promoter.
    n_causal_probs : tuple of float
        Probability of 0, 1, 2, ... causal enhancers per gene.
    n_decoys, n_closed : tuple of 2 int
        Inclusive ranges of accessible decoys and closed motif sites per gene.
    sites_per_enhancer : tuple of 2 int
        Inclusive range of activator sites in a causal enhancer (and in a closed motif site).
    activators : tuple of (str, float)
        JASPAR matrix ID and transcriptional strength of one site, per activator.
    insulators : tuple of str
        JASPAR matrix IDs planted in accessible decoys (CTCF).
    promoter_motifs : tuple of str
        JASPAR matrix IDs planted in promoters (SP1, NRF1, YY1, TBP).
    jaspar_release : str
        pyjaspar release the matrices are read from.
    pwm_pseudocount : float
        Added to each count before normalising a matrix column.
    decoy_max_score : float
        Decoy and background sequence is redrawn while any activator scores at least this
        fraction of its best log-odds score (so decoys carry no activator site).
    contact_gamma, contact_floor : float
        Enhancer-promoter contact ``(max(d, floor) / floor) ** -gamma``.
    promoter_strength : tuple of 2 float
        Log-normal (mu, sigma) of the promoter's own activity.
    expr_scale : float
        CAGE counts per unit of activity.
    expr_noise : float
        Sigma of the multiplicative log-normal noise on the counts.
    peak_height : tuple of 2 float
        Log-normal (mu, sigma) of the peak height (fold change) of every open element; the
        same for causal enhancers and decoys.
    promoter_peak : float
        Fold change of the promoter peaks per unit of sqrt(promoter activity).
    background_fc : float
        Mean fold change away from peaks.
    track_noise : float
        Gamma shape of the per-bin multiplicative noise (larger = less noise).
    closed_fc : float
        Mean fold change over closed motif sites (closed chromatin: below background).
    bin_size : int
        Resolution of the written bigWigs.
    n_blacklist_per_gene : float
        Blacklisted regions per gene (artefact signal, masked by the model).
    blacklist_len : tuple of 2 int
        Width range of a blacklisted region.
    blacklist_fc : float
        Fold change of the artefact signal inside blacklisted regions.
    profile_name, cell : str
        Names of the profile and its cell type in the written ``profiles.toml``.
    """

    seed: int = 0
    n_genes: int = 1000
    n_chroms: int = 5
    valid_chroms: tuple[str, ...] = ("chr4",)
    test_chroms: tuple[str, ...] = ("chr5",)
    window: int = 10_000
    spacer: int = 2_000
    center_len: int = 1_000
    gc: float = 0.41
    cpg_retention: float = 0.25
    promoter_gc: float = 0.65
    element_len: tuple[int, int] = (300, 500)
    element_gap: int = 200
    n_causal_probs: tuple[float, ...] = (0.1, 0.3, 0.35, 0.25)
    n_decoys: tuple[int, int] = (1, 3)
    n_closed: tuple[int, int] = (1, 2)
    sites_per_enhancer: tuple[int, int] = (2, 4)
    activators: tuple[tuple[str, float], ...] = (
        ("MA0035.4", 1.0),   # GATA1
        ("MA0493.2", 0.8),   # KLF1
        ("MA0841.1", 0.9),   # NFE2
        ("MA0002.2", 0.6),   # RUNX1
        ("MA0099.3", 0.7),   # FOS::JUN (AP-1)
        ("MA0466.2", 0.5),   # CEBPB
    )
    insulators: tuple[str, ...] = ("MA0139.1",)  # CTCF
    promoter_motifs: tuple[str, ...] = ("MA0079.5", "MA0506.2", "MA0095.3", "MA0108.2")
    jaspar_release: str = "JASPAR2024"
    pwm_pseudocount: float = 0.5
    decoy_max_score: float = 0.8
    contact_gamma: float = 0.87
    contact_floor: float = 1_000.0
    promoter_strength: tuple[float, float] = (0.0, 0.5)
    expr_scale: float = 100.0
    expr_noise: float = 0.15
    peak_height: tuple[float, float] = (2.0, 0.35)
    promoter_peak: float = 8.0
    background_fc: float = 0.6
    track_noise: float = 4.0
    closed_fc: float = 0.3
    bin_size: int = 10
    n_blacklist_per_gene: float = 0.05
    blacklist_len: tuple[int, int] = (500, 2_000)
    blacklist_fc: float = 30.0
    profile_name: str = "sim"
    cell: str = "sim"
    extra: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)

    def __post_init__(self) -> None:
        self._validate()

    def _validate(self) -> None:
        if self.n_genes < 1 or self.n_chroms < 1:
            raise ConfigError("n_genes and n_chroms must be >= 1")
        if self.window < 2 * self.center_len or self.window % self.bin_size:
            raise ConfigError(f"window must be >= 2 * center_len and a multiple of bin_size "
                              f"({self.bin_size}); got window={self.window}")
        if self.window // 2 - self.center_len // 2 < self.element_len[1] + 2 * self.element_gap:
            raise ConfigError(f"window {self.window} leaves no room for elements beside the "
                              f"{self.center_len} bp promoter")
        if abs(sum(self.n_causal_probs) - 1) > 1e-6:
            raise ConfigError("n_causal_probs must sum to 1")
        chroms = set(self.chrom_names)
        for c in (*self.valid_chroms, *self.test_chroms):
            if c not in chroms:
                raise ConfigError(f"held-out chromosome {c} is not one of {sorted(chroms)}")

    @property
    def chrom_names(self) -> list[str]:
        """``['chr1', ..., 'chr{n_chroms}']``."""
        return [f"chr{i + 1}" for i in range(self.n_chroms)]

    @property
    def locus_len(self) -> int:
        """Bases owned by one gene (its window plus the spacer)."""
        return self.window + self.spacer

    def split_of(self, chrom: str) -> str:
        """Return 'train', 'valid' or 'test' for a chromosome."""
        if chrom in self.test_chroms:
            return "test"
        return "valid" if chrom in self.valid_chroms else "train"

    def with_(self, **changes: Any) -> SimConfig:
        """Return a copy with some fields changed (validated)."""
        known = {f.name for f in fields(self)}
        bad = sorted(set(changes) - known)
        if bad:
            raise ConfigError(f"unknown simulation parameters {bad}")
        return replace(self, **changes)

    def to_dict(self) -> dict[str, Any]:
        """Return a JSON-serialisable dict of every parameter."""
        out = asdict(self)
        out.pop("extra")
        return out


#: The configuration of the bundled demo (``regfind simulate --out DIR`` with no options).
DEMO = SimConfig(profile_name="demo", cell="demo")
