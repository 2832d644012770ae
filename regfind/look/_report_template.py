# ruff: noqa: E501  (HTML template text: long lines are the markup itself)
"""The jinja2 template of ``regfind report`` (one self-contained HTML file, no external URL).

igv.js and each browser's JSON configuration are inserted as markup-safe text
(:mod:`regfind.look.browser` escapes ``<``, ``>``, ``&`` in the JSON); everything else is auto-escaped.
"""

TEMPLATE = """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>{{ title }}</title>
<style>
body { font-family: -apple-system, "Segoe UI", Helvetica, Arial, sans-serif; margin: 2em auto;
       max-width: 1250px; color: #222; line-height: 1.4; padding: 0 1em; }
h1 { font-size: 1.6em; } h2 { border-bottom: 2px solid #1f3f7a; padding-bottom: .2em; }
h3 { font-size: 1.05em; margin-top: 1.4em; }
table { border-collapse: collapse; font-size: .85em; margin: .5em 0; }
th, td { border: 1px solid #ccc; padding: .25em .55em; text-align: right; }
th { background: #eef2f8; } td.l, th.l { text-align: left; }
img { max-width: 100%; border: 1px solid #eee; }
.note { color: #555; font-size: .9em; } .warn { color: #a33; }
.bar { display: inline-block; height: .7em; background: #4c72b0; vertical-align: middle; }
tr.forced td { background: #f2f2f2; color: #555; } .forced-bar { background: #999; }
pre { background: #f6f6f6; padding: 1em; overflow-x: auto; font-size: .8em; }
nav ul { columns: 3; }
.igv-view { border: 1px solid #eee; min-height: 120px; }
</style>
</head>
<body>
<h1>{{ title }}</h1>
<p class="note">Cell type <b>{{ cell }}</b>; model <b>{{ model_name }}</b>; regions: {{ rule }}.
Generated {{ generated }} by regfind {{ version }}.</p>

<h2 id="index">Genes</h2>
<table>
<tr><th class="l">gene</th><th class="l">window</th><th>regions</th><th>bp in regions</th>
<th>best P(selected)</th><th>predicted log10(CAGE+1)</th></tr>
{% for s in sections %}
<tr><td class="l"><a href="#gene-{{ s.anchor }}">{{ s.gene }}</a></td><td class="l">{{ s.window }}</td>
<td>{{ s.n_regions }}</td><td>{{ "{:,}".format(s.bp) }}</td><td>{{ s.best_prob }}</td>
<td>{{ s.pred }}</td></tr>
{% endfor %}
</table>
{% if skipped %}<p class="warn">Skipped: {% for g, r in skipped %}<b>{{ g }}</b> ({{ r }}){% if not loop.last %}; {% endif %}{% endfor %}</p>{% endif %}

{% if motifs %}
<h2 id="motifs">Motif enrichment (all genes' regions)</h2>
<p class="note">{{ motifs.n_motifs }} JASPAR motifs scanned on both strands (hit: p &lt; {{ motifs.pvalue }});
{{ motifs.n_regions }} regions against {{ motifs.background }}. One-sided Fisher's exact test on the
number of sequences with at least one hit; q-values by Benjamini-Hochberg. Similar matrices are
grouped under their best-ranked member (width-normalised column correlation &ge; 0.5); the top
{{ motifs.rows|length }} groups are shown.</p>
<table>
<tr><th>group</th><th>rank</th><th class="l">motif</th><th class="l">ID</th><th class="l">similar motifs</th>
<th>regions hit</th><th>background hit</th><th>odds ratio</th><th>p</th><th>q</th></tr>
{% for m in motifs.rows %}
<tr><td>{{ m.group_rank }}</td><td>{{ m.rank }}</td><td class="l">{{ m.motif_name }}</td>
<td class="l">{{ m.motif_id }}</td><td class="l">{{ m.others }}</td>
<td>{{ m.regions_hit }}/{{ m.regions }}</td><td>{{ m.background_hit }}/{{ m.background }}</td>
<td>{{ "%.2f"|format(m.odds_ratio) }}</td><td>{{ "%.2g"|format(m.pvalue) }}</td>
<td>{{ "%.2g"|format(m.qvalue) }}</td></tr>
{% endfor %}
</table>
{% endif %}

{% if discoveries is not none %}
<h2 id="discovered">Motifs discovered from the scores</h2>
<p class="note">Seqlets (21-bp windows whose summed contribution stands out from its null) cut from
each score track of all genes' windows, clustered into patterns by TF-MoDISco (modisco-lite), each
trimmed to its informative core and matched to JASPAR CORE vertebrates by TOMTOM (memelite). The mask
counts a base by how far its Beta mean exceeds the window's median. A pattern without a core of 5
positions of &ge; 1 bit is a diffuse preference (AT- or GC-richness) and is not matched. Few genes give
few seqlets: TF-MoDISco clusters a sign only from 100 seqlets on. The known-motif enrichment above
asks a different question (which JASPAR motifs are over-represented in the called regions).</p>
{% for d in discoveries %}
<h3>From the {{ d.source }} ({{ d.n_windows }} windows{% if d.n_windows < d.n_genes %}: the first {{ d.n_windows }} genes of {{ d.n_genes }}, to bound memory{% endif %})</h3>
{% if d.rows %}
<table>
<tr><th class="l">pattern</th><th>seqlets</th><th>core width</th><th class="l">consensus</th>
<th class="l">best JASPAR match</th><th>TOMTOM p</th><th class="l">strand</th></tr>
{% for r in d.rows %}
<tr><td class="l">{{ r.pattern }}</td><td>{{ r.n_seqlets }}</td><td>{{ r.width }}</td>
<td class="l"><code>{{ r.consensus }}</code></td><td class="l">{{ r.match_id }} {{ r.match_name }}</td>
<td>{{ r.match_pvalue }}</td><td class="l">{{ r.match_strand }}</td></tr>
{% endfor %}
</table>
{% if d.img %}<img alt="discovered motifs from the {{ d.source }}" src="{{ d.img }}">{% endif %}
{% else %}<p>No pattern: too few seqlets in these windows.</p>{% endif %}
{% endfor %}
{% endif %}

{% for s in sections %}
<h2 id="gene-{{ s.anchor }}">{{ s.gene }}</h2>
<p>{{ s.window }} ({{ s.strand }} strand), TSS {{ "{:,}".format(s.tss) }}.
{% if s.pred != "-" %}Predicted log10(CAGE+1): <b>{{ s.pred }}</b>.{% endif %}
Regions called at mask &ge; <b class="cutoff">{{ s.cutoff }}</b>.</p>
<img alt="locus view of {{ s.gene }}" src="{{ s.locus_img }}">
{% if igv %}<h3>Genome browser</h3>
<p class="note">igv.js, embedded: drag to move, scroll or double-click to zoom, click a feature for its
details. Mask, called regions, peaks, truth and genes of this window; it works offline.</p>
<div class="igv-view" id="igv-{{ s.anchor }}"></div>
<script type="application/json" class="igv-config" data-target="igv-{{ s.anchor }}">{{ s.igv_json }}</script>{% endif %}
<h3>Called regions</h3>
{% if s.rows %}
<table>
<tr><th class="l">region</th><th>length</th><th>distance to TSS</th><th>mean mask</th>
<th>mask 5-95%</th><th>max mask</th><th class="l">P(selected)</th><th class="l">promoter</th>
{% if s.has_peaks %}<th class="l">in a peak</th>{% endif %}<th class="l">top motifs</th></tr>
{% for r in s.rows %}
{% if r.forced %}<tr class="forced"><td class="l">{{ r.region }}</td><td>{{ r.length }}</td><td>{{ r.distance }}</td>
<td>{{ r.mean }}<sup>*</sup></td><td class="l" colspan="2">promoter forced to 1</td>
<td class="l"><span class="bar forced-bar" style="width:60px"></span> kept by rule<br><span class="note">model alone: {{ r.prob }}</span></td>
<td class="l">forced</td>{% if s.has_peaks %}<td class="l">{{ r.peak }}</td>{% endif %}
<td class="l">{{ r.motifs }}</td></tr>
{% else %}<tr><td class="l">{{ r.region }}</td><td>{{ r.length }}</td><td>{{ r.distance }}</td>
<td>{{ r.mean }}</td><td>{{ r.band }}</td><td>{{ r.max }}</td>
<td class="l"><span class="bar" style="width:{{ r.prob_px }}px"></span> {{ r.prob }}</td>
<td class="l"></td>{% if s.has_peaks %}<td class="l">{{ r.peak }}</td>{% endif %}
<td class="l">{{ r.motifs }}</td></tr>{% endif %}
{% endfor %}
</table>
<p class="note">P(selected): mean over the region's bases of the Beta probability that the base
is above the cutoff. Mask 5-95%: mean of the per-base Beta quantiles.
{% if s.rows|selectattr("forced")|list %}<sup>*</sup> The promoter row (grey) is selected by a rule
of the model, not by its mask: the model always keeps the promoter (mask forced to 1 there), so its
mean mask is 1 and it is not a discovery; "model alone" is P(selected) from the model's own Beta
at those bases, without the rule.{% endif %}</p>
{% else %}<p>No region called.</p>{% endif %}
{% if s.logos_img %}<h3>Sequence logos of the top regions</h3>
<p class="note">Each logo is one region's own sequence, its letters scaled by the score (the mask, or the
first attribution given), with JASPAR hits shaded and labelled: a view of that stretch, not a motif.
{% if discoveries %}Motifs learned across all windows are under <a href="#discovered">Motifs discovered
from the scores</a>.{% endif %}</p>
<img alt="sequence logos of {{ s.gene }}" src="{{ s.logos_img }}">{% endif %}
{% if s.peaks %}<h3>Comparison to peaks</h3>
<p>{{ s.peaks.n_peaks }} peaks in the window; {{ s.peaks.regions_in_peaks }} of {{ s.n_regions }} regions
overlap a peak; {{ s.peaks.peaks_hit }} peaks overlap a region; base-pair Jaccard {{ s.peaks.jaccard }}.</p>{% endif %}
{% if s.attributions %}<h3>Attributions</h3><p>Tracks drawn in the locus view: {{ s.attributions|join(", ") }}.</p>{% endif %}
<h3>Window reach</h3>
<ul>{% for n in s.notes %}<li>{{ n }}</li>{% endfor %}</ul>
<p class="note"><a href="#index">back to the gene list</a></p>
{% endfor %}

<h2 id="provenance">Provenance</h2>
<pre>{{ provenance }}</pre>
{% if igv %}<script>{{ igv.js }}</script>
<script>{{ igv.attach }}</script>{% endif %}
</body>
</html>
"""
