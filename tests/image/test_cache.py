import json

import numpy as np
import pytest

from ntkjax.cntk import presets, priors
from ntkjax.errors import NtkjaxInputError
from ntkjax.image.cache import KernelCache, cache_key


def _compute():
    return np.arange(24, dtype=np.float32).reshape(2, 3, 4)


def test_key_depends_on_every_ingredient():
    a, b = presets.get("autoencoder-2"), presets.get("autoencoder-3")
    k = cache_key(a, priors.iid(), (8, 8), "float32")
    assert k == cache_key(presets.get("autoencoder-2"), priors.iid(), (8, 8), "float32")
    assert len({k, cache_key(b, priors.iid(), (8, 8), "float32"), cache_key(a, priors.iid(0.5, 0.2), (8, 8), "float32"),
                cache_key(a, priors.iid(), (16, 8), "float32"), cache_key(a, priors.iid(), (8, 8), "float64"),
                cache_key(a, priors.identity(8), (8, 8), "float32")}) == 6


def test_store_load_and_corruption_rebuilt(tmp_path):
    arch, prior = presets.get("autoencoder-2"), priors.iid()
    cache = KernelCache(tmp_path / "c")
    calls = []

    def compute():
        calls.append(1)
        return _compute()

    a = cache.get_or_compute(arch, prior, (8, 8), "float32", "compact", compute)
    b = cache.get_or_compute(arch, prior, (8, 8), "float32", "compact", compute)
    assert len(calls) == 1 and np.array_equal(a, b) and "hit" in cache.notes[-1]
    npy, side = cache.paths(cache_key(arch, prior, (8, 8), "float32", "compact"))
    assert json.loads(side.read_text())["shape"] == [2, 3, 4]
    # corrupt one byte of the data: the checksum catches it, the entry is rebuilt
    raw = bytearray(npy.read_bytes())
    raw[-1] ^= 0xFF
    npy.write_bytes(bytes(raw))
    c = cache.get_or_compute(arch, prior, (8, 8), "float32", "compact", compute)
    assert len(calls) == 2 and np.array_equal(c, a)
    assert any("corrupted" in n for n in cache.notes)
    # a truncated file too
    npy.write_bytes(npy.read_bytes()[:50])
    cache.get_or_compute(arch, prior, (8, 8), "float32", "compact", compute)
    assert len(calls) == 3
    # and a sidecar describing another kernel
    meta = json.loads(side.read_text())
    meta["key"]["size"] = [16, 16]
    side.write_text(json.dumps(meta))
    assert cache.load(arch, prior, (8, 8), "float32", "compact") is None


def test_pickled_file_never_loaded(tmp_path):
    arch, prior = presets.get("autoencoder-2"), priors.iid()
    cache = KernelCache(tmp_path)
    cache.store(_compute(), arch, prior, (8, 8), "float32", "compact")
    npy, side = cache.paths(cache_key(arch, prior, (8, 8), "float32", "compact"))
    np.save(npy, np.array([{"x": 1}], dtype=object), allow_pickle=True)
    assert cache.load(arch, prior, (8, 8), "float32", "compact") is None  # checksum mismatch, not unpickled


def test_cache_folder_errors(tmp_path):
    (tmp_path / "f").write_text("x")
    with pytest.raises(NtkjaxInputError, match="is a file"):
        KernelCache(tmp_path / "f")
    with pytest.raises(NtkjaxInputError, match="parent does not exist"):
        KernelCache(tmp_path / "no" / "such")
