"""Readers of regfind's input files: genome, tracks, Hi-C, blacklist and annotation.

Each reader converts its file's own conventions to regfind's (0-based, half-open, + strand) at
the edge and returns numpy arrays laid out on a :class:`regfind.coords.Locus` window.
"""
