"""The exceptions and warnings regfind raises.

Every error that library code raises on purpose derives from :class:`RegfindError`, so callers
(and the CLI, which turns them into one line and exit status 1) can catch them all at once::

    RegfindError
    ├── CheckpointError          a checkpoint cannot be read, is unsafe, or does not match the model
    │   └── UnsafeCheckpointError    it tries to unpickle something outside the allow-list
    ├── ConfigError              a model or data configuration value is missing or unsupported
    │   └── UnsupportedMethodError   an attribution method cannot be applied correctly to Seq2Exp
    ├── DependencyError          an optional package or program (e.g. macs3) is not installed
    ├── InputError               tensors or arrays handed to the model have the wrong shape/dtype
    ├── CoordinateError          an interval or locus is outside its chromosome or malformed
    └── DataError                an input file is missing, unreadable or inconsistent
        ├── GenomeMismatchError  files disagree on chromosome names or lengths
        ├── UnsafeFileError      a data pickle tries to unpickle something outside the allow-list
        ├── ChecksumError        a file's sha256 (or size) differs from the known one, or is unknown
        └── DownloadError        a download failed (HTTP error, connection lost, no URL known)
            └── OfflineError     a file is missing and network use is forbidden (--offline)

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


class UnsupportedMethodError(ConfigError):
    """An attribution method (e.g. DeepLIFT) that cannot be applied correctly to Seq2Exp."""


class DependencyError(RegfindError):
    """An optional dependency (a Python package or a program such as macs3) is missing."""


class InputError(RegfindError, ValueError):
    """Model inputs have the wrong shape, dtype or length."""


class CoordinateError(RegfindError, ValueError):
    """An interval or locus is malformed or lies outside its chromosome."""


class DataError(RegfindError):
    """An input data file is missing, unreadable or inconsistent."""


class GenomeMismatchError(DataError):
    """Input files disagree on chromosome names or lengths (different genome builds)."""


class UnsafeFileError(DataError):
    """A data file (a pickle) tries to unpickle an object outside regfind's allow-list."""


class ChecksumError(DataError):
    """A file's sha256 or size differs from the known value, or no value is known."""


class DownloadError(DataError):
    """A download failed: HTTP error, lost connection, or no URL known for the file."""


class OfflineError(DownloadError):
    """A file is missing and network use is forbidden (``--offline``, ``REGFIND_OFFLINE``)."""


class RegfindWarning(UserWarning):
    """Base class of the warnings regfind emits."""
