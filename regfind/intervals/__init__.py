"""Score tracks to regions: the MACS3-exact caller, per-gene regions, MACS3 itself."""
