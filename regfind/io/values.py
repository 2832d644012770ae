"""One rule for numbers read from text tables: finite, or a one-line error naming the place."""

from __future__ import annotations

import math

from regfind.errors import DataError


def finite(text: str | None, where: str, *, minimum: float | None = None) -> float:
    """Parse a table cell as a finite number.

    Parameters
    ----------
    text : str or None
        The cell as read (``None`` when the row is short).
    where : str
        ``"FILE line N, column C"``: the place named in the error.
    minimum : float, optional
        Smallest allowed value (inclusive).

    Returns
    -------
    float

    Raises
    ------
    DataError
        Empty, ``NA``, ``NaN``, infinite, non-numeric or below ``minimum``; the message names
        ``where`` and the value.
    """
    try:
        value = float(text)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        value = math.nan
    if not math.isfinite(value) or (minimum is not None and value < minimum):
        need = "a finite number" + (f" >= {minimum:g}" if minimum is not None else "")
        raise DataError(f"{where}: {text!r} is not {need}; fix or remove the row")
    return value
