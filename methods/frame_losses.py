"""Training losses for a FrameHead: BCE on onset or activity frames, and the negative
log-likelihood of an inhomogeneous Poisson process (IHP) over per-frame log-intensities.

Shapes: logits [B, N] (one channel) or [B, N, C]; mask [B, N], 1 on real frames and 0 on
padding, shared by all channels.
"""
from __future__ import annotations

from typing import Literal

import torch
import torch.nn.functional as F
from torch import Tensor

PosWeight = float | Literal["auto"] | None


def _valid(mask: Tensor | None, like: Tensor) -> Tensor:
    if mask is None:
        return torch.ones_like(like)
    m = mask.to(like.dtype)
    return m.reshape(m.shape + (1,) * (like.dim() - m.dim())).expand_as(like)


def activity_loss(logits: Tensor, targets: Tensor, mask: Tensor | None = None,
                  pos_weight: PosWeight = None) -> Tensor:
    """Mean BCE with logits over real frames of [B, N, C] activity channels (speakers, classes).

    pos_weight "auto" weighs each channel's positives by its own negatives/positives ratio in
    the batch, since a rare class should not be drowned by a talkative speaker.
    """
    logits, targets = logits.float(), targets.float()
    valid = _valid(mask, logits)
    weight = None
    if pos_weight == "auto":
        pos = (targets * valid).sum((0, 1))
        weight = (valid.sum((0, 1)) - pos) / pos.clamp(min=1.0)
    elif pos_weight is not None:
        weight = torch.tensor(float(pos_weight))
    loss = F.binary_cross_entropy_with_logits(logits, targets, reduction="none", pos_weight=weight)
    return (loss * valid).sum() / valid.sum().clamp(min=1.0)


def binary_loss(logits: Tensor, targets: Tensor, mask: Tensor | None = None,
                pos_weight: PosWeight = None) -> Tensor:
    """The paper's binary onset loss on [B, N] logits; "auto" = negatives/positives in the batch."""
    return activity_loss(logits.unsqueeze(-1), targets.unsqueeze(-1), mask, pos_weight)


def ihp_loss(log_intensity: Tensor, targets: Tensor, mask: Tensor | None = None) -> Tensor:
    """IHP negative log-likelihood, sum_t exp(l_t) m_t - sum_t l_t y_t m_t, per example.

    As in the paper the integral is a plain sum over frames and each example's loss is a sum,
    not a per-frame mean: longer audio weighs more. We return the mean over the batch of those
    sums. Channels of [B, N, C] are independent processes and are summed.
    """
    # exp overflows half precision long before the head is wrong.
    l = log_intensity.float()
    valid = _valid(mask, l)
    # Padding may hold any value; masking before exp keeps inf * 0 out of loss and gradients.
    intensity = torch.exp(l.masked_fill(valid == 0, float("-inf")))
    nll = intensity - l * targets.float() * valid
    return nll.flatten(1).sum(1).mean()


def joint_loss(lm_loss: Tensor, log_intensity: Tensor, targets: Tensor, mask: Tensor | None = None,
               weight: float = 1.0) -> Tensor:
    """LM cross-entropy plus a weighted IHP loss, to train token and frame answers together."""
    return lm_loss + weight * ihp_loss(log_intensity, targets, mask)
