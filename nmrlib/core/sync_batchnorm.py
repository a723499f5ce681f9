"""Batch normalisation over the global batch of all data-parallel ranks, on CPUs.

torch's ``SyncBatchNorm`` runs on GPUs only. :class:`GlobalBatchNorm1d` sums each rank's
count, sum and sum of squares with ``torch.distributed.nn.functional.all_reduce``, which
carries gradients (its backward sums them over ranks), so its forward, backward and running
statistics (momentum, unbiased variance) are those of one process holding the whole batch,
to float rounding (the variance is E[x^2] - E[x]^2 of float32 sums).
"""

from __future__ import annotations

import torch
from torch.distributed.nn.functional import all_reduce


class GlobalBatchNorm1d(torch.nn.BatchNorm1d):
    """``BatchNorm1d`` on (N, C) or (N, C, L) with global-batch statistics when training."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if not self.training:
            return super().forward(x)
        channels = x.shape[1]
        dims = [0, *range(2, x.ndim)]
        shape = [1, -1, *([1] * (x.ndim - 2))]
        count = torch.tensor([x.numel() / channels], dtype=x.dtype)
        totals = all_reduce(torch.cat([count, x.sum(dims), (x * x).sum(dims)]))
        n = totals[0]
        mean = totals[1:1 + channels] / n
        var = totals[1 + channels:] / n - mean * mean
        if self.running_mean is not None:
            with torch.no_grad():
                self.num_batches_tracked += 1
                factor = (self.momentum if self.momentum is not None
                          else 1.0 / float(self.num_batches_tracked))
                self.running_mean.lerp_(mean.detach(), factor)
                self.running_var.lerp_(var.detach() * n / (n - 1), factor)
        out = (x - mean.view(shape)) * torch.rsqrt(var.view(shape) + self.eps)
        if self.affine:
            out = out * self.weight.view(shape) + self.bias.view(shape)
        return out


def globalise(module: torch.nn.Module) -> torch.nn.Module:
    """Turn every ``BatchNorm1d`` in ``module`` into a :class:`GlobalBatchNorm1d` in place
    (the parameters and buffers stay the same objects, so optimisers keep working)."""
    for child in module.modules():
        if type(child) is torch.nn.BatchNorm1d:
            child.__class__ = GlobalBatchNorm1d
    return module
