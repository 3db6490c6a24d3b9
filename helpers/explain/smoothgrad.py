"""SmoothGrad (Smilkov et al., 2017): average a gradient map over noisy copies of the input.

``SmoothGrad(GuidedBackprop(model))`` is SmoothGrad x guided backprop; ``SmoothGrad(Saliency(...))``
the original. Variants follow Captum's NoiseTunnel: "mean" (smoothgrad), "mean_square"
(smoothgrad_sq) and "variance" (vargrad).
"""
from __future__ import annotations

import tqdm
import torch
from torch import Tensor

from helpers.device import progress_enabled

from .base import Explainer, TargetType, check_inputs

VARIANTS = ("mean", "mean_square", "variance")


class SmoothGrad(Explainer):
    """Noise-averaged attributions of a gradient explainer.

    Args:
        explainer: a gradient explainer of this package (Saliency, GuidedBackprop,
            IntegratedGradients...); its model, hooks and options are used.
        sigma: noise standard deviation RELATIVE to each image's range: sigma * (max - min) of that
            image (on images spanning [0, 1] it is the absolute sigma; 0.2 as in the report).
            Captum's NoiseTunnel ``stdevs`` is absolute instead.
        n_samples: noisy copies per image.
        variant: "mean", "mean_square" or "variance".
        batch_size: noisy images per forward/backward pass (default 32): memory stays flat in
            n_samples because only running sums are kept.
        seed: seeds a private ``torch.Generator`` (the global RNG is left alone); None draws from
            the global RNG.
        progress: show a tqdm bar (None: only in an interactive terminal; TQDM_DISABLE=1 wins).

    ``attribute(inputs, target=None, noise=None)``: ``noise`` (N, n_samples, C, H, W) replaces the
    random draw (exact comparisons with Captum). Returns the explainer's map shape.
    """

    def __init__(self, explainer: Explainer, sigma: float = 0.2, n_samples: int = 200, variant: str = "mean",
                 batch_size: int | None = None, seed: int | None = 0, progress: bool | None = None) -> None:
        if not isinstance(explainer, Explainer) or not explainer.supports_noise:
            raise TypeError(f"SmoothGrad wraps a gradient explainer of helpers.explain, got {type(explainer).__name__}")
        super().__init__(explainer.model, eval_mode=explainer.eval_mode, channels_last=explainer.channels_last)
        if variant not in VARIANTS:
            raise ValueError(f"variant must be one of {VARIANTS}, got {variant!r}")
        if not sigma >= 0:
            raise ValueError(f"sigma must be >= 0, got {sigma}")
        if int(n_samples) < 1:
            raise ValueError(f"n_samples must be >= 1, got {n_samples}")
        if batch_size is not None and int(batch_size) < 1:
            raise ValueError(f"batch_size must be >= 1, got {batch_size}")
        self.explainer = explainer
        self.sigma = float(sigma)
        self.n_samples = int(n_samples)
        self.variant = variant
        self.batch_size = int(batch_size) if batch_size is not None else 32
        self.seed = seed
        self.progress = progress

    def _session(self):  # the wrapped explainer's hooks, once per attribute call
        return self.explainer._session()

    def attribute(self, inputs: Tensor, target: TargetType = None, noise: Tensor | None = None) -> Tensor:
        check_inputs(inputs)
        if target is None and getattr(self.explainer, "objective", "score") == "cross_entropy":
            raise ValueError("objective='cross_entropy' needs the true labels as target (got None)")
        n, per = inputs.shape[0], self.n_samples
        if noise is not None:
            if tuple(noise.shape) != (n, per) + tuple(inputs.shape[1:]):
                raise ValueError(f"noise must have shape {(n, per) + tuple(inputs.shape[1:])}, got {tuple(noise.shape)}")
        x = self._to_device(inputs)
        generator = None
        if self.seed is not None and noise is None:
            generator = torch.Generator(device=x.device).manual_seed(int(self.seed))
        # Per-image absolute standard deviation: sigma times that image's value range.
        flat = x.reshape(n, -1)
        stdev = (self.sigma * (flat.amax(1) - flat.amin(1))).reshape(n, 1, 1, 1)
        with self._call_context():
            resolved = self.explainer._resolve(x, target)
            sum_, sum_sq = None, None
            bar = tqdm.tqdm(total=n * per, desc="SmoothGrad", unit="img", disable=not progress_enabled(self.progress))
            try:
                # Blocks of `block` samples x `img_chunk` images: at most batch_size noisy images per
                # pass whatever n and N are. The noise of sample s is the s-th draw of the private
                # generator for every image, so an image's map does not depend on the rest of the batch.
                block = max(1, min(per, self.batch_size // n))
                img_chunk = max(1, self.batch_size // block)
                shape = tuple(x.shape[1:])
                for s0 in range(0, per, block):
                    s1 = min(s0 + block, per)
                    if noise is None:
                        z = torch.stack([torch.randn(shape, generator=generator, device=x.device, dtype=x.dtype)
                                         for _ in range(s0, s1)])
                    for i0 in range(0, n, img_chunk):
                        i1 = min(i0 + img_chunk, n)
                        if noise is None:
                            eps = z.unsqueeze(0) * stdev[i0:i1].unsqueeze(1)
                        else:
                            eps = noise[i0:i1, s0:s1].to(device=x.device, dtype=x.dtype)
                        noisy = (x[i0:i1].unsqueeze(1) + eps).reshape((-1,) + shape)
                        if self.channels_last:
                            noisy = noisy.contiguous(memory_format=torch.channels_last)
                        attr = self.explainer._attribute_batch(
                            noisy, resolved[i0:i1].repeat_interleave(s1 - s0)).detach()
                        attr = attr.reshape((i1 - i0, s1 - s0) + tuple(attr.shape[1:]))
                        if sum_ is None:
                            sum_ = attr.new_zeros((n,) + tuple(attr.shape[2:]))
                            sum_sq = torch.zeros_like(sum_) if self.variant != "mean" else None
                        sum_[i0:i1] += attr.sum(1)
                        if sum_sq is not None:
                            sum_sq[i0:i1] += (attr * attr).sum(1)
                        bar.update((i1 - i0) * (s1 - s0))
            finally:
                bar.close()
        mean = sum_ / per
        if self.variant == "mean":
            return mean
        mean_sq = sum_sq / per
        return mean_sq if self.variant == "mean_square" else mean_sq - mean * mean
