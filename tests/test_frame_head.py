from __future__ import annotations

import math

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from scipy.special import expit

from methods.frame_decoders import (activity_segments, binary_topn, ihp_boxcar, ihp_peak_picking,
                                    ihp_posterior_mode)
from methods.frame_head import Channels, FrameHead, activity_targets, frame_times, onset_targets
from methods.frame_losses import activity_loss, binary_loss, ihp_loss, joint_loss

FS = 0.01  # 10 ms frames
EVENTS = [1.23, 4.56, 7.89]


def planted(times: list[float], n_frames: int = 1000, background: float = -8.0, peak: float = 3.0,
            shoulder: float | None = None) -> np.ndarray:
    """Log-intensity with a peak in each event's onset frame (and optionally its neighbours)."""
    l = np.full(n_frames, background)
    for t in times:
        i = math.floor(t / FS + 1e-6)
        if shoulder is not None:
            l[max(i - 1, 0):i + 2] = shoulder
        l[i] = peak
    return l


def assert_close_times(got: list[float], want: list[float]) -> None:
    assert len(got) == len(want)
    assert got == sorted(got)
    assert np.all(np.abs(np.array(got) - np.array(want)) <= FS + 1e-9), (got, want)


# ---- losses


def test_ihp_loss_matches_hand_computation() -> None:
    l = torch.tensor([[0.0, math.log(2.0), -1.0]])
    y = torch.tensor([[0.0, 1.0, 0.0]])
    assert ihp_loss(l, y).item() == pytest.approx(1 + 2 + math.exp(-1) - math.log(2), rel=1e-6)


def test_ihp_loss_masks_padding_and_averages_example_sums() -> None:
    l = torch.tensor([[0.0, math.log(2.0), -1.0], [0.0, 200.0, 200.0]])
    y = torch.tensor([[0.0, 1.0, 0.0], [1.0, 0.0, 0.0]])
    mask = torch.tensor([[1, 1, 1], [1, 0, 0]])
    l.requires_grad_(True)
    loss = ihp_loss(l, y, mask)
    first, second = 1 + 2 + math.exp(-1) - math.log(2), 1.0
    assert loss.item() == pytest.approx((first + second) / 2, rel=1e-6)
    loss.backward()
    assert torch.isfinite(l.grad).all() and l.grad[1, 1:].abs().sum() == 0
    assert joint_loss(torch.tensor(2.0), l, y, mask, weight=0.5).item() == pytest.approx(2 + loss.item() / 2)


def test_binary_loss_auto_pos_weight_is_torch_bce_with_that_weight() -> None:
    torch.manual_seed(0)
    logits = torch.randn(2, 50)
    y = torch.zeros(2, 50)
    y[0, [3, 17]] = 1
    y[1, 40] = 1
    want = F.binary_cross_entropy_with_logits(logits, y, pos_weight=torch.tensor(97 / 3))
    assert binary_loss(logits, y, pos_weight="auto").item() == pytest.approx(want.item(), rel=1e-6)
    assert binary_loss(logits, y).item() == pytest.approx(F.binary_cross_entropy_with_logits(logits, y).item())
    # Masked frames count neither in the mean nor in the auto weight: 75 real frames, 2 positive.
    mask = torch.ones(2, 50)
    mask[1, 25:] = 0
    per = F.binary_cross_entropy_with_logits(logits, y, pos_weight=torch.tensor(73 / 2), reduction="none")
    got = binary_loss(logits, y, mask, pos_weight="auto")
    assert got.item() == pytest.approx((per * mask).sum().item() / 75, rel=1e-6)


def test_activity_loss_weighs_each_channel_by_its_own_ratio() -> None:
    torch.manual_seed(0)
    logits = torch.randn(1, 10, 2)
    y = torch.zeros(1, 10, 2)
    y[0, :5, 0] = 1
    y[0, 0, 1] = 1
    want = F.binary_cross_entropy_with_logits(logits, y, pos_weight=torch.tensor([1.0, 9.0]))
    assert activity_loss(logits, y, pos_weight="auto").item() == pytest.approx(want.item(), rel=1e-6)


# ---- head


def test_head_flattens_token_frames_in_order_and_starts_at_bias() -> None:
    head = FrameHead(hidden_size=3, frames_per_token=4, channels=Channels(speakers=1))
    assert head.frame_seconds == pytest.approx(0.01)
    # Onset frames start rare (-6), activity frames near 12 % (-2).
    assert head.proj.bias.tolist() == [-6.0, -2.0] * 4
    with torch.no_grad():
        head.proj.bias.zero_()
        head.proj.weight.zero_()
        # Output j * outputs + c reads hidden unit 0 scaled by 10 j + c.
        for j in range(4):
            for c in range(2):
                head.proj.weight[j * 2 + c, 0] = 10 * j + c
    hidden = torch.zeros(2, 5, 3)
    hidden[:, :, 0] = torch.arange(1, 6) * 1000.0  # token t carries 1000 (t + 1)
    out = head(hidden)
    assert out.shape == (2, 20, 2)
    assert head(hidden.to(torch.bfloat16)).dtype == torch.float32
    for t in range(5):
        for j in range(4):
            for c in range(2):
                assert out[1, t * 4 + j, c].item() == 1000.0 * (t + 1) * (10 * j + c)


def test_head_save_load_round_trip(tmp_path) -> None:
    torch.manual_seed(0)
    head = FrameHead(hidden_size=8, frames_per_token=2, channels=Channels(1, ('dog',)), token_seconds=0.02)
    head.thresholds = {"diarization": 0.3}
    path = tmp_path / "head.pt"
    head.save(path, backbone="Qwen/Qwen2.5-Omni-3B", loss="ihp", extra={"epoch": 3})
    loaded, meta = FrameHead.load(path)
    assert meta == {"hidden_size": 8, "frames_per_token": 2, "outputs": 3, "token_seconds": 0.02,
                    "channels": {"speakers": 1, "classes": ["dog"]}, "thresholds": {"diarization": 0.3}, "loss": "ihp", "backbone": "Qwen/Qwen2.5-Omni-3B", "extra": {"epoch": 3}}
    hidden = torch.randn(2, 7, 8)
    assert torch.equal(loaded(hidden), head(hidden))
    assert loaded.frame_seconds == head.frame_seconds
    assert loaded.channels == Channels(1, ('dog',)) and loaded.channels.class_slice == slice(2, 3)
    assert loaded.thresholds == {"diarization": 0.3}
    with pytest.raises(TypeError):
        head.save(tmp_path / "bad.pt", backbone="x", loss="ihp", extra={"path": tmp_path})


def test_targets_and_frame_times() -> None:
    # 0.29 / 0.01 = 28.999...: an onset on a frame edge still belongs to the frame it starts.
    y, dropped = onset_targets([1.23, 0.29, 0.0, 9.999, 10.0, -0.5], n_frames=1000, frame_seconds=FS)
    assert dropped == 2
    assert torch.nonzero(y).flatten().tolist() == [0, 29, 123, 999]
    assert frame_times(3, FS, offset_seconds=5.0).tolist() == pytest.approx([5.005, 5.015, 5.025])
    act = activity_targets([(0.02, 0.05), (0.08, 1.0)], n_frames=10, frame_seconds=FS)
    assert act.tolist() == [0, 0, 1, 1, 1, 0, 0, 0, 1, 1]


def test_ihp_training_steps_lower_the_loss() -> None:
    torch.manual_seed(0)
    hidden = torch.randn(4, 25, 16)
    y = torch.zeros(4, 100)
    y[:, [10, 47, 80]] = 1
    head = FrameHead(hidden_size=16)
    opt = torch.optim.Adam(head.parameters(), lr=0.05)
    losses = []
    for _ in range(30):
        loss = ihp_loss(head(hidden).squeeze(-1), y)
        opt.zero_grad()
        loss.backward()
        opt.step()
        losses.append(loss.item())
    assert losses[-1] < 0.5 * losses[0]
    l = head(hidden).squeeze(-1).detach()
    assert l[y == 1].mean() > l[y == 0].mean() + 1.0


# ---- decoders


def test_posterior_mode_recovers_planted_events() -> None:
    assert_close_times(ihp_posterior_mode(planted(EVENTS), 3, FS), EVENTS)
    assert_close_times(ihp_posterior_mode(torch.tensor(planted(EVENTS)), 3, FS), EVENTS)


def test_posterior_mode_places_events_within_frames() -> None:
    # Flat intensity over frames 100-102 holding three events: one per frame, at the first
    # frame's start, the middle frame's centre and the last frame's end.
    l = np.full(300, -np.inf)
    l[100:103] = 0.0
    assert np.allclose(ihp_posterior_mode(l, 3, FS), [1.0, 1.015, 1.03])
    # Three events in one frame spread across it.
    assert np.allclose(ihp_posterior_mode(l[:101], 3, FS), [1.0, 1.005, 1.01])


def test_posterior_mode_n1_is_argmax() -> None:
    rng = np.random.default_rng(0)
    l = rng.normal(size=500)
    assert ihp_posterior_mode(l, 1, FS) == [pytest.approx((np.argmax(l) + 0.5) * FS)]


def test_posterior_mode_ten_close_events() -> None:
    events = [2.0 + 0.05 * k for k in range(10)]
    assert_close_times(ihp_posterior_mode(planted(events), 10, FS), events)


def test_peak_picking_boxcar_and_binary_topn_recover_planted_events() -> None:
    l = planted(EVENTS)
    assert_close_times(ihp_peak_picking(l, 3, FS, suppress_frames=5), EVENTS)
    assert_close_times(ihp_boxcar(l, 3, FS, window_frames=5), EVENTS)
    spread = planted(EVENTS, shoulder=2.5)
    assert_close_times(ihp_boxcar(spread, 3, FS, window_frames=5), EVENTS)
    assert_close_times(ihp_peak_picking(spread, 3, FS, suppress_frames=5), EVENTS)
    probs = expit(planted(EVENTS, shoulder=0.0))
    assert_close_times(binary_topn(probs, 3, FS), EVENTS)
    assert_close_times(binary_topn(probs, 3, FS, smooth_frames=3), EVENTS)
    # A broad peak takes every top-n slot unless its neighbours are suppressed.
    broad = expit(planted([1.23], shoulder=2.9)) + expit(planted([4.56], peak=2.0))
    assert len({round(t, 1) for t in binary_topn(broad, 2, FS)}) == 1
    assert_close_times(binary_topn(broad, 2, FS, min_distance_frames=3), [1.23, 4.56])
    # min_distance_frames is a distance: frames 2 apart may both be picked.
    probs = np.zeros(50)
    probs[[10, 12, 30]] = [0.9, 0.8, 0.7]
    assert np.allclose(binary_topn(probs, 2, FS, min_distance_frames=2), [0.105, 0.125])
    assert np.allclose(binary_topn(probs, 2, FS, min_distance_frames=3), [0.105, 0.305])


def test_activity_segments_recover_planted_spans() -> None:
    spans = [(0.5, 1.2), (1.25, 2.0), (3.0, 3.04), (5.0, 6.5)]
    probs = activity_targets(spans, 1000, FS).numpy() * 0.9 + 0.05
    assert np.allclose(activity_segments(probs, FS), spans)
    merged = activity_segments(probs, FS, min_gap=0.1, min_duration=0.1)
    assert np.allclose(merged, [(0.5, 2.0), (5.0, 6.5)])
    assert activity_segments(np.zeros(10), FS) == []
    assert np.allclose(activity_segments(np.ones(10), FS), [(0.0, 0.1)])


DECODERS = {
    "topn": lambda x, n: binary_topn(expit(x), n, FS, smooth_frames=3, min_distance_frames=2),
    "mode": lambda x, n: ihp_posterior_mode(x, n, FS),
    "boxcar": lambda x, n: ihp_boxcar(x, n, FS, window_frames=3),
    "peaks": lambda x, n: ihp_peak_picking(x, n, FS, suppress_frames=2),
}


@pytest.mark.parametrize("name", DECODERS)
def test_decoder_edge_cases(name: str) -> None:
    decode = DECODERS[name]
    l = planted(EVENTS, n_frames=1000)
    assert decode(l, 0) == []
    assert decode(np.array([]), 2) == []
    # More events than frames: never more than one per frame, except posterior modes.
    many = decode(np.zeros(5), 8)
    assert len(many) == (8 if name in ("mode", "boxcar") else 5)
    assert many == sorted(many) and all(0 <= t <= 0.05 for t in many)
    for hopeless in (np.full(100, -np.inf), np.full(100, -1e4)):
        times = decode(hopeless, 3)
        assert len(times) == 3 and all(0 <= t <= 1.0 for t in times)
        if name in ("mode", "boxcar"):
            # No information reads as flat intensity: events spread evenly over the audio.
            assert np.allclose(times, [0.0, 0.5, 1.0])
    bad = l.copy()
    bad[5] = np.nan
    with pytest.raises(ValueError):
        decode(bad, 3)
    with pytest.raises(ValueError):
        decode(l, -1)
    with pytest.raises(ValueError):
        decode(l.reshape(10, 100), 3)


def test_activity_segments_rejects_nan() -> None:
    with pytest.raises(ValueError):
        activity_segments(np.array([0.1, np.nan]), FS)
