"""The audio tower of a Qwen2-Audio backbone: pretrained Whisper weights, and its states cached.

Whisper-style encoders take exactly 3000 mel frames (30 s); Qwen2AudioForConditionalGeneration
masks the padding of that window, so the states of a 5 s clip do not depend on the 25 s of
padding behind it. `window_states` computes those same states from the valid frames only
(plus the two padded frames the convolutions read at the boundary), which costs time in
proportion to the audio instead of a full 30 s window. Training with a frozen tower computes
them once per example (methods/feature_bank.py); inference keeps the model's own forward.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import torch

from methods.whisper_ct2 import encoder_state_dict, read_ct2, sizes

TOWERS = ("random", "whisper-tiny.en")
# Mel frames beyond the valid ones that conv1 (kernel 3) then conv2 (kernel 3, stride 2) read.
BOUNDARY_FRAMES = 2


def whisper_audio_sizes(path: str | Path | None = None) -> dict[str, int]:
    """ModelSizes overrides that make a Qwen2AudioEncoder the shape of the file's Whisper encoder."""
    from methods.whisper_ct2 import default_model_path

    s = sizes(read_ct2(path or default_model_path()))
    return {"audio_d_model": s.d_model, "audio_layers": s.encoder_layers, "audio_heads": s.heads,
            "audio_ffn_dim": s.ffn_dim, "audio_mel_bins": s.num_mel_bins}


def load_whisper_encoder(encoder: torch.nn.Module, path: str | Path | None = None) -> None:
    """Copy the Whisper encoder weights into a Qwen2AudioEncoder (every parameter, nothing left over)."""
    from methods.whisper_ct2 import default_model_path

    state = encoder_state_dict(read_ct2(path or default_model_path()))
    dtype = next(encoder.parameters()).dtype
    missing, unexpected = encoder.load_state_dict({k: v.to(dtype) for k, v in state.items()}, strict=False)
    if missing or unexpected:
        raise ValueError(f"Whisper weights do not fit the audio tower: missing {missing}, unexpected {unexpected}")


def window_states(tower: torch.nn.Module, mel: torch.Tensor, valid_frames: int) -> torch.Tensor:
    """The tower's output for one padded window, [audio tokens, d_model], as the masked forward gives it.

    `mel` is [mel bins, 3000] from the model's feature extractor, `valid_frames` its
    feature_attention_mask sum. Token count follows the processors: (L - 1) // 2 + 1 encoder
    positions, then an average pool of 2.
    """
    positions = (valid_frames - 1) // 2 + 1
    tokens = (positions - 2) // 2 + 1
    x = mel[None, :, : valid_frames + BOUNDARY_FRAMES].to(tower.conv1.weight.dtype)
    x = torch.nn.functional.gelu(tower.conv1(x))
    x = torch.nn.functional.gelu(tower.conv2(x))[:, :, :positions]
    h = x.permute(0, 2, 1) + tower.embed_positions.weight[:positions]
    for layer in tower.layers:
        h = layer(h, None)
        h = h[0] if isinstance(h, tuple) else h
    h = tower.avg_pooler(h.permute(0, 2, 1)).permute(0, 2, 1)
    return tower.layer_norm(h)[0, :tokens]


def tower(model: torch.nn.Module) -> torch.nn.Module:
    """The audio encoder of a Qwen2AudioForConditionalGeneration."""
    return model.model.audio_tower


def embed_with_audio(model: torch.nn.Module, input_ids: torch.Tensor, states: list[torch.Tensor],
                     audio_token_id: int) -> torch.Tensor:
    """Token embeddings with the tower states of every window, through the model's multimodal
    projector, written at the audio placeholders (batch 1): what the model's own forward feeds
    its language model."""
    projector = model.model.multi_modal_projector
    audio = projector(torch.cat(states).to(projector.linear.weight.dtype))
    embeds = model.get_input_embeddings()(input_ids)
    where = (input_ids[0] == audio_token_id).nonzero().flatten()
    if len(where) != audio.shape[0]:
        raise ValueError(f"{len(where)} audio placeholders for {audio.shape[0]} audio states")
    embeds = embeds.clone()
    embeds[0, where] = audio.to(embeds.dtype)
    return embeds


def as_numpy_f16(states: list[torch.Tensor]) -> list[np.ndarray]:
    return [s.detach().to(torch.float16).numpy() for s in states]
