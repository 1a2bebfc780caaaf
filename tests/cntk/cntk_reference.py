"""A brute-force CNTK restated from the definitions, with explicit loops over pixel pairs.

Shares no code with ntkjax: plain Python/NumPy float64, dictionaries of pixel pairs, the
arc-cosine expectations written out for LeakyReLU = relu(u) - a relu(-u), and the
align-corners bilinear weights computed from the source coordinate. Only for tiny images.
"""

from __future__ import annotations

import itertools
import math

import numpy as np


def _relu_moment(rho: float) -> float:
    """E[relu(u) relu(v)] for unit Gaussians with correlation rho (Cho & Saul)."""
    rho = min(1.0, max(-1.0, rho))
    th = math.acos(rho)
    return (math.sin(th) + (math.pi - th) * rho) / (2 * math.pi)


def leaky_expectations(slope: float, rho: float) -> tuple[float, float]:
    """c^2 E[phi phi] and c^2 E[phi' phi'] for phi(u) = relu(u) - slope relu(-u)."""
    c2 = 2.0 / (1.0 + slope * slope)
    # phi(u) phi(v) = r(u)r(v) - a r(u)r(-v) - a r(-u)r(v) + a^2 r(-u)r(-v)
    e = _relu_moment(rho) + slope**2 * _relu_moment(rho) - 2 * slope * _relu_moment(-rho)
    th = math.acos(min(1.0, max(-1.0, rho)))
    p_same = (math.pi - th) / (2 * math.pi)  # P(u > 0, v > 0) = P(u < 0, v < 0)
    p_diff = th / (2 * math.pi)  # P(u > 0, v < 0) = P(u < 0, v > 0)
    d = p_same * (1 + slope**2) + 2 * slope * p_diff
    return c2 * e, c2 * d


def _pixels(H, W):
    return list(itertools.product(range(H), range(W)))


def _bilinear_weights(n_in: int, i: int) -> dict[int, float]:
    n_out = 2 * n_in
    src = i * (n_in - 1) / (n_out - 1)
    lo = min(int(math.floor(src)), n_in - 2)
    f = src - lo
    return {lo: 1 - f, lo + 1: f}


def brute_force_cntk(layers: list[dict], Sigma0: np.ndarray) -> np.ndarray:
    """NTK of the network's output for input covariance Sigma0 (H, W, H, W)."""
    H, W = Sigma0.shape[:2]
    S = {(x, y): float(Sigma0[x + y]) for x in _pixels(H, W) for y in _pixels(H, W)}
    K = {key: 0.0 for key in S}
    for spec in layers:
        name = spec["layer"]
        if name == "conv":
            q, stride = spec.get("size", 3), spec.get("stride", 1)
            r = q // 2
            newS, newK = {}, {}
            for x in _pixels(H, W):
                for y in _pixels(H, W):
                    s = k = 0.0
                    for a in range(-r, r + 1):
                        for b in range(-r, r + 1):
                            xs = ((x[0] + a) % H, (x[1] + b) % W)
                            ys = ((y[0] + a) % H, (y[1] + b) % W)
                            s += S[xs, ys]
                            k += K[xs, ys] + S[xs, ys]
                    newS[x, y], newK[x, y] = s / q**2, k / q**2
            S, K = newS, newK
            if stride == 2:
                S, K, H, W = _down(S, K, H, W)
        elif name in ("relu", "leaky_relu", "linear"):
            slope = {"relu": 0.0, "linear": 1.0}.get(name, spec.get("slope"))
            newS, newK = {}, {}
            for (x, y), s in S.items():
                n = math.sqrt(S[x, x] * S[y, y])
                rho = s / n if n > 0 else 0.0
                e, d = leaky_expectations(slope, rho)
                newS[x, y], newK[x, y] = n * e, K[x, y] * d
            S, K = newS, newK
        elif name == "downsample":
            S, K, H, W = _down(S, K, H, W)
        elif name == "upsample":
            H2, W2 = 2 * H, 2 * W
            if spec.get("mode", "nearest") == "nearest":
                src = {x: [((x[0] // 2, x[1] // 2), 1.0)] for x in _pixels(H2, W2)}
            else:
                src = {}
                for x in _pixels(H2, W2):
                    wi, wj = _bilinear_weights(H, x[0]), _bilinear_weights(W, x[1])
                    src[x] = [((a, b), wa * wb) for a, wa in wi.items() for b, wb in wj.items()]
            newS, newK = {}, {}
            for x in _pixels(H2, W2):
                for y in _pixels(H2, W2):
                    newS[x, y] = sum(wa * wb * S[a, b] for a, wa in src[x] for b, wb in src[y])
                    newK[x, y] = sum(wa * wb * K[a, b] for a, wa in src[x] for b, wb in src[y])
            S, K, H, W = newS, newK, H2, W2
        else:
            raise ValueError(name)
    out = np.zeros((H, W, H, W))
    for (x, y), k in K.items():
        out[x + y] = k
    return out


def _down(S, K, H, W):
    keep = lambda x: x[0] % 2 == 0 and x[1] % 2 == 0
    half = lambda x: (x[0] // 2, x[1] // 2)
    S2 = {(half(x), half(y)): v for (x, y), v in S.items() if keep(x) and keep(y)}
    K2 = {(half(x), half(y)): v for (x, y), v in K.items() if keep(x) and keep(y)}
    return S2, K2, H // 2, W // 2


def sigma0_iid(H: int, W: int, c1: float = 1 / 3, c2: float = 0.25) -> np.ndarray:
    S = np.full((H * W, H * W), c2)
    np.fill_diagonal(S, c1)
    return S.reshape(H, W, H, W)


def sigma0_finite(Z: np.ndarray) -> np.ndarray:
    C, H, W = Z.shape
    out = np.zeros((H, W, H, W))
    for x in _pixels(H, W):
        for y in _pixels(H, W):
            out[x + y] = sum(Z[c][x] * Z[c][y] for c in range(C)) / C
    return out
