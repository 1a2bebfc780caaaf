"""File input/output at the boundary: atomic writes, safe loads (never pickles)."""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
from pathlib import Path
from typing import Any, Iterator

import numpy as np

from ntkjax.errors import NtkjaxInputError


def check_output_path(path: str | os.PathLike, *, inputs: tuple = ()) -> Path:
    """Validate an output path: its folder must exist and it must not be one of ``inputs``."""
    out = Path(path)
    if not out.parent.exists() and str(out.parent) not in ("", "."):
        raise NtkjaxInputError(
            f"output folder {str(out.parent)!r} does not exist; create it first (mkdir -p {out.parent})"
        )
    if out.exists() and out.is_dir():
        raise NtkjaxInputError(f"output path {str(out)!r} is a directory; give a file name")
    for inp in inputs:
        if inp is not None and Path(inp).exists() and out.exists() and out.resolve() == Path(inp).resolve():
            raise NtkjaxInputError(f"output {str(out)!r} is also an input; refusing to overwrite inputs")
    return out


@contextlib.contextmanager
def atomic_path(path: str | os.PathLike) -> Iterator[Path]:
    """Yield a temporary path in the target's folder; rename it onto ``path`` on success.

    On any exception the temporary file is removed and ``path`` is untouched, so no
    partial output is ever left behind.
    """
    target = Path(path)
    folder = target.parent if str(target.parent) else Path(".")
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=target.suffix or ".tmp", dir=folder)
    os.close(fd)
    tmp_path = Path(tmp)
    try:
        yield tmp_path
        os.replace(tmp_path, target)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            tmp_path.unlink()
        raise


def save_npy(path: str | os.PathLike, array: Any) -> None:
    """Write a plain ``.npy`` file atomically (loadable with ``allow_pickle=False``)."""
    arr = np.asarray(array)
    with atomic_path(path) as tmp:
        with open(tmp, "wb") as fh:
            np.save(fh, arr, allow_pickle=False)


def save_json(path: str | os.PathLike, obj: Any) -> None:
    """Write JSON atomically."""
    with atomic_path(path) as tmp:
        tmp.write_text(json.dumps(obj, indent=2, sort_keys=True) + "\n")


def load_npy(path: str | os.PathLike) -> np.ndarray:
    """Load a ``.npy`` file; pickled object arrays are refused."""
    p = Path(path)
    if not p.exists():
        raise NtkjaxInputError(f"file {str(p)!r} does not exist")
    try:
        return np.load(p, allow_pickle=False)
    except ValueError as exc:  # object arrays need pickle
        raise NtkjaxInputError(f"{str(p)!r} is not a plain numeric .npy file ({exc})") from exc
    except OSError as exc:
        raise NtkjaxInputError(f"cannot read {str(p)!r} as .npy: {exc}") from exc


def load_matrix(path: str | os.PathLike, *, what: str = "matrix") -> np.ndarray:
    """Load a 2-D float matrix from ``.csv`` (empty cell or NaN = missing) or ``.npy``.

    Raises :class:`NtkjaxInputError` naming the row/column of a non-numeric cell.
    """
    p = Path(path)
    if not p.exists():
        raise NtkjaxInputError(f"{what} file {str(p)!r} does not exist")
    suffix = p.suffix.lower()
    if suffix == ".npy":
        arr = load_npy(p)
    elif suffix in (".csv", ".txt", ".tsv"):
        arr = _load_csv(p, what=what, delimiter="\t" if suffix == ".tsv" else ",")
    else:
        raise NtkjaxInputError(f"{what} file {str(p)!r}: unsupported extension {suffix!r}; use .csv or .npy")
    if arr.size == 0:
        raise NtkjaxInputError(f"{what} file {str(p)!r} is empty")
    if arr.ndim == 1:
        arr = arr[None, :]
    if arr.ndim != 2:
        raise NtkjaxInputError(f"{what} file {str(p)!r} must hold a 2-D matrix, got shape {arr.shape}")
    if not np.issubdtype(arr.dtype, np.number):
        raise NtkjaxInputError(f"{what} file {str(p)!r} must be numeric, got dtype {arr.dtype}")
    return arr.astype(np.float64)


def _load_csv(p: Path, *, what: str, delimiter: str) -> np.ndarray:
    text = p.read_text()
    rows = [line for line in text.splitlines() if line.strip()]
    if not rows:
        raise NtkjaxInputError(f"{what} file {str(p)!r} is empty")
    out: list[list[float]] = []
    for r, line in enumerate(rows, start=1):
        vals = []
        for c, cell in enumerate(line.split(delimiter), start=1):
            cell = cell.strip()
            if cell == "" or cell.lower() in ("nan", "na", "?"):
                vals.append(np.nan)
                continue
            try:
                vals.append(float(cell))
            except ValueError:
                raise NtkjaxInputError(
                    f"{what} file {str(p)!r}: cell at row {r}, column {c} is {cell!r}, not a number "
                    "(leave missing entries empty or write NaN)"
                ) from None
        out.append(vals)
    widths = {len(v) for v in out}
    if len(widths) != 1:
        raise NtkjaxInputError(f"{what} file {str(p)!r}: rows have different numbers of columns {sorted(widths)}")
    return np.array(out, dtype=np.float64)


def save_matrix(path: str | os.PathLike, matrix: Any) -> None:
    """Write a 2-D matrix atomically; the extension (.csv or .npy) picks the format."""
    p = Path(path)
    arr = np.asarray(matrix, dtype=np.float64)
    suffix = p.suffix.lower()
    if suffix == ".npy":
        save_npy(p, arr)
    elif suffix == ".csv":
        with atomic_path(p) as tmp:
            np.savetxt(tmp, np.atleast_2d(arr), delimiter=",", fmt="%.10g")
    else:
        raise NtkjaxInputError(f"output {str(p)!r}: unsupported extension {suffix!r}; use .csv or .npy")
