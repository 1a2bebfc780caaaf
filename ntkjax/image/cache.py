"""On-disk cache of base CNTKs, keyed by what determines them, verified on every load.

A kernel depends only on the architecture, the feature prior, the size and the dtype -- never on
the image (Section 4: "the CNTK need only be computed once for all images of a given
resolution"). Each entry is two files in the cache folder:

* ``KEY.npy`` -- the kernel, a plain ``.npy`` (loaded with ``allow_pickle=False``, never a pickle);
* ``KEY.json`` -- the sidecar: the key's ingredients, shape, dtype and the SHA-256 of the ``.npy``.

``KEY`` is the SHA-256 (first 24 hex digits) of the canonical JSON of architecture + prior +
size + dtype + form + a format version. On load the sidecar must match the request and the file's
hash must match the sidecar; a missing, truncated or corrupted entry is reported with a note and
rebuilt (then rewritten atomically). Finite priors (identity, meshgrid, arrays) enter the key
through a hash of their values.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import time
from pathlib import Path
from typing import Any, Callable

import numpy as np

from ntkjax.errors import NtkjaxInputError
from ntkjax.io import atomic_path, save_json

__all__ = ["KernelCache", "cache_key", "describe_prior"]

FORMAT_VERSION = 1


def describe_prior(prior) -> dict[str, Any]:
    """JSON description of a prior; a finite prior adds the SHA-256 of its values."""
    d = dict(prior.describe())
    Z = getattr(prior, "Z", None)
    if Z is not None:
        d["sha256"] = hashlib.sha256(np.ascontiguousarray(Z, dtype=np.float64).tobytes()).hexdigest()
        d.pop("prior", None) if str(d.get("prior", "")).endswith(".npy") else None
    return d


def _ingredients(arch, prior, size, dtype, form) -> dict[str, Any]:
    return {
        "format": FORMAT_VERSION,
        "architecture": arch.to_json(),
        "prior": describe_prior(prior),
        "size": [int(size[0]), int(size[1])],
        "dtype": np.dtype(dtype).name,
        "form": form,
    }


def cache_key(arch, prior, size, dtype, form: str = "full") -> str:
    """Hex key of a kernel: SHA-256 of its canonical JSON ingredients (24 hex digits)."""
    text = json.dumps(_ingredients(arch, prior, size, dtype, form), sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()[:24]


def _file_sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 22), b""):
            h.update(chunk)
    return h.hexdigest()


@dataclasses.dataclass
class KernelCache:
    """A cache folder (created if missing). ``notes`` collects what happened (hit, miss, rebuilt)."""

    folder: Path
    notes: list[str] = dataclasses.field(default_factory=list)

    def __post_init__(self):
        self.folder = Path(self.folder)
        if self.folder.exists() and not self.folder.is_dir():
            raise NtkjaxInputError(f"kernel cache {str(self.folder)!r} is a file; give a folder")
        if not self.folder.exists():
            if not self.folder.parent.exists():
                raise NtkjaxInputError(
                    f"kernel cache folder {str(self.folder)!r} cannot be created: its parent does not exist"
                )
            self.folder.mkdir()

    def paths(self, key: str) -> tuple[Path, Path]:
        return self.folder / f"{key}.npy", self.folder / f"{key}.json"

    def load(self, arch, prior, size, dtype, form: str = "full") -> np.ndarray | None:
        """The cached kernel, or None when absent or invalid (the reason goes to ``notes``)."""
        key = cache_key(arch, prior, size, dtype, form)
        npy, side = self.paths(key)
        if not npy.exists() and not side.exists():
            self.notes.append(f"kernel cache miss ({key})")
            return None
        why = self._verify(npy, side, _ingredients(arch, prior, size, dtype, form))
        if why is None:
            try:
                arr = np.load(npy, allow_pickle=False)
            except Exception as exc:  # noqa: BLE001 -- any unreadable file is "corrupted"
                why = f"unreadable ({type(exc).__name__})"
            else:
                meta = json.loads(side.read_text())
                if list(arr.shape) != meta["shape"] or arr.dtype.name != meta["dtype"] or not np.all(np.isfinite(arr)):
                    why = "shape, dtype or values do not match the sidecar"
                else:
                    self.notes.append(f"kernel cache hit ({key})")
                    return arr
        self.notes.append(f"kernel cache entry {key} is corrupted ({why}); rebuilding it")
        return None

    @staticmethod
    def _verify(npy: Path, side: Path, want: dict[str, Any]) -> str | None:
        if not npy.exists() or not side.exists():
            return "one of the .npy / .json files is missing"
        try:
            meta = json.loads(side.read_text())
        except (json.JSONDecodeError, UnicodeDecodeError, OSError):
            return "unreadable sidecar"
        if not isinstance(meta, dict) or meta.get("key") != want:
            return "sidecar does not describe this kernel"
        if meta.get("sha256") != _file_sha256(npy):
            return "checksum mismatch"
        return None

    def store(self, kernel: np.ndarray, arch, prior, size, dtype, form: str = "full", seconds: float = 0.0) -> None:
        """Write ``KEY.npy`` then ``KEY.json`` atomically (the sidecar last: it validates the pair)."""
        ingredients = _ingredients(arch, prior, size, dtype, form)
        key = cache_key(arch, prior, size, dtype, form)
        npy, side = self.paths(key)
        arr = np.ascontiguousarray(kernel)
        with atomic_path(npy) as tmp:
            with open(tmp, "wb") as fh:
                np.save(fh, arr, allow_pickle=False)
            digest = _file_sha256(tmp)
        save_json(side, {"key": ingredients, "sha256": digest, "shape": list(arr.shape), "dtype": arr.dtype.name,
                         "seconds": round(float(seconds), 3), "created": time.strftime("%Y-%m-%dT%H:%M:%S")})
        self.notes.append(f"kernel cached as {npy.name}")

    def get_or_compute(self, arch, prior, size, dtype, form: str, compute: Callable[[], np.ndarray]) -> np.ndarray:
        """Load the kernel, or compute and store it."""
        arr = self.load(arch, prior, size, dtype, form)
        if arr is not None:
            return arr
        t = time.perf_counter()
        arr = np.asarray(compute())
        self.store(arr, arch, prior, size, dtype, form, time.perf_counter() - t)
        return arr
