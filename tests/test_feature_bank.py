"""A frozen audio tower's states cached once (methods/feature_bank.py): the cached path gives the
model exactly what the audio path gives it, and training runs from the cache."""
from __future__ import annotations

import json
import random
from pathlib import Path

import pytest
import torch
import yaml

from methods.train import parse_config, train

ROOT = Path(__file__).resolve().parents[1]
TINY = ROOT / "configs" / "train" / "tiny-test.yaml"


def frozen(**overrides: object) -> dict:
    raw = yaml.safe_load(TINY.read_text())
    raw.update({"freeze_audio_tower": True, "train_examples": 6, "dev_examples": 3, "calibration_examples": 1,
                **overrides})
    return raw


@pytest.fixture(autouse=True)
def _cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FRAMEBENCH_CACHE", str(tmp_path / "cache"))


def test_cached_states_give_the_same_last_layer_as_the_audio(tmp_path: Path) -> None:
    from methods.audio_tower import as_numpy_f16, tower, window_states
    from methods.backbone import AudioLM
    from methods.tiny_checkpoint import _default_corpus, build_checkpoint, build_tokenizer
    from methods.training_data import ExampleMaker

    config = parse_config(frozen())
    path = build_checkpoint("qwen2-audio", tmp_path / "ckpt", build_tokenizer(_default_corpus(), vocab_size=600),
                            **{k: v for k, v in config.model.items()})
    lm = AudioLM(path, attention="bidirectional")
    ex = ExampleMaker(["word_single"], config.pool_params(), 5, (2.0, 4.0)).make("word_single", random.Random(0), "x")
    inputs, _, _ = lm.inputs(ex.question, ex.samples)
    states = [window_states(tower(lm.model), inputs["input_features"][0], int(inputs["feature_attention_mask"].sum()))]
    cached = (inputs["input_ids"][0].numpy(), as_numpy_f16(states))
    from_audio = lm.encode(ex.question, ex.samples)
    from_cache = lm.encode(ex.question, None, cached)
    assert from_audio.hidden.shape == from_cache.hidden.shape
    assert (from_audio.token_times == from_cache.token_times).all()
    # Only the float16 storage of the states separates the two.
    assert torch.allclose(from_audio.hidden, from_cache.hidden, atol=2e-2)


def test_training_from_the_bank_freezes_the_tower_and_reuses_the_cache(tmp_path: Path) -> None:
    from safetensors.torch import load_file

    raw = frozen(max_steps=4, batch_size=2)
    logs: list[str] = []
    out = train(parse_config(raw), tmp_path / "a", raw_config=raw, log=logs.append)
    meta = json.loads((out / "framebench.json").read_text())
    assert meta["steps"] == 4 and meta["dev"]["examples"] == 3
    assert any("building 1 of 1 chunks" in line for line in logs)
    banks = list((tmp_path / "cache").glob("feature-bank-*"))
    assert len(banks) == 1 and {p.name for p in banks[0].iterdir()} == {"train-0000.pt", "dev.pt", "calibration.pt"}
    # Same config again: nothing rebuilt, same losses; the tower is the initial one, untouched.
    logs.clear()
    again = train(parse_config(raw), tmp_path / "b", raw_config=raw, log=logs.append)
    assert not any("building" in line for line in logs)
    assert json.loads((again / "framebench.json").read_text())["loss_curve"] == meta["loss_curve"]
    trained = load_file(out / "backbone" / "model.safetensors")
    other = train(parse_config(frozen(max_steps=1, batch_size=2)), tmp_path / "c", log=lambda _: None)
    initial = load_file(other / "backbone" / "model.safetensors")
    tower_keys = [k for k in trained if "audio_tower" in k]
    assert tower_keys and all(torch.equal(trained[k], initial[k]) for k in tower_keys)
    assert any(not torch.equal(trained[k], initial[k]) for k in trained if "language_model" in k)


def test_frozen_tower_config_errors_name_the_field() -> None:
    from bench.errors import ConfigError

    with pytest.raises(ConfigError, match="train_examples"):
        parse_config(frozen(train_examples=1))
    with pytest.raises(ConfigError, match="audio_tower"):
        parse_config(frozen(audio_tower="wav2vec"))
    with pytest.raises(ConfigError, match="save_dtype"):
        parse_config(frozen(save_dtype="int4"))


def test_compare_decoders_scores_every_decoder_on_the_dev_set(tmp_path: Path) -> None:
    from methods.compare_decoders import COLUMNS, compare
    from methods.frame_tasks import DECODERS, DEFAULT_DECODER

    raw = frozen(max_steps=2, batch_size=2)
    out = train(parse_config(raw), tmp_path / "ckpt", raw_config=raw, log=lambda _: None)
    table = compare(out)
    assert set(table["decoder"]) == set(DECODERS)
    assert set(table["task"]) <= {"word_single", "speaker_onset", "event_onset"} and len(table) >= len(DECODERS)
    assert table.loc[table["default"], "decoder"].unique().tolist() == [DEFAULT_DECODER["ihp"]]
    for column in COLUMNS:
        assert table[column].between(0, 1).all()
    # A hit needs only a prediction nearby, so it is never rarer than an in-order match.
    assert (table["hit@50ms"] >= table["acc@50ms"] - 1e-12).all()
