"""The backbone adapter on tiny random checkpoints of both architectures."""
from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np
import pytest
import torch

from methods.backbone import AudioLM, detect_arch
from methods.tiny_checkpoint import ARCHITECTURES, build_checkpoint, build_tokenizer

os.environ.setdefault("HF_HUB_OFFLINE", "1")


@pytest.fixture(scope="module")
def checkpoints(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    tokenizer = build_tokenizer(["when does the word cat occur", '[{"word": "cat", "start": 1.23}]'], vocab_size=400)
    root = tmp_path_factory.mktemp("ckpt")
    return {arch: build_checkpoint(arch, root / arch, tokenizer, seed=0) for arch in ARCHITECTURES}


def noise(seconds: float, seed: int = 0) -> np.ndarray:
    return (np.random.default_rng(seed).standard_normal(int(seconds * 16000)) * 0.1).astype(np.float32)


@pytest.mark.parametrize("arch", ARCHITECTURES)
def test_audio_states_are_mapped_to_absolute_time(checkpoints: dict[str, Path], arch: str) -> None:
    lm = AudioLM(checkpoints[arch])
    short = lm.encode("When?", noise(5.0))
    assert short.hidden.shape == (125, lm.hidden_size)
    assert short.consumed_seconds == pytest.approx(5.0)
    assert np.allclose(short.token_times[:3], [0.0, 0.04, 0.08])
    long = lm.encode("When?", noise(45.0))
    assert long.hidden.shape[0] == 750 + 375
    assert long.token_times[750] == pytest.approx(30.0) and long.token_times[-1] == pytest.approx(44.96)
    assert long.consumed_seconds == pytest.approx(45.0)


@pytest.mark.parametrize("attention", ["causal", "bidirectional"])
def test_tower_on_valid_frames_equals_the_models_own_padded_forward(checkpoints: dict[str, Path],
                                                                     attention: str) -> None:
    # AudioLM runs Qwen2-Audio's tower on each window's valid frames; the model's own forward
    # runs it on the 3000-frame window with the padding masked. Same states.
    lm = AudioLM(checkpoints["qwen2-audio"], attention=attention)
    audio = noise(37.3)
    mine = lm.encode("When?", audio)
    assert "encoder" in mine.timings
    inputs, _, _ = lm.inputs("When?", audio)
    with torch.no_grad():
        hidden = lm.model(**{**inputs, **lm._attention(inputs)}, output_hidden_states=True).hidden_states[-1][0]
    where = (inputs["input_ids"][0] == lm.audio_token_id).nonzero().flatten()
    assert torch.allclose(mine.hidden, hidden[where], atol=1e-4)


def test_consumed_seconds_reveals_truncation(checkpoints: dict[str, Path]) -> None:
    one_window = AudioLM(checkpoints["qwen2-audio"], max_windows=1)
    assert one_window.encode("When?", noise(45.0)).consumed_seconds == pytest.approx(30.0)


@pytest.mark.parametrize("arch", ARCHITECTURES)
def test_bidirectional_attention_lets_early_audio_see_later_audio(checkpoints: dict[str, Path], arch: str) -> None:
    audio = noise(45.0)
    changed = audio.copy()
    changed[35 * 16000 :] = noise(10.0, seed=1)  # only the second window changes
    first = {}
    for mode in ("causal", "bidirectional"):
        lm = AudioLM(checkpoints[arch], attention=mode)
        first[mode] = [lm.encode("When?", a).hidden[0] for a in (audio, changed)]
    # The encoder never mixes windows, so under causal attention the first token cannot know.
    assert torch.equal(*first["causal"])
    assert (first["bidirectional"][0] - first["bidirectional"][1]).abs().max() > 1e-5


@pytest.mark.parametrize("arch", ARCHITECTURES)
def test_greedy_decoding_matches_transformers_generate(checkpoints: dict[str, Path], arch: str) -> None:
    lm = AudioLM(checkpoints[arch], attention="causal")
    text, n_tokens, states = lm.generate("When does the word cat occur?", noise(6.0), max_new_tokens=8)
    inputs, _, _ = lm.inputs("When does the word cat occur?", noise(6.0))
    reference = lm.model.generate(**inputs, max_new_tokens=8, do_sample=False)
    expected = reference[0, inputs["input_ids"].shape[1]:]
    expected = [t for t in expected.tolist() if t not in lm.eos_ids]
    assert n_tokens == len(expected)
    assert text == lm.processor.tokenizer.decode(expected, skip_special_tokens=True)
    assert {"features", "prefill", "decode"} <= states.timings.keys()


def test_not_an_audio_lm(tmp_path: Path) -> None:
    (tmp_path / "config.json").write_text(json.dumps({"model_type": "llama"}))
    with pytest.raises(ValueError, match="llama"):
        detect_arch(tmp_path)
