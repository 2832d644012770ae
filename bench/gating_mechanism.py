"""Why the official soft mask hardly gates: look at the predictor's first normalised input.

For demo test genes, the mask outside the promoter is scaled by factors f and the inputs of the
predictor's RMSNorms (one per block) are recorded with forward hooks. Printed per factor, over
the flank bases (outside the promoter, mask > 0):

- the relative change of block 1's normalised input, ``|norm(f m x) - norm(m x)| / |norm(m x)|``
  (0 when the norm cancels the scale);
- the same for block 2's normalised input (the residual stream then carries ``f m x``);
- the fraction of the deletion effect removed (as ``regfind faithfulness --gating``).

Also printed: the RMS over channels of ``m x`` at the flank bases, against which the norm's
epsilon (1e-5) is compared: ``norm(f m x)`` moves only once ``(f m rms)^2`` nears epsilon.

    .venv/bin/python bench/gating_mechanism.py [MODEL] [N_GENES]
    .venv/bin/python bench/gating_mechanism.py ../shared/fixtures/seq2exp_official/tiny_soft.ckpt

With an official-format fixture checkpoint (``*.ckpt`` beside its ``*.cases.pt``), the
fixture's own input cases are used instead of demo genes.

Takes about half a minute for 10 genes on one CPU thread (demo model).
"""
import sys
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import torch

import regfind
from regfind.evaluate.gating import mask_gating
from regfind.inputs.build import for_gene
from regfind.inputs.profiles import demo_profile
from regfind.model.context import resolve_model

model_ref = sys.argv[1] if len(sys.argv) > 1 else "demo-soft"
n_genes = int(sys.argv[2]) if len(sys.argv) > 2 else 10
factors = (1.0, 0.5, 0.1, 0.01, 0.001)
torch.set_num_threads(1)
m = regfind.load_model(resolve_model(model_ref), device="cpu").eval()


def gene_inputs():
    """Yield one gene's inputs at a time: demo test genes, or a fixture's cases."""
    if model_ref.endswith(".ckpt"):
        cases = torch.load(Path(model_ref).with_suffix(".cases.pt"), weights_only=True)
        for j in range(cases["seqs"].shape[0]):
            yield SimpleNamespace(seqs=cases["seqs"][j:j + 1].numpy(),
                                  signals=cases["signals"][j:j + 1].numpy(),
                                  rna_feat=cases["rna_feat"][j:j + 1].numpy(),
                                  blacklist=cases["mask_regions"][j:j + 1, :, 1].numpy())
        return
    src = demo_profile().sources("demo")
    for i in range(801, 801 + n_genes):
        gene = src.annotation.lookup(f"SIM{i:04d}")
        yield for_gene(gene.gene_id, sources=src, window=m.config.seq_range)



norms = [blk.norm for blk in m.encoder.backbone.layers]
seen: dict[int, torch.Tensor] = {}
hooks = [n.register_forward_hook(lambda mod, inp, out, i=i: seen.__setitem__(i, out.detach()))
         for i, n in enumerate(norms)]
change = {f: [[] for _ in norms] for f in factors}
removed = {f: [] for f in factors}
rms = []
for mi in gene_inputs():
    seqs, sig, rna = (torch.from_numpy(np.asarray(a, dtype=np.float32))
                      for a in (mi.seqs, mi.signals, mi.rna_feat))
    bl = torch.from_numpy(mi.blacklist)
    with torch.no_grad():
        out = m(seqs, sig, rna, bl)
        x_enc, _ = m._embed(seqs, sig)
        flank = torch.ones_like(out.mask, dtype=torch.bool)
        flank[:, m.promoter_slice(seqs.shape[1])] = False
        flank &= out.mask > 0
        rms.append(((x_enc * out.mask[..., None]).pow(2).mean(-1).sqrt()[flank]).median().item())
        ref = None
        for f in factors:
            mk = torch.where(flank, out.mask * f, out.mask)
            m.predict_with_mask(seqs, sig, rna, mk)
            if m.config.pos_enc:  # hard: the predictor reads compacted kept bases only
                continue
            now = [seen[k][flank] for k in range(len(norms))]
            ref = ref or now
            for k in range(len(norms)):
                d = (now[k] - ref[k]).norm(dim=-1) / ref[k].norm(dim=-1)
                change[f][k].append(d.median().item())
    g = mask_gating(m, mi, factors)
    for f, r in zip(g["factor"], g["removed"], strict=True):
        if f in removed:
            removed[f].append(r)
for h in hooks:
    h.remove()
print(f"{model_ref}: {len(rms)} genes; median RMS of m*x at flank bases {np.median(rms):.3g} "
      f"(norm epsilon {m.config.norm_epsilon:g})")
print("factor  block1_norm_input_change  block2_norm_input_change  deletion_effect_removed")
for f in factors[1:]:
    c = [np.median(change[f][k]) if change[f][k] else np.nan for k in range(len(norms))]
    print(f"x{f:<6g} {c[0]:24.3g}  {c[1] if len(c) > 1 else float('nan'):24.3g}  "
          f"{np.nanmedian(removed[f]):22.1%}")
