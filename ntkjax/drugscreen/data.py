"""CMap "large" tensor: loading, saving and the Appendix C filtering.

The real file (``large.mat`` from Hodos et al. 2018, layout in
``../shared/data/cmap/FORMAT.md``) is a MATLAB file with

- ``T``: doubles, drugs x genes x cells (2130 x 978 x 71); NaN = unobserved. A (drug, cell)
  978-vector is either fully observed (a unit-norm signature) or fully NaN.
- ``pertIds``, ``geneIds``, ``cellIds``: cell arrays of char (one id per axis entry).

Both MATLAB v5 (``scipy.io.loadmat``) and v7.3 (HDF5, read with ``h5py``; MATLAB stores the
array dimensions reversed there) are read. A partly-NaN profile is an error by default
(``on_partial="drop"`` drops such profiles and reports them).

In memory the tensor is kept *compact*, one row per observed profile (15,855 x 978 instead
of 2130 x 978 x 71): :class:`CMapData`. The same arrays form the documented ``.npz`` layout:

===============  ==========================  ==========================================
key              dtype / shape               meaning
===============  ==========================  ==========================================
``profiles``     float64 (n_obs, n_genes)    one observed signature per row
``drug_index``   int64 (n_obs,)              row's drug, index into ``pert_ids``
``cell_index``   int64 (n_obs,)              row's cell type, index into ``cell_ids``
``pert_ids``     unicode (n_drugs,)          drug ids (LINCS pert ids)
``gene_ids``     unicode (n_genes,)          gene ids (Entrez ids as strings)
``cell_ids``     unicode (n_cells,)          cell type ids (e.g. ``MCF7``)
===============  ==========================  ==========================================

It is read with ``allow_pickle=False``; every (drug, cell) pair appears at most once.

Filtering (Appendix C): cell types with fewer than ``min_drugs`` (10) observed drugs are
dropped (on the real tensor: SNU1040, HEK293T, HS27A), since 10-fold CV needs one test drug
per fold; :func:`filter_cells` returns what it dropped so the report can list it.
"""

from __future__ import annotations

import dataclasses
import datetime
import os
from pathlib import Path
from typing import Sequence

import numpy as np

from ntkjax.errors import NtkjaxInputError
from ntkjax.io import atomic_path
from ntkjax.memory import check_fits

__all__ = [
    "CMapData",
    "from_tensor",
    "load_cmap",
    "save_npz",
    "save_mat",
    "filter_cells",
]


@dataclasses.dataclass(frozen=True)
class CMapData:
    """Observed profiles of a drugs x genes x cells tensor, one row per (drug, cell) pair."""

    profiles: np.ndarray
    drug: np.ndarray
    cell: np.ndarray
    pert_ids: tuple[str, ...]
    gene_ids: tuple[str, ...]
    cell_ids: tuple[str, ...]

    def __post_init__(self):
        n, g = np.shape(self.profiles) if np.ndim(self.profiles) == 2 else (None, None)
        if n is None:
            raise NtkjaxInputError(f"profiles must be 2-D (n_obs x n_genes), got shape {np.shape(self.profiles)}")
        if g != len(self.gene_ids):
            raise NtkjaxInputError(f"profiles have {g} genes but there are {len(self.gene_ids)} gene ids")
        for name, idx, ids in (("drug", self.drug, self.pert_ids), ("cell", self.cell, self.cell_ids)):
            if np.shape(idx) != (n,):
                raise NtkjaxInputError(f"{name} index must have shape ({n},), got {np.shape(idx)}")
            if n and (np.min(idx) < 0 or np.max(idx) >= len(ids)):
                raise NtkjaxInputError(f"{name} index out of range [0, {len(ids)})")
        pair = np.asarray(self.drug, dtype=np.int64) * max(len(self.cell_ids), 1) + np.asarray(self.cell)
        if np.unique(pair).size != n:
            raise NtkjaxInputError("a (drug, cell) pair appears more than once; each profile must be unique")

    @property
    def n_obs(self) -> int:
        return int(self.profiles.shape[0])

    @property
    def n_genes(self) -> int:
        return len(self.gene_ids)

    @property
    def n_drugs(self) -> int:
        return len(self.pert_ids)

    @property
    def n_cells(self) -> int:
        return len(self.cell_ids)

    def cell_counts(self) -> np.ndarray:
        """Number of observed drugs per cell type (length n_cells)."""
        return np.bincount(self.cell, minlength=self.n_cells)

    def cell_index(self, name: str) -> int:
        try:
            return self.cell_ids.index(name)
        except ValueError:
            raise NtkjaxInputError(
                f"cell type {name!r} is not in the data (cells: {', '.join(self.cell_ids[:12])}"
                f"{', ...' if self.n_cells > 12 else ''})"
            ) from None

    def to_tensor(self, dtype=np.float64) -> np.ndarray:
        """The dense drugs x genes x cells tensor with NaN for unobserved profiles."""
        size = self.n_drugs * self.n_genes * self.n_cells * np.dtype(dtype).itemsize
        check_fits(size, what="the dense CMap tensor", hint="write the compact .npz layout instead")
        T = np.full((self.n_drugs, self.n_genes, self.n_cells), np.nan, dtype=dtype)
        T[self.drug, :, self.cell] = self.profiles
        return T


def _as_ids(values, what: str) -> tuple[str, ...]:
    arr = np.asarray(values)
    if arr.dtype.kind in "US":
        if arr.ndim == 2:  # a MATLAB char matrix: one id per row
            return tuple("".join(row).strip() for row in arr.astype(str))
        return tuple(str(v).strip() for v in arr.ravel())
    out = []
    for elt in arr.ravel():
        e = np.asarray(elt)
        if e.dtype.kind in "US":
            out.append("".join(e.ravel().astype(str)).strip())
        elif e.size == 0:
            out.append("")
        else:
            raise NtkjaxInputError(f"{what} must hold strings, found an element of type {e.dtype}")
    return tuple(out)


def from_tensor(
    T,
    pert_ids: Sequence[str],
    gene_ids: Sequence[str],
    cell_ids: Sequence[str],
    *,
    on_partial: str = "error",
    source: str = "tensor",
) -> tuple[CMapData, list[tuple[str, str]]]:
    """Compact a drugs x genes x cells tensor (NaN = unobserved) into :class:`CMapData`.

    Returns the data and the list of (drug, cell) profiles dropped because they were only
    partly observed (empty unless ``on_partial == "drop"``; ``"error"`` raises instead).
    """
    if on_partial not in ("error", "drop"):
        raise NtkjaxInputError(f"on_partial must be 'error' or 'drop', got {on_partial!r}")
    T = np.asarray(T)
    if T.ndim != 3:
        raise NtkjaxInputError(f"{source}: T must be 3-D (drugs x genes x cells), got shape {T.shape}")
    if not np.issubdtype(T.dtype, np.floating):
        raise NtkjaxInputError(f"{source}: T must hold floating point numbers, got dtype {T.dtype}")
    want = (len(pert_ids), len(gene_ids), len(cell_ids))
    if T.shape != want:
        raise NtkjaxInputError(
            f"{source}: T has shape {T.shape} but the ids give drugs x genes x cells = {want} "
            "(pertIds, geneIds, cellIds must match T's three dimensions)"
        )
    if np.isinf(T).any():
        raise NtkjaxInputError(f"{source}: T contains infinite values; only NaN marks unobserved profiles")
    n_nan = np.isnan(T).sum(axis=1)  # (drugs, cells): NaN genes per profile
    partial = (n_nan > 0) & (n_nan < T.shape[1])
    dropped: list[tuple[str, str]] = []
    if partial.any():
        dd, cc = np.nonzero(partial)
        pairs = [(pert_ids[d], cell_ids[c]) for d, c in zip(dd, cc)]
        if on_partial == "error":
            raise NtkjaxInputError(
                f"{source}: {len(pairs)} profile(s) are only partly observed (some genes NaN), e.g. "
                f"drug {pairs[0][0]!r} in cell {pairs[0][1]!r} has {n_nan[dd[0], cc[0]]} NaN genes; "
                "a profile must be fully observed or fully NaN (pass on_partial='drop' / --drop-partial "
                "to skip such profiles)"
            )
        dropped = pairs
    d_idx, c_idx = np.nonzero(n_nan == 0)
    profiles = np.ascontiguousarray(T[d_idx, :, c_idx], dtype=np.float64)
    data = CMapData(
        profiles=profiles,
        drug=d_idx.astype(np.int64),
        cell=c_idx.astype(np.int64),
        pert_ids=tuple(pert_ids),
        gene_ids=tuple(gene_ids),
        cell_ids=tuple(cell_ids),
    )
    return data, dropped


_MAT_KEYS = ("T", "pertIds", "geneIds", "cellIds")


def _check_keys(keys, path) -> None:
    missing = [k for k in _MAT_KEYS if k not in keys]
    if missing:
        raise NtkjaxInputError(
            f"{path}: not the CMap layout; missing variable(s) {', '.join(missing)} "
            f"(expected T (drugs x genes x cells), pertIds, geneIds, cellIds; found {', '.join(sorted(keys)) or 'none'})"
        )


def _load_mat_v5(path: Path):
    import scipy.io

    try:
        m = scipy.io.loadmat(str(path))
    except Exception as exc:  # scipy raises several types for corrupt files
        raise NtkjaxInputError(f"{path}: cannot read as a MATLAB file ({exc})") from exc
    _check_keys([k for k in m if not k.startswith("__")], path)
    return (
        m["T"],
        _as_ids(m["pertIds"], "pertIds"),
        _as_ids(m["geneIds"], "geneIds"),
        _as_ids(m["cellIds"], "cellIds"),
    )


def _h5_ids(f, ds, what: str) -> tuple[str, ...]:
    import h5py

    arr = ds[()]
    if arr.dtype == h5py.ref_dtype or arr.dtype.kind == "O":
        out = []
        for ref in np.asarray(arr).ravel():
            chars = np.asarray(f[ref][()]).ravel()
            out.append("".join(chr(int(c)) for c in chars if int(c) != 0))
        return tuple(out)
    if arr.dtype.kind in "ui":  # a char matrix stored directly (HDF5 order: columns = ids)
        arr = np.atleast_2d(arr)
        return tuple("".join(chr(int(c)) for c in col if int(c) != 0).strip() for col in arr.T)
    raise NtkjaxInputError(f"{what} in a v7.3 file must be a cell array of strings")


def _load_mat_v73(path: Path):
    import h5py

    with h5py.File(path, "r") as f:
        _check_keys(list(f.keys()), path)
        ids = [_h5_ids(f, f[k], k) for k in ("pertIds", "geneIds", "cellIds")]
        T = f["T"][()]
    # MATLAB writes column-major arrays: HDF5 sees dims reversed (cells x genes x drugs).
    if T.ndim == 3:
        T = np.transpose(T, (2, 1, 0))
    return (T, *ids)


def _load_npz(path: Path) -> CMapData:
    try:
        z = np.load(path, allow_pickle=False)
    except ValueError as exc:
        raise NtkjaxInputError(f"{path}: not a plain .npz ({exc})") from exc
    with z:
        need = ("profiles", "drug_index", "cell_index", "pert_ids", "gene_ids", "cell_ids")
        missing = [k for k in need if k not in z.files]
        if missing:
            raise NtkjaxInputError(f"{path}: .npz lacks {', '.join(missing)} (see ntkjax.drugscreen.data for the layout)")
        try:
            prof = np.asarray(z["profiles"], dtype=np.float64)
            arrays = {k: z[k] for k in need[1:]}
        except ValueError as exc:
            raise NtkjaxInputError(f"{path}: .npz holds object arrays; store ids as unicode arrays ({exc})") from exc
    if not np.all(np.isfinite(prof)):
        raise NtkjaxInputError(f"{path}: profiles contain NaN or infinite values; store only observed profiles")
    return CMapData(
        profiles=prof,
        drug=np.asarray(arrays["drug_index"], dtype=np.int64),
        cell=np.asarray(arrays["cell_index"], dtype=np.int64),
        pert_ids=_as_ids(arrays["pert_ids"], "pert_ids"),
        gene_ids=_as_ids(arrays["gene_ids"], "gene_ids"),
        cell_ids=_as_ids(arrays["cell_ids"], "cell_ids"),
    )


def load_cmap(path: str | os.PathLike, *, on_partial: str = "error") -> tuple[CMapData, list[tuple[str, str]]]:
    """Load a CMap tensor from ``.mat`` (v5 or v7.3) or the ``.npz`` layout.

    Returns ``(data, dropped_partial_profiles)``.
    """
    p = Path(path)
    if not p.exists():
        raise NtkjaxInputError(f"data file {str(p)!r} does not exist")
    if p.suffix.lower() == ".npz":
        return _load_npz(p), []
    import h5py

    if h5py.is_hdf5(str(p)):
        T, pert, gene, cell = _load_mat_v73(p)
    else:
        T, pert, gene, cell = _load_mat_v5(p)
    return from_tensor(T, pert, gene, cell, on_partial=on_partial, source=str(p))


def save_npz(path: str | os.PathLike, data: CMapData) -> None:
    """Write the compact ``.npz`` layout atomically."""
    with atomic_path(path) as tmp:
        with open(tmp, "wb") as fh:
            np.savez_compressed(
                fh,
                profiles=data.profiles,
                drug_index=data.drug,
                cell_index=data.cell,
                pert_ids=np.array(data.pert_ids, dtype=str),
                gene_ids=np.array(data.gene_ids, dtype=str),
                cell_ids=np.array(data.cell_ids, dtype=str),
            )


def _cellstr(ids: Sequence[str]) -> np.ndarray:
    out = np.empty((len(ids), 1), dtype=object)
    for i, s in enumerate(ids):
        out[i, 0] = str(s)
    return out


def save_mat(path: str | os.PathLike, data: CMapData, *, version: str = "5") -> None:
    """Write the real ``large.mat`` layout (T drugs x genes x cells with NaN, id cell arrays).

    ``version="5"`` uses ``scipy.io.savemat`` (compressed); ``"7.3"`` writes MATLAB's HDF5
    layout with ``h5py`` (dims reversed, ids as cell arrays of uint16 chars).
    """
    if version not in ("5", "7.3"):
        raise NtkjaxInputError(f"MATLAB version must be '5' or '7.3', got {version!r}")
    T = data.to_tensor()
    with atomic_path(path) as tmp:
        if version == "5":
            import scipy.io

            scipy.io.savemat(
                str(tmp),
                {"T": T, "pertIds": _cellstr(data.pert_ids), "geneIds": _cellstr(data.gene_ids),
                 "cellIds": _cellstr(data.cell_ids)},
                do_compression=True,
                oned_as="column",
            )
        else:
            _write_mat73(tmp, T, data)


def _write_mat73(path: Path, T: np.ndarray, data: CMapData) -> None:
    import h5py

    with h5py.File(path, "w", userblock_size=512) as f:
        refs = f.create_group("#refs#")
        ds = f.create_dataset("T", data=np.transpose(T, (2, 1, 0)), compression="gzip", compression_opts=1)
        ds.attrs["MATLAB_class"] = np.bytes_("double")
        counter = 0
        for key, ids in (("pertIds", data.pert_ids), ("geneIds", data.gene_ids), ("cellIds", data.cell_ids)):
            ref_arr = np.empty((1, len(ids)), dtype=h5py.ref_dtype)
            for i, s in enumerate(ids):
                chars = np.array([ord(ch) for ch in s], dtype=np.uint16).reshape(-1, 1)
                cds = refs.create_dataset(f"r{counter}", data=chars)
                counter += 1
                cds.attrs["MATLAB_class"] = np.bytes_("char")
                cds.attrs["MATLAB_int_decode"] = np.int32(2)
                ref_arr[0, i] = cds.ref
            cell = f.create_dataset(key, data=ref_arr)
            cell.attrs["MATLAB_class"] = np.bytes_("cell")
    header = (
        f"MATLAB 7.3 MAT-file, Platform: GLNXA64, Created on: "
        f"{datetime.datetime.now():%a %b %d %H:%M:%S %Y} HDF5 schema 1.00 ."
    ).encode()
    block = header.ljust(116, b" ") + b"\x00" * 8 + b"\x00\x02" + b"IM"
    with open(path, "r+b") as fh:
        fh.write(block.ljust(512, b"\x00"))


def filter_cells(data: CMapData, *, min_drugs: int = 10) -> tuple[CMapData, list[tuple[str, int]]]:
    """Drop cell types with fewer than ``min_drugs`` observed drugs (Appendix C).

    Returns the filtered data (cell axis re-indexed) and the dropped ``(cell_id, count)`` pairs.
    """
    counts = data.cell_counts()
    keep = counts >= min_drugs
    dropped = [(data.cell_ids[c], int(counts[c])) for c in np.flatnonzero(~keep)]
    if not dropped:
        return data, []
    new_index = np.cumsum(keep) - 1
    rows = keep[data.cell]
    out = CMapData(
        profiles=data.profiles[rows],
        drug=data.drug[rows],
        cell=new_index[data.cell[rows]],
        pert_ids=data.pert_ids,
        gene_ids=data.gene_ids,
        cell_ids=tuple(c for c, k in zip(data.cell_ids, keep) if k),
    )
    return out, dropped
