"""Decoders from one example's frame outputs [N] (numpy or torch) to times in seconds, on the CPU.

n, how many times to return, always comes from the query. Every decoder raises ValueError on
NaN or +inf (a broken head, not an answer), reads -inf as zero intensity, and returns [] for
n = 0. Posterior-mode decoders always return n times; top-n and peak picking return at most
one per frame, so min(n, N).
"""
from __future__ import annotations

import numpy as np
import torch
from scipy.special import betainc, xlogy


def _frames(x: np.ndarray | torch.Tensor) -> np.ndarray:
    a = x.detach().cpu().double().numpy() if isinstance(x, torch.Tensor) else np.asarray(x, dtype=np.float64)
    if a.ndim != 1:
        raise ValueError(f"expected one example's frames [N], got shape {a.shape}")
    if np.isnan(a).any() or np.isposinf(a).any():
        raise ValueError("frame outputs hold NaN or +inf")
    return a


def _nothing_to_do(a: np.ndarray, n: int) -> bool:
    if n < 0:
        raise ValueError(f"n must be >= 0, got {n}")
    return n == 0 or a.size == 0


def _boxcar(x: np.ndarray, width: int) -> np.ndarray:
    """Moving sum over +-(width // 2) frames: even widths round up to odd, to stay centred."""
    half = width // 2
    return np.convolve(x, np.ones(2 * half + 1), mode="same") if half > 0 else x


def _pick(scores: np.ndarray, n: int, radius: int) -> np.ndarray:
    """Best frames first, each suppressing +-radius frames around it. Where suppression leaves
    fewer than n, the best suppressed frames fill in: the query says how many there are."""
    order = np.argsort(-scores, kind="stable")
    if radius <= 0:
        return order[:n]
    free = np.ones(scores.size, dtype=bool)
    picked: list[int] = []
    for i in order:
        if free[i]:
            picked.append(int(i))
            free[max(i - radius, 0):i + radius + 1] = False
            if len(picked) == n:
                return np.array(picked)
    chosen = set(picked)
    return np.array(picked + [int(i) for i in order if i not in chosen][:n - len(picked)])


def _centres(frames: np.ndarray, frame_seconds: float) -> list[float]:
    return sorted(((frames + 0.5) * frame_seconds).tolist())


def binary_topn(probs: np.ndarray | torch.Tensor, n: int, frame_seconds: float,
                smooth_frames: int = 1, min_distance_frames: int = 0) -> list[float]:
    """The paper's binary decoder: the n most probable frames (after an optional box-car over
    smooth_frames), at frame centres, sorted. min_distance_frames keeps one peak from taking
    several answers; 0 is the paper's plain top-n."""
    p = _frames(probs)
    if _nothing_to_do(p, n):
        return []
    return _centres(_pick(_boxcar(p, smooth_frames), n, min_distance_frames - 1), frame_seconds)


def ihp_peak_picking(log_intensity: np.ndarray | torch.Tensor, n: int, frame_seconds: float,
                     suppress_frames: int) -> list[float]:
    """Iterative argmax of the intensity, suppressing +-suppress_frames around each pick."""
    l = _frames(log_intensity)
    if _nothing_to_do(l, n):
        return []
    return _centres(_pick(l, n, suppress_frames), frame_seconds)


def _rescaled(l: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Time rescaling: each frame's [F_left, F_right] of the cumulative intensity normalised to
    [0, 1]. An all -inf head carries no information and is read as flat."""
    if not np.isfinite(l).any():
        l = np.zeros_like(l)
    # F ignores the intensity's scale; subtracting the max keeps exp in range.
    cum = np.cumsum(np.exp(l - l.max()))
    right = cum / cum[-1]
    return l, np.concatenate([[0.0], right[:-1]]), right


def _within(u: float, left: float, right: float) -> float:
    """Where in its frame the rescaled time reaches u (intensity is flat within a frame)."""
    return (u - left) / (right - left) if right > left else 0.5


def ihp_posterior_mode(log_intensity: np.ndarray | torch.Tensor, n: int, frame_seconds: float) -> list[float]:
    """The paper's IHP decoder. Given n events, the k-th one's rescaled time F(t) is
    Beta(k, n-k+1), so its posterior density at t is lambda(t) u^(k-1) (1-u)^(n-k) with u = F(t).
    Within a frame lambda is flat, so the frame's best point is the Beta mode (k-1)/(n-1)
    clipped into [F_left, F_right]; the best frame wins, and the clipped point gives the
    sub-frame offset. For n = 1 the posterior is lambda itself: argmax frame, at its centre."""
    l = _frames(log_intensity)
    if _nothing_to_do(l, n):
        return []
    l, left, right = _rescaled(l)
    if n == 1:
        return _centres(np.array([np.argmax(l)]), frame_seconds)
    times = []
    for k in range(1, n + 1):
        u = np.clip((k - 1) / (n - 1), left, right)
        # xlogy(0, 0) = 0: the first and last events have no factor to take the log of.
        i = int(np.argmax(l + xlogy(k - 1, u) + xlogy(n - k, 1 - u)))
        times.append(float((i + _within(u[i], left[i], right[i])) * frame_seconds))
    # Order statistics: the k-th mode is almost always after the (k-1)-th; sorting makes it so.
    return sorted(times)


def ihp_boxcar(log_intensity: np.ndarray | torch.Tensor, n: int, frame_seconds: float,
               window_frames: int) -> list[float]:
    """Posterior mode with a tolerance window: for each k, the centred window of window_frames
    that holds the most of the k-th event's posterior mass (per frame, the Beta(k, n-k+1)
    probability of its [F_left, F_right]), so spread-out intensity counts as one event rather than losing to a
    sharper but lighter peak; then that window's heaviest frame, with the sub-frame offset of
    ihp_posterior_mode."""
    l = _frames(log_intensity)
    if _nothing_to_do(l, n):
        return []
    _, left, right = _rescaled(l)
    edges = np.concatenate([[0.0], right])
    times = []
    for k in range(1, n + 1):
        mass = np.diff(betainc(k, n - k + 1, edges))
        centre = int(np.argmax(_boxcar(mass, window_frames)))
        # A one-frame spike all but ties every window that holds it: the window says roughly
        # where, its heaviest frame says exactly where.
        lo = max(centre - window_frames // 2, 0)
        i = lo + int(np.argmax(mass[lo:centre + window_frames // 2 + 1]))
        frac = 0.5 if n == 1 else _within(np.clip((k - 1) / (n - 1), left[i], right[i]), left[i], right[i])
        times.append(float((i + frac) * frame_seconds))
    return sorted(times)


def activity_segments(probs: np.ndarray | torch.Tensor, frame_seconds: float, threshold: float = 0.5,
                      min_duration: float = 0.0, min_gap: float = 0.0) -> list[tuple[float, float]]:
    """Runs of frames with prob >= threshold as (start, end) at frame edges. Gaps shorter than
    min_gap are bridged first, then segments shorter than min_duration dropped."""
    active = _frames(probs) >= threshold
    edges = np.diff(np.concatenate([[0], active.astype(np.int8), [0]]))
    segments: list[tuple[float, float]] = []
    for s, e in zip(np.flatnonzero(edges == 1), np.flatnonzero(edges == -1)):
        start, end = s * frame_seconds, e * frame_seconds
        if segments and start - segments[-1][1] < min_gap:
            segments[-1] = (segments[-1][0], end)
        else:
            segments.append((start, end))
    return [(float(s), float(e)) for s, e in segments if e - s >= min_duration]
