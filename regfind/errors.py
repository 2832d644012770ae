"""The exceptions and warnings regfind raises.

Every error that library code raises on purpose derives from :class:`RegfindError`, so callers
(and the CLI, which turns them into one line and exit status 1) can catch them all at once::

    RegfindError
    ├── CheckpointError          a checkpoint cannot be read, is unsafe, or does not match the model
    │   └── UnsafeCheckpointError    it tries to unpickle something outside the allow-list
    ├── ConfigError              a model or data configuration value is missing or unsupported
    ├── InputError               tensors or arrays handed to the model have the wrong shape/dtype
    ├── CoordinateError          an interval or locus is outside its chromosome or malformed
    └── DataError                an input file is missing, unreadable or inconsistent
        └── GenomeMismatchError  files disagree on chromosome names or lengths

Warnings derive from :class:`RegfindWarning` (a ``UserWarning``) so they can be filtered together.
"""

from __future__ import annotations


class RegfindError(Exception):
    """Base class of every error regfind raises on purpose."""


class CheckpointError(RegfindError):
    """A checkpoint cannot be read, or its tensors or configuration do not fit the model."""


class UnsafeCheckpointError(CheckpointError):
    """A checkpoint tries to unpickle an object outside regfind's allow-list."""


class ConfigError(RegfindError):
    """A configuration value is missing, malformed or not supported."""


class InputError(RegfindError, ValueError):
    """Model inputs have the wrong shape, dtype or length."""


class CoordinateError(RegfindError, ValueError):
    """An interval or locus is malformed or lies outside its chromosome."""


class DataError(RegfindError):
    """An input data file is missing, unreadable or inconsistent."""


class GenomeMismatchError(DataError):
    """Input files disagree on chromosome names or lengths (different genome builds)."""


class RegfindWarning(UserWarning):
    """Base class of the warnings regfind emits."""
