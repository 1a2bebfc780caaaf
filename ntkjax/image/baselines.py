"""Baselines of Section 5: biharmonic inpainting and the finite network (Appendix N).

* :func:`biharmonic` -- ``skimage.restoration.inpaint_biharmonic`` (Damelin & Hoang), the
  scikit-image default the paper compares against.
* :func:`train_finite` -- the finite network of the same architecture definition
  (:class:`ntkjax.cntk.finite.ConvNet`) trained with optax Adam on the observed pixels (masked
  MSE), Deep Image Prior style: a fixed U[0, 1] input with ``channels`` channels, BatchNorm after
  every hidden convolution and a sigmoid output (the paper's "Neural Network + Sigmoid Last Layer +
  BatchNorm"), PyTorch-like ("standard") initialisation. Appendix N: large hole lr 1e-2 for 1000
  steps, reconstruction lr 1e-3 for 6000 steps, 128 filters; ``steps``/``width`` scale it down
  for a CPU. PSNR (with replacement) is recorded every ``eval_every`` steps when a reference is
  given; the result holds both the final image and the best one (the paper's "optimal early
  stopping", which needs the ground truth and is therefore an upper bound).
  Colour images train one network per channel (vmapped), each with a one-channel output.
"""

from __future__ import annotations

import dataclasses
import time

import numpy as np
from tqdm.auto import tqdm

from ntkjax.errors import NtkjaxInputError
from ntkjax.image.metrics import psnr as psnr_metric

__all__ = ["biharmonic", "FiniteResult", "train_finite", "APPENDIX_N"]

# Appendix N: (learning rate, steps) per task; 128 filters in both
APPENDIX_N = {"inpainting": (1e-2, 1000), "reconstruction": (1e-3, 6000)}


def biharmonic(image: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """Biharmonic inpainting of the missing pixels (``mask`` False); observed pixels kept."""
    from skimage.restoration import inpaint_biharmonic

    image = np.asarray(image, np.float64)
    mask = np.asarray(mask, bool)
    m = mask if image.ndim == 2 else mask[..., None]
    out = inpaint_biharmonic(np.where(m, image, 0.0), ~mask, channel_axis=-1 if image.ndim == 3 else None)
    return np.where(m, image, np.clip(out, 0.0, 1.0))


@dataclasses.dataclass
class FiniteResult:
    final: np.ndarray  # completion after the last step (observed pixels replaced)
    best: np.ndarray  # completion with the best PSNR seen (equals final without a reference)
    history: list[tuple[int, float]]  # (step, PSNR) along training
    best_step: int
    seconds: float
    settings: dict


def train_finite(image: np.ndarray, mask: np.ndarray, arch, *, steps: int = 1000, lr: float = 1e-2,
                 width: int = 128, channels: int = 32, eval_every: int = 50, reference: np.ndarray | None = None,
                 seed: int = 15, batchnorm: bool = True, sigmoid: bool = True,
                 parameterization: str = "standard", progress: bool = False) -> FiniteResult:
    """Train the finite network on the observed pixels (see the module docstring)."""
    import jax
    import jax.numpy as jnp
    import optax

    from ntkjax.cntk.finite import ConvNet

    if steps < 1 or width < 1 or channels < 1 or eval_every < 1:
        raise NtkjaxInputError("steps, width, channels and eval_every must be positive")
    image = np.asarray(image, np.float64)
    mask = np.asarray(mask, bool)
    H, W = image.shape[:2]
    arch.check_size((H, W))
    t0 = time.perf_counter()
    Y = image[..., None] if image.ndim == 2 else image  # (H, W, C)
    C = Y.shape[-1]
    key = jax.random.PRNGKey(seed)
    kz, kp = jax.random.split(key)
    z = jax.random.uniform(kz, (H, W, channels), jnp.float32)
    model = ConvNet(arch, width=width, parameterization=parameterization, batchnorm=batchnorm, sigmoid=sigmoid)
    variables = jax.vmap(lambda k: model.init(k, z, train=False))(jax.random.split(kp, C))
    params = variables["params"]
    stats = variables.get("batch_stats", {})
    y = jnp.asarray(np.moveaxis(Y, -1, 0), jnp.float32)  # (C, H, W)
    m = jnp.asarray(mask, jnp.float32)
    opt = optax.adam(lr)
    opt_state = opt.init(params)

    def forward(p, s):
        def one(pp, ss):
            v = {"params": pp, **({"batch_stats": ss} if batchnorm else {})}
            if batchnorm:  # Deep Image Prior keeps the network in training mode (batch statistics)
                out, upd = model.apply(v, z, train=True, mutable=["batch_stats"])
                return out, upd["batch_stats"]
            return model.apply(v, z), ss

        return jax.vmap(one)(p, s)

    def loss_fn(p, s):
        out, new_s = forward(p, s)
        return jnp.sum(m * (out - y) ** 2) / (jnp.sum(m) * C), (out, new_s)

    @jax.jit
    def step(p, s, o):
        (loss, (out, new_s)), g = jax.value_and_grad(loss_fn, has_aux=True)(p, s)
        upd, o = opt.update(g, o, p)
        return optax.apply_updates(p, upd), new_s, o, loss, out

    def as_image(out) -> np.ndarray:
        img = np.moveaxis(np.asarray(out, np.float64), 0, -1)
        img = img[..., 0] if image.ndim == 2 else img
        mm = mask if image.ndim == 2 else mask[..., None]
        return np.where(mm, image, np.clip(img, 0.0, 1.0))

    history: list[tuple[int, float]] = []
    best, best_psnr, best_step, last = None, -np.inf, 0, None
    bar = tqdm(range(1, steps + 1), desc="finite net", unit="step", disable=not progress, leave=False)
    for k in bar:
        params, stats, opt_state, loss, out = step(params, stats, opt_state)
        if k % eval_every == 0 or k == steps:
            last = as_image(out)  # output of the parameters before this update (as in DIP's loop)
            if reference is not None:
                val = psnr_metric(reference, last, mask)
                history.append((k, val))
                if val > best_psnr:
                    best, best_psnr, best_step = last, val, k
                bar.set_postfix(psnr=f"{val:.2f}")
    final = last
    if best is None:
        best, best_step = final, steps
    settings = {"steps": steps, "lr": lr, "width": width, "channels": channels, "seed": seed,
                "batchnorm": batchnorm, "sigmoid": sigmoid, "parameterization": parameterization}
    return FiniteResult(final, best, history, best_step, time.perf_counter() - t0, settings)
