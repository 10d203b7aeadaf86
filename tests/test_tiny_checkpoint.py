"""Tiny real Qwen2-Audio / Qwen2.5-Omni thinker checkpoints: build, reload offline, process, run.

Observed with transformers 5.19 (and pinned below, so a change in the processors fails here):
- Both processors expand ``<|AUDIO|>`` to ``feature_attention_mask.sum()`` mel frames mapped by
  ``(L - 1) // 2 + 1`` then ``(x - 2) // 2 + 1``: 25 tokens per second, 5 s -> 125 tokens.
  The features themselves are always padded to 3000 frames (``padding="max_length"`` is forced;
  ``padding="longest"`` is silently ignored).
- The Whisper feature extractor truncates at 30 s by default: 40 s -> 750 tokens, no warning.
  ``truncation=False`` (or ``max_length=<samples>``) keeps all of it (40 s -> 4000 frames, 1000
  tokens); the Qwen2.5-Omni thinker runs on that (its encoder works in 2 s chunks), Qwen2-Audio's
  encoder refuses anything but 3000 frames with a ValueError.
"""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch

torch = pytest.importorskip("torch")
pytest.importorskip("transformers")

from methods import loading  # noqa: E402
from methods import tiny_checkpoint as tc  # noqa: E402

QUESTION = 'When does the word "cat" occur?'
SR = loading.SAMPLING_RATE


def _wave(seconds: float, seed: int = 0) -> np.ndarray:
    t = np.arange(int(seconds * SR)) / SR
    noise = np.random.default_rng(seed).normal(0, 0.01, t.size)
    return (0.1 * np.sin(2 * np.pi * 440 * t) + noise).astype(np.float32)


def _messages() -> list[dict]:
    # The project's prompt: question text first, then the audio.
    return [{"role": "user", "content": [{"type": "text", "text": QUESTION}, {"type": "audio", "path": "clip.wav"}]}]


@pytest.fixture(scope="module")
def tokenizer():
    corpus = [f'[{{"word": "cat", "start": {i / 7:.2f}}}]' for i in range(40)]
    corpus += ["the cat sat on the mat when does the word occur"] * 20
    return tc.build_tokenizer(corpus, vocab_size=400)


@pytest.fixture(scope="module", params=loading.ARCHITECTURES)
def checkpoint(request, tokenizer, tmp_path_factory):
    arch = request.param
    path = tc.build_checkpoint(arch, tmp_path_factory.mktemp(arch.replace(".", "_")), tokenizer, seed=0)
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("HF_HUB_OFFLINE", "1")
        mp.setenv("TRANSFORMERS_OFFLINE", "1")
        processor = loading.load_processor(path)
        model = loading.model_class(arch).from_pretrained(path).eval()
    return arch, path, processor, model


def _inputs(processor, seconds: float, **kwargs):
    text = processor.apply_chat_template(_messages(), add_generation_prompt=True, tokenize=False)
    return processor(text=text, audio=_wave(seconds), sampling_rate=SR, return_tensors="pt", **kwargs)


def _n_audio(inputs, processor) -> int:
    return int((inputs["input_ids"] == processor.tokenizer.audio_token_id).sum())


def test_tokenizer_tokens(tokenizer):
    vocab = tokenizer.get_vocab()
    assert len(tokenizer) <= 400
    for char in tc.REQUIRED_SINGLE_TOKENS:
        assert tokenizer.tokenize(char) == [char], char
    ids = tokenizer.encode('[{"word": "cat", "start": 1.23}]', add_special_tokens=False)
    assert tokenizer.decode(ids) == '[{"word": "cat", "start": 1.23}]'
    # Digits are split one by one, as in Qwen2's pre-tokeniser.
    assert tokenizer.tokenize("1.23")[-4:] == ["1", ".", "2", "3"]
    for token in tc.SPECIAL_TOKENS:
        assert token in vocab and tokenizer.encode(token, add_special_tokens=False) == [vocab[token]]
    assert tokenizer.eos_token == "<|im_end|>" and tokenizer.pad_token == "<|endoftext|>"
    assert tokenizer.audio_token == "<|AUDIO|>" and tokenizer.audio_token_id == vocab["<|AUDIO|>"]
    assert tokenizer.audio_bos_token == "<|audio_bos|>" and tokenizer.audio_eos_token == "<|audio_eos|>"


def test_build_tokenizer_rejects_tiny_vocab():
    with pytest.raises(ValueError):
        tc.build_tokenizer(["abc"], vocab_size=100)


def test_expected_audio_tokens():
    assert loading.expected_audio_tokens(30) == 750
    assert loading.expected_audio_tokens(5) == 125
    assert loading.expected_audio_tokens(1) == 25
    assert loading.expected_audio_tokens(40) == 750
    assert loading.expected_audio_tokens(40, truncate=False) == 1000


def test_checkpoint_files_and_size(checkpoint):
    arch, path, processor, model = checkpoint
    names = {p.name for p in path.iterdir()}
    assert {"config.json", "generation_config.json", "model.safetensors", "tokenizer.json", "tokenizer_config.json"} <= names
    assert {"processor_config.json", "chat_template.jinja"} <= names
    assert tc.checkpoint_size(path) < 8_000_000
    config = json.loads((path / "config.json").read_text())
    generation = json.loads((path / "generation_config.json").read_text())
    tok = processor.tokenizer
    assert set(generation["eos_token_id"]) == {tok.eos_token_id, tok.pad_token_id}
    assert generation["pad_token_id"] == tok.pad_token_id
    if arch == "qwen2-audio":
        assert config["model_type"] == "qwen2_audio"
        assert config["audio_token_index"] == tok.audio_token_id
        assert config["audio_config"]["max_source_positions"] == 1500
        text = config["text_config"]
    else:
        # The hub layout of Qwen/Qwen2.5-Omni-*: thinker nested in a qwen2_5_omni config, no talker weights.
        assert config["model_type"] == "qwen2_5_omni" and config["enable_audio_output"] is False
        thinker = config["thinker_config"]
        assert thinker["audio_token_index"] == tok.audio_token_id
        assert thinker["audio_start_token_id"] == tok.convert_tokens_to_ids("<|audio_bos|>")
        assert thinker["audio_config"]["max_source_positions"] == 1500
        text = thinker["text_config"]
        assert sum(text["rope_parameters"]["mrope_section"]) * 2 == text["hidden_size"] // text["num_attention_heads"]
    assert text["hidden_size"] // text["num_attention_heads"] == 64
    assert text["vocab_size"] == len(tok)


def test_chat_template_question_then_audio(checkpoint):
    arch, _, processor, _ = checkpoint
    text = processor.apply_chat_template(_messages(), add_generation_prompt=True, tokenize=False)
    system = "<|im_start|>system\nYou are a helpful assistant.<|im_end|>\n"
    if arch == "qwen2-audio":
        user = f"<|im_start|>user\n{QUESTION}Audio 1: <|audio_bos|><|AUDIO|><|audio_eos|>\n<|im_end|>\n"
    else:
        user = f"<|im_start|>user\n{QUESTION}<|audio_bos|><|AUDIO|><|audio_eos|><|im_end|>\n"
    assert text == system + user + "<|im_start|>assistant\n"


def test_processor_class(checkpoint):
    arch, _, processor, _ = checkpoint
    expected = {"qwen2-audio": "Qwen2AudioProcessor", "qwen2.5-omni-thinker": "Qwen2_5OmniProcessor"}[arch]
    if arch == "qwen2.5-omni-thinker" and not loading.torchvision_available():
        expected = "Qwen2_5OmniAudioProcessor"  # the real processor needs torchvision (see the module doc)
    assert type(processor).__name__ == expected
    assert type(processor.tokenizer).__name__ == "Qwen2Tokenizer"
    assert type(processor.feature_extractor).__name__ == "WhisperFeatureExtractor"


def test_audio_tokens_5s_and_layout(checkpoint):
    _, _, processor, _ = checkpoint
    inputs = _inputs(processor, 5.0)
    assert _n_audio(inputs, processor) == 125 == loading.expected_audio_tokens(5.0)
    assert tuple(inputs["input_features"].shape) == (1, 128, 3000)  # padded to 30 s regardless
    assert int(inputs["feature_attention_mask"].sum()) == 500
    ids = inputs["input_ids"][0].tolist()
    tok = processor.tokenizer
    positions = [i for i, t in enumerate(ids) if t == tok.audio_token_id]
    # One contiguous run between <|audio_bos|> and <|audio_eos|>, after the question text.
    assert positions == list(range(positions[0], positions[0] + 125))
    assert ids[positions[0] - 1] == tok.convert_tokens_to_ids("<|audio_bos|>")
    assert ids[positions[-1] + 1] == tok.convert_tokens_to_ids("<|audio_eos|>")
    question = tok.encode(QUESTION, add_special_tokens=False)
    start = next(i for i in range(len(ids)) if ids[i : i + len(question)] == question)
    assert start < positions[0]


def test_padding_longest_is_ignored(checkpoint):
    _, _, processor, _ = checkpoint
    inputs = _inputs(processor, 5.0, padding="longest")
    assert tuple(inputs["input_features"].shape) == (1, 128, 3000)
    assert _n_audio(inputs, processor) == 125


def test_40s_is_silently_truncated_to_30s(checkpoint, recwarn):
    arch, _, processor, model = checkpoint
    inputs = _inputs(processor, 40.0)
    assert _n_audio(inputs, processor) == 750  # not 1000: the last 10 s are dropped
    assert tuple(inputs["input_features"].shape) == (1, 128, 3000)
    assert not [w for w in recwarn if "trunc" in str(w.message).lower()]
    # truncation=False keeps it all; only the Omni thinker can encode it.
    full = _inputs(processor, 40.0, truncation=False)
    assert _n_audio(full, processor) == 1000 and full["input_features"].shape[-1] == 4000
    with torch.no_grad():
        if arch == "qwen2-audio":
            with pytest.raises(ValueError, match="3000"):
                model(**full)
        else:
            assert model(**full).logits.shape[1] == full["input_ids"].shape[1]


def test_forward_hidden_states_and_generate(checkpoint):
    _, _, processor, model = checkpoint
    inputs = _inputs(processor, 5.0)
    with torch.no_grad():
        out = model(**inputs, output_hidden_states=True)
    seq = inputs["input_ids"].shape[1]
    assert out.logits.shape == (1, seq, len(processor.tokenizer))
    last = out.hidden_states[-1]
    assert last.shape == (1, seq, 128)
    assert torch.isfinite(last).all()
    audio_mask = inputs["input_ids"][0] == processor.tokenizer.audio_token_id
    assert last[0, audio_mask].shape == (125, 128)  # one 128-d feature per 40 ms
    generated = model.generate(**inputs, max_new_tokens=5, do_sample=False)
    new = generated[0, seq:]
    assert 1 <= new.numel() <= 5
    assert generated[0, :seq].tolist() == inputs["input_ids"][0].tolist()
    assert int(new.max()) < len(processor.tokenizer)


def test_audio_changes_the_output(checkpoint):
    # The audio really flows through the encoder into the decoder.
    _, _, processor, model = checkpoint
    a = _inputs(processor, 5.0)
    b = dict(a)
    b["input_features"] = a["input_features"] + 1.0
    with torch.no_grad():
        assert not torch.allclose(model(**a).logits, model(**b).logits)


def test_round_trip_identical_logits(checkpoint, tmp_path):
    arch, _, processor, model = checkpoint
    inputs = _inputs(processor, 2.0)
    model.save_pretrained(tmp_path)
    reloaded = loading.model_class(arch).from_pretrained(tmp_path).eval()
    with torch.no_grad():
        assert torch.equal(model(**inputs).logits, reloaded(**inputs).logits)


def test_build_is_deterministic(tokenizer, tmp_path):
    from safetensors.torch import load_file

    a = tc.build_checkpoint("qwen2-audio", tmp_path / "a", tokenizer, seed=1, text_layers=1, audio_layers=1)
    b = tc.build_checkpoint("qwen2-audio", tmp_path / "b", tokenizer, seed=1, text_layers=1, audio_layers=1)
    c = tc.build_checkpoint("qwen2-audio", tmp_path / "c", tokenizer, seed=2, text_layers=1, audio_layers=1)
    wa, wb, wc = (load_file(p / "model.safetensors") for p in (a, b, c))
    assert wa.keys() == wb.keys()
    assert all(torch.equal(wa[k], wb[k]) for k in wa)
    assert any(not torch.equal(wa[k], wc[k]) for k in wa)
    assert json.loads((a / "config.json").read_text())["text_config"]["num_hidden_layers"] == 1


def test_unknown_arch(tokenizer, tmp_path):
    with pytest.raises(ValueError):
        tc.build_checkpoint("whisper", tmp_path, tokenizer)


def test_qwen2_audio_weights_use_the_hub_layout(checkpoint):
    """vLLM and other hub-format readers expect language_model.model.layers.*, as the real
    checkpoints have; transformers 5 alone would write language_model.model.model.layers.*."""
    arch, path, _, model = checkpoint
    if arch != "qwen2-audio":
        pytest.skip("the Omni thinker's layout is written as transformers writes it")
    from safetensors import safe_open

    with safe_open(str(path / "model.safetensors"), "pt") as f:
        names = set(f.keys())
    assert "language_model.model.embed_tokens.weight" in names and "language_model.lm_head.weight" in names
    assert not any(n.startswith("language_model.model.model.") for n in names)
    # And transformers reads that layout back into every parameter (none left at random init).
    state = model.state_dict()
    with safe_open(str(path / "model.safetensors"), "pt") as f:
        embed = f.get_tensor("language_model.model.embed_tokens.weight")
    assert torch.equal(state["model.language_model.embed_tokens.weight"], embed)
