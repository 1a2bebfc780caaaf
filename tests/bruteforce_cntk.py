"""Brute-force CNTK/NNGP of tiny circular encoder-decoder nets, from the layer rules alone.

An oracle for the expansion theorem that shares no code with ``ntkjax``: the kernel is an
explicit (HW x HW) matrix pushed through the infinite-width layer rules of Appendices K-L
(conv averages the kernel over a common shift, ReLU applies the arc-cosine dual, stride-2
downsampling keeps even pixels, nearest upsampling reads pixel i // 2), with the NTK recursion
Theta' = Sigma' + Theta * Sigma_dot'. Only for tiny images (HW <= ~600).
"""

from __future__ import annotations

import numpy as np


def _relu_dual(S):
    d = np.sqrt(np.diag(S))
    nrm = np.outer(d, d)
    rho = np.clip(S / nrm, -1.0, 1.0)
    th = np.arccos(rho)
    val = nrm * (np.sin(th) + (np.pi - th) * rho) / np.pi
    dot = (np.pi - th) / np.pi
    return val, dot


def _conv(S, H, W, q):
    r = q // 2
    idx = np.arange(H * W).reshape(H, W)
    out = np.zeros_like(S)
    for a in range(-r, r + 1):
        for b in range(-r, r + 1):
            sh = np.roll(np.roll(idx, -a, 0), -b, 1).ravel()  # pixel x + (a, b)
            out += S[np.ix_(sh, sh)]
    return out / q**2


def _down(S, H, W):
    idx = np.arange(H * W).reshape(H, W)[::2, ::2].ravel()
    return S[np.ix_(idx, idx)], H // 2, W // 2


def _up(S, H, W, mode="nearest"):
    H2, W2 = 2 * H, 2 * W
    if mode == "nearest":
        ii, jj = np.meshgrid(np.arange(H2) // 2, np.arange(W2) // 2, indexing="ij")
        src = (ii * W + jj).ravel()
        return S[np.ix_(src, src)], H2, W2
    # bilinear, align corners: output i samples input coordinate i * (H - 1) / (H2 - 1)
    def mat(n, n2):
        A = np.zeros((n2, n))
        for i in range(n2):
            c = i * (n - 1) / (n2 - 1) if n2 > 1 else 0.0
            lo = int(np.floor(c))
            hi = min(lo + 1, n - 1)
            t = c - lo
            A[i, lo] += 1 - t
            A[i, hi] += t
        return A

    A = np.kron(mat(H, H2), mat(W, W2))
    return A @ S @ A.T, H2, W2


def ntk(H, W, s, *, q=3, convs_per_level=1, C1=1.0, C2=0.25, up="nearest"):
    """NTK (HW x HW) of: [conv, relu, down] * s, conv, relu, [up, conv, relu] * s, conv (linear readout)."""
    n = H * W
    Sig = C2 * np.ones((n, n)) + (C1 - C2) * np.eye(n)
    Th = np.zeros_like(Sig)
    h, w = H, W

    def conv_relu(Sig, Th, h, w):
        for _ in range(convs_per_level):
            pre = _conv(Sig, h, w, q)
            tpre = _conv(Th, h, w, q) + pre
            Sig, dot = _relu_dual(pre)
            Th = tpre * dot
        return Sig, Th

    for _ in range(s):
        Sig, Th = conv_relu(Sig, Th, h, w)
        Sig, _, _ = _down(Sig, h, w)
        Th, h, w = _down(Th, h, w)
    Sig, Th = conv_relu(Sig, Th, h, w)
    for _ in range(s):
        Sig, _, _ = _up(Sig, h, w, up)
        Th, h, w = _up(Th, h, w, up)
        Sig, Th = conv_relu(Sig, Th, h, w)
    pre = _conv(Sig, h, w, q)
    return (_conv(Th, h, w, q) + pre).reshape(H, W, H, W)
