"""Training loop and checkpoint writing, on the seconds-long tiny-test config."""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import yaml

from bench.errors import ConfigError
from methods.train import load_config, main, parse_config, train

ROOT = Path(__file__).resolve().parents[1]
TINY = ROOT / "configs" / "train" / "tiny-test.yaml"
REAL = ["frame-ihp", "frame-binary", "frame-joint", "token"]


def tiny(**overrides: object) -> dict:
    raw = yaml.safe_load(TINY.read_text())
    raw.update(overrides)
    return raw


def run(tmp: Path, name: str, **overrides: object) -> tuple[Path, dict]:
    raw = tiny(**overrides)
    out = train(parse_config(raw), tmp / name, raw_config=raw, log=lambda _: None)
    return out, json.loads((out / "framebench.json").read_text())


def losses(meta: dict) -> np.ndarray:
    return np.array([loss for _, loss in meta["loss_curve"]])


@pytest.fixture(scope="module")
def frame_ckpt(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict]:
    # The CLI entry point, as `python -m bench train` calls it.
    out = main(TINY, tmp_path_factory.mktemp("train") / "frame-ihp")
    return out, json.loads((out / "framebench.json").read_text())


def test_frame_ihp_loss_goes_down(tmp_path: Path) -> None:
    # One example, repeated: the loss must fall well below where it started.
    _, meta = run(tmp_path, "ihp", max_steps=25, batch_size=1, log_every=1, repeat_examples=1, dev_examples=1)
    curve = losses(meta)
    assert len(curve) == 25 and np.isfinite(curve).all()
    assert curve[-3:].mean() < 0.5 * curve[:3].mean()


@pytest.mark.parametrize("method", ["frame-ihp", "frame-binary"])
def test_activity_loss_goes_down(tmp_path: Path, method: str) -> None:
    # Diarization and event detection train the speaker and class activity channels.
    out, meta = run(tmp_path, method, method=method, tasks=["diarization", "event_detection"], max_steps=20,
                    batch_size=1, log_every=1, repeat_examples=2, dev_examples=2, lr=0.003)
    curve = losses(meta)
    assert curve[-4:].mean() < 0.6 * curve[:4].mean()
    from methods.frame_head import FrameHead
    head, _ = FrameHead.load(out / "head.pt")
    assert head.channels.speakers == 8 and "trumpet" in head.channels.classes
    assert set(meta["dev"]["tasks"]) == {"diarization", "event_detection"}
    assert "der" in meta["dev"]["tasks"]["diarization"]
    # Thresholds are tuned on held-out examples before the dev metrics, and travel with the head.
    assert set(meta["thresholds"]) == {"diarization", "event_detection"} and head.thresholds == meta["thresholds"]
    if method == "frame-ihp":
        from methods.calibrate import main as calibrate
        again = calibrate(out, n_examples=1)
        assert FrameHead.load(out / "head.pt")[0].thresholds == again
        card = (out / "README.md").read_text()
        assert "Activity read at thresholds" in card and "1 examples per activity task" in card


def test_cosine_schedule() -> None:
    from methods.train import lr_factor
    factor = lr_factor(parse_config(tiny(schedule="cosine", warmup_steps=4, max_steps=24, min_lr_ratio=0.1)))
    values = [factor(step) for step in range(24)]
    assert values[:4] == [0.25, 0.5, 0.75, 1.0]
    assert all(a >= b for a, b in zip(values[3:], values[4:])) and values[-1] == pytest.approx(0.1, abs=0.01)
    assert lr_factor(parse_config(tiny()))(10) == 1.0


def test_token_loss_goes_down(tmp_path: Path) -> None:
    _, meta = run(tmp_path, "token", method="token", attention="causal", max_steps=20, batch_size=1, log_every=1,
                  repeat_examples=2, dev_examples=2, dev_max_new_tokens=8)
    curve = losses(meta)
    assert curve[-3:].mean() < 0.75 * curve[:3].mean()
    assert meta["dev"]["tasks"] and all("parse_rate" in r for r in meta["dev"]["tasks"].values())


def test_checkpoint_layout_loads(frame_ckpt: tuple[Path, dict]) -> None:
    from methods.backbone import AudioLM
    from methods.frame_head import FrameHead

    out, meta = frame_ckpt
    lm = AudioLM(out / "backbone", attention=meta["attention"])
    head, head_meta = FrameHead.load(out / "head.pt")
    assert head_meta["backbone"] == "backbone" and head_meta["loss"] == "ihp"
    assert head.hidden_size == lm.hidden_size and head.frames_per_token == 4
    states = lm.encode("When does the 1st speaker start speaking?", np.zeros(3 * 16000, dtype=np.float32))
    assert head(states.hidden[None]).shape == (1, 75 * 4, 1)
    for key in ("method", "arch", "attention", "frames_per_token", "tasks", "config", "seed", "train_seconds",
                "steps", "command", "dev", "loss_curve"):
        assert key in meta, key
    assert meta["method"] == "frame-ihp" and meta["arch"] == "qwen2-audio" and meta["steps"] == 6
    assert meta["config"]["name"] == "tiny-test" and "python -m bench train" in meta["command"]
    assert set(meta["dev"]["tasks"]) <= {"word_single", "speaker_onset", "event_onset"}
    assert "acc@50ms" in meta["dev"]
    card = (out / "README.md").read_text()
    assert "frame-ihp" in card and meta["command"] in card
    size = sum(p.stat().st_size for p in out.rglob("*") if p.is_file())
    assert size < 20e6


def test_saved_backbone_holds_the_trained_weights(frame_ckpt: tuple[Path, dict], tmp_path: Path) -> None:
    from safetensors.torch import load_file

    out, _ = frame_ckpt
    other, _ = run(tmp_path, "zero", max_steps=1)
    a, b = load_file(out / "backbone" / "model.safetensors"), load_file(other / "backbone" / "model.safetensors")
    assert a.keys() == b.keys()
    assert any(not (a[k] == b[k]).all() for k in a)  # 6 steps vs 1 step from the same init


def test_training_is_deterministic(frame_ckpt: tuple[Path, dict], tmp_path: Path) -> None:
    _, first = frame_ckpt
    _, again = run(tmp_path, "again", max_steps=3)
    assert first["loss_curve"][:3] == again["loss_curve"][:3]


def test_real_configs_parse() -> None:
    for name in REAL:
        config, raw = load_config(ROOT / "configs" / "train" / f"{name}.yaml")
        assert config.method == name and raw["name"] == name
        expected = "causal" if name == "token" else "bidirectional"
        assert config.attention == expected
        assert config.durations == (2.0, 15.0)


@pytest.mark.parametrize("overrides, field", [
    ({"method": "frame-magic"}, "config.method"),
    ({"lr": "fast"}, "config.lr"),
    ({"lr": 0}, "config.lr"),
    ({"batch_size": 2.5}, "config.batch_size"),
    ({"attention": "sideways"}, "config.attention"),
    ({"tasks": ["word_single", "nope"]}, "config.tasks"),
    ({"schedule": "linear"}, "config.schedule"),
    ({"min_lr_ratio": 2}, "config.min_lr_ratio"),
    ({"speaker_slots": -1}, "config.speaker_slots"),
    ({"durations": [4, 2]}, "config.durations"),
    ({"colour": "red"}, "config.colour"),
    ({"model": {"text_layers": "two"}}, "config.model.text_layers"),
    ({"model": {"depth": 2}}, "config.model.depth"),
    ({"pools": {"speech": {"pool_size": "many"}}}, "config.pools.speech.pool_size"),
    ({"pools": {"radio": {}}}, "config.pools.radio"),
])
def test_config_errors_name_the_field(overrides: dict, field: str) -> None:
    with pytest.raises(ConfigError, match=field.replace(".", r"\.")):
        parse_config(tiny(**overrides))


def test_missing_required_field_is_named() -> None:
    raw = tiny()
    del raw["method"]
    with pytest.raises(ConfigError, match=r"config\.method"):
        parse_config(raw)


def test_config_file_errors(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("name: x\nmethod: token\nthreads: -1\n")
    with pytest.raises(ConfigError, match=r"bad\.yaml\.threads"):
        load_config(bad)
