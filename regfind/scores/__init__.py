"""Per-base scores besides the mask: gradient and in-silico attributions."""
