"""Looking at results: figures, motifs and the HTML report."""
