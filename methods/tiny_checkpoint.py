"""Tiny but real Qwen2-Audio and Qwen2.5-Omni (thinker) checkpoints, built offline.

The checkpoints are randomly initialised models of the real architectures, written with
``save_pretrained`` beside a real processor (Whisper feature extractor, a Qwen2 byte-level BPE
tokenizer trained here, the real chat template), so they load through exactly the code path a
full-size hub checkpoint takes: ``AutoProcessor.from_pretrained(path)`` and
``<ModelClass>.from_pretrained(path)`` with ``HF_HUB_OFFLINE=1``. No hub, no network.

Layouts
-------
``qwen2-audio``
    ``Qwen2AudioForConditionalGeneration`` + ``Qwen2AudioProcessor``, as ``Qwen/Qwen2-Audio-7B-Instruct``.
``qwen2.5-omni-thinker``
    Saved like ``Qwen/Qwen2.5-Omni-7B``: a ``Qwen2_5OmniConfig`` (model_type ``qwen2_5_omni``) whose
    weights are the thinker's, prefixed ``thinker.``; built with ``enable_audio_output=False`` so there
    are no talker / token2wav weights. ``Qwen2_5OmniThinkerForConditionalGeneration.from_pretrained``
    loads it (as it loads the hub checkpoint; this is what the paper's code does) and so does
    ``Qwen2_5OmniForConditionalGeneration``. The processor files are those of
    ``Qwen2_5OmniProcessor`` (Whisper feature extractor + Qwen2-VL image and video processors +
    tokenizer + chat template).

    ``Qwen2_5OmniProcessor`` cannot be constructed (nor loaded) without torchvision: its
    ``video_processor`` is ``Qwen2VLVideoProcessor``, which imports torchvision, and even passing
    ``video_processor=None`` fails in ``ProcessorMixin.check_argument_for_proper_class`` because the
    video-processor auto mapping is a torchvision placeholder. With torch ``+cpu`` no torchvision can be
    installed from PyPI (the PyPI wheel links ``libc10_cuda.so``; CPU wheels live only on the PyTorch
    index). So when torchvision is missing, :func:`build_checkpoint` writes the very same
    ``processor_config.json`` by hand, and :func:`methods.loading.load_processor` falls back to
    ``Qwen2_5OmniAudioProcessor``: a subclass of the real processor that drops the image and video
    sub-processors but runs the real ``Qwen2_5OmniProcessor.__call__`` (same feature extraction, same
    ``<|AUDIO|>`` expansion) for text + audio. ``load_processor`` returns the real processor wherever
    torchvision imports.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from methods.loading import ARCHITECTURES, MULTIMODAL_TOKENS, SAMPLING_RATE, save_pretrained, torchvision_available

# Qwen's added tokens, in the order (and so the relative ids) of the real vocabulary, where
# <|endoftext|> is 151643 and <|VIDEO|> 151656. All are appended after the trained BPE vocabulary.
SPECIAL_TOKENS = (
    "<|endoftext|>",
    "<|im_start|>",
    "<|im_end|>",
    "<|AUDIO|>",
    "<|audio_bos|>",
    "<|audio_eos|>",
    "<|box_end|>",
    "<|quad_start|>",
    "<|quad_end|>",
    "<|vision_bos|>",
    "<|vision_eos|>",
    "<|vision_pad|>",
    "<|IMAGE|>",
    "<|VIDEO|>",
)

# Characters that must each be one token of their own in the vocabulary (timestamps as JSON).
REQUIRED_SINGLE_TOKENS = tuple("0123456789") + tuple('.":,[]{}')

# Qwen2's pre-tokenizer split (digits are always split one by one), as in Qwen2Tokenizer.
PRETOKENIZE_REGEX = (
    r"""(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+"""
)

# Qwen/Qwen2-Audio-7B-Instruct's chat template (also Qwen2AudioProcessor.default_chat_template),
# with ``content['type'] == 'audio'`` accepted too so {"type": "audio", "path"/"url": ...} parts
# work; the rendered text is identical to the hub template's.
QWEN2_AUDIO_CHAT_TEMPLATE = (
    "{% set audio_count = namespace(value=0) %}"
    "{% for message in messages %}"
    "{% if loop.first and message['role'] != 'system' %}"
    "<|im_start|>system\nYou are a helpful assistant.<|im_end|>\n"
    "{% endif %}"
    "<|im_start|>{{ message['role'] }}\n"
    "{% if message['content'] is string %}"
    "{{ message['content'] }}<|im_end|>\n"
    "{% else %}"
    "{% for content in message['content'] %}"
    "{% if 'audio' in content or 'audio_url' in content or content['type'] == 'audio' %}"
    "{% set audio_count.value = audio_count.value + 1 %}"
    "Audio {{ audio_count.value }}: <|audio_bos|><|AUDIO|><|audio_eos|>\n"
    "{% elif 'text' in content %}"
    "{{ content['text'] }}"
    "{% endif %}"
    "{% endfor %}"
    "<|im_end|>\n"
    "{% endif %}"
    "{% endfor %}"
    "{% if add_generation_prompt %}"
    "<|im_start|>assistant\n"
    "{% endif %}"
)

# Qwen/Qwen2.5-Omni-7B's chat template, verbatim.
QWEN2_5_OMNI_CHAT_TEMPLATE = (
    "{% set audio_count = namespace(value=0) %}{% set image_count = namespace(value=0) %}"
    "{% set video_count = namespace(value=0) %}"
    "{% for message in messages %}"
    "{% if loop.first and message['role'] != 'system' %}"
    "<|im_start|>system\nYou are a helpful assistant.<|im_end|>\n"
    "{% endif %}"
    "<|im_start|>{{ message['role'] }}\n"
    "{% if message['content'] is string %}"
    "{{ message['content'] }}<|im_end|>\n"
    "{% else %}"
    "{% for content in message['content'] %}"
    "{% if content['type'] == 'image' or 'image' in content or 'image_url' in content %}"
    "{% set image_count.value = image_count.value + 1 %}"
    "{% if add_vision_id %}Picture {{ image_count.value }}: {% endif %}"
    "<|vision_bos|><|IMAGE|><|vision_eos|>"
    "{% elif content['type'] == 'audio' or 'audio' in content or 'audio_url' in content %}"
    "{% set audio_count.value = audio_count.value + 1 %}"
    "{% if add_audio_id %}Audio {{ audio_count.value }}: {% endif %}"
    "<|audio_bos|><|AUDIO|><|audio_eos|>"
    "{% elif content['type'] == 'video' or 'video' in content %}"
    "{% set video_count.value = video_count.value + 1 %}"
    "{% if add_vision_id %}Video {{ video_count.value }}: {% endif %}"
    "<|vision_bos|><|VIDEO|><|vision_eos|>"
    "{% elif 'text' in content %}"
    "{{ content['text'] }}"
    "{% endif %}"
    "{% endfor %}"
    "<|im_end|>\n"
    "{% endif %}"
    "{% endfor %}"
    "{% if add_generation_prompt %}"
    "<|im_start|>assistant\n"
    "{% endif %}"
)

CHAT_TEMPLATES = {
    "qwen2-audio": QWEN2_AUDIO_CHAT_TEMPLATE,
    "qwen2.5-omni-thinker": QWEN2_5_OMNI_CHAT_TEMPLATE,
}


# --------------------------------------------------------------------------------------- tokenizer


def build_tokenizer(corpus: Iterable[str], vocab_size: int = 2000):
    """A Qwen2-style byte-level BPE tokenizer trained on ``corpus``.

    Same normaliser (NFC), pre-tokeniser (Qwen2's regex split, digits one by one, then byte level)
    and decoder as ``Qwen2Tokenizer``; returned as a ``Qwen2Tokenizer`` (a
    ``PreTrainedTokenizerFast``) so a saved checkpoint names the real tokenizer class. ``vocab_size``
    counts everything, the 14 Qwen special tokens included (the trainer may stop short of it on a
    small corpus). All 256 bytes are in the vocabulary, so every digit and ``.":,[]{}`` is a token.
    eos = ``<|im_end|>`` (the chat turn end), pad = unk = ``<|endoftext|>``, no bos, as in Qwen's
    instruct tokenizers; the multimodal tokens are named attributes (``tokenizer.audio_token``,
    ``tokenizer.audio_token_id``, ...).
    """
    from tokenizers import Regex, Tokenizer, decoders, models, normalizers, pre_tokenizers, trainers
    from transformers import Qwen2Tokenizer

    n_special = len(SPECIAL_TOKENS)
    alphabet = pre_tokenizers.ByteLevel.alphabet()
    if vocab_size < len(alphabet) + n_special:
        raise ValueError(f"vocab_size must be at least {len(alphabet) + n_special} (bytes + special tokens)")

    backend = Tokenizer(models.BPE())
    backend.normalizer = normalizers.NFC()
    backend.pre_tokenizer = pre_tokenizers.Sequence(
        [
            pre_tokenizers.Split(Regex(PRETOKENIZE_REGEX), behavior="isolated", invert=False),
            pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=False),
        ]
    )
    backend.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=vocab_size - n_special,
        min_frequency=2,
        special_tokens=[],
        initial_alphabet=alphabet,
        show_progress=False,
    )
    backend.train_from_iterator((str(line) for line in corpus), trainer=trainer)
    model = json.loads(backend.to_str())["model"]
    vocab: dict[str, int] = dict(model["vocab"])
    merges = [tuple(m) if isinstance(m, list) else tuple(m.split(" ")) for m in model["merges"]]
    # The special tokens take the ids right after the BPE vocabulary, in Qwen's order.
    for token in SPECIAL_TOKENS:
        vocab[token] = len(vocab)

    tokenizer = Qwen2Tokenizer(
        vocab=vocab,
        merges=merges,
        unk_token=None,
        eos_token="<|im_end|>",
        pad_token="<|endoftext|>",
        extra_special_tokens=dict(MULTIMODAL_TOKENS),
        model_max_length=32768,
    )
    from tokenizers import AddedToken

    tokenizer.add_special_tokens(
        {"extra_special_tokens": [AddedToken(t, special=True, normalized=False) for t in SPECIAL_TOKENS]},
        replace_extra_special_tokens=False,
    )
    _check_tokenizer(tokenizer)
    return tokenizer


def _check_tokenizer(tokenizer) -> None:
    size = len(tokenizer)
    for token in SPECIAL_TOKENS:
        ids = tokenizer.encode(token, add_special_tokens=False)
        if len(ids) != 1 or tokenizer.convert_tokens_to_ids(token) != ids[0] or ids[0] >= size:
            raise AssertionError(f"special token {token!r} is not a single token: {ids}")
    for char in REQUIRED_SINGLE_TOKENS:
        ids = tokenizer.encode(char, add_special_tokens=False)
        if len(ids) != 1:
            raise AssertionError(f"{char!r} is not a single token: {ids}")


def token_ids(tokenizer) -> dict[str, int]:
    """Ids of the special tokens the configs need, read off the tokenizer."""
    ids = {t: tokenizer.convert_tokens_to_ids(t) for t in SPECIAL_TOKENS}
    user = tokenizer.encode("user", add_special_tokens=False)
    return {
        "endoftext": ids["<|endoftext|>"],
        "im_start": ids["<|im_start|>"],
        "im_end": ids["<|im_end|>"],
        "audio": ids["<|AUDIO|>"],
        "audio_bos": ids["<|audio_bos|>"],
        "audio_eos": ids["<|audio_eos|>"],
        "vision_bos": ids["<|vision_bos|>"],
        "vision_eos": ids["<|vision_eos|>"],
        "vision_pad": ids["<|vision_pad|>"],
        "image": ids["<|IMAGE|>"],
        "video": ids["<|VIDEO|>"],
        "user": user[0] if len(user) == 1 else ids["<|im_start|>"],
    }


# ----------------------------------------------------------------------------------------- configs


def tiny_qwen2_audio_config(
    vocab_size: int,
    *,
    audio_token_id: int,
    pad_token_id: int | None = None,
    eos_token_id: int | list[int] | None = None,
    text_hidden_size: int = 128,
    text_layers: int = 2,
    text_heads: int = 2,
    text_kv_heads: int = 1,
    text_intermediate_size: int = 256,
    audio_d_model: int = 64,
    audio_layers: int = 2,
    audio_heads: int = 1,
    audio_ffn_dim: int = 128,
    audio_mel_bins: int = 128,
    max_position_embeddings: int = 8192,
):
    """A tiny ``Qwen2AudioConfig``: Whisper-style encoder + Qwen2 decoder.

    Head dims default to 64 on both sides (vLLM's CPU attention rejects 16). The front end stays
    the real one: 128 mel bins (80 for a Whisper tiny.en tower), ``max_source_positions=1500``
    (3000 mel frames = 30 s).
    """
    from transformers import Qwen2AudioConfig

    _check_heads(text_hidden_size, text_heads, "text")
    _check_heads(audio_d_model, audio_heads, "audio")
    audio_config = {
        "model_type": "qwen2_audio_encoder",
        "d_model": audio_d_model,
        "encoder_layers": audio_layers,
        "encoder_attention_heads": audio_heads,
        "encoder_ffn_dim": audio_ffn_dim,
        "num_mel_bins": audio_mel_bins,
        "max_source_positions": 1500,
    }
    text_config = {
        "model_type": "qwen2",
        "vocab_size": vocab_size,
        "hidden_size": text_hidden_size,
        "intermediate_size": text_intermediate_size,
        "num_hidden_layers": text_layers,
        "num_attention_heads": text_heads,
        "num_key_value_heads": text_kv_heads,
        "max_position_embeddings": max_position_embeddings,
        "rms_norm_eps": 1e-6,
        "tie_word_embeddings": False,
        "pad_token_id": pad_token_id,
        "eos_token_id": eos_token_id,
        "rope_parameters": {"rope_type": "default", "rope_theta": 1000000.0},
    }
    return Qwen2AudioConfig(audio_config=audio_config, text_config=text_config, audio_token_index=audio_token_id)


def tiny_omni_thinker_config(
    vocab_size: int,
    *,
    token_ids: dict[str, int],
    text_hidden_size: int = 128,
    text_layers: int = 2,
    text_heads: int = 2,
    text_kv_heads: int = 1,
    text_intermediate_size: int = 256,
    audio_d_model: int = 64,
    audio_layers: int = 2,
    audio_heads: int = 1,
    audio_ffn_dim: int = 128,
    vision_hidden_size: int = 64,
    vision_depth: int = 1,
    vision_heads: int = 1,
    vision_intermediate_size: int = 128,
    max_position_embeddings: int = 8192,
):
    """A tiny ``Qwen2_5OmniThinkerConfig`` (audio encoder + vision encoder + Qwen2.5 decoder with M-RoPE).

    ``token_ids`` is :func:`token_ids` of the tokenizer. The M-RoPE sections are the real
    ``[16, 24, 24]`` scaled to the head dim (they must sum to head_dim / 2). The audio encoder keeps
    the real front end: 128 mel bins, ``max_source_positions=1500``, ``n_window=100`` (it encodes in
    2 s chunks, so unlike Qwen2-Audio it accepts more than 30 s of features).
    """
    from transformers import Qwen2_5OmniThinkerConfig

    head_dim = _check_heads(text_hidden_size, text_heads, "text")
    _check_heads(audio_d_model, audio_heads, "audio")
    _check_heads(vision_hidden_size, vision_heads, "vision")
    half = head_dim // 2
    mrope_section = [half // 4, 3 * half // 8, half - half // 4 - 3 * half // 8]
    ids = token_ids
    audio_config = {
        "d_model": audio_d_model,
        "encoder_layers": audio_layers,
        "encoder_attention_heads": audio_heads,
        "encoder_ffn_dim": audio_ffn_dim,
        "num_mel_bins": 128,
        "max_source_positions": 1500,
        "n_window": 100,
        "output_dim": text_hidden_size,
    }
    vision_config = {
        "depth": vision_depth,
        "hidden_size": vision_hidden_size,
        "intermediate_size": vision_intermediate_size,
        "num_heads": vision_heads,
        "in_channels": 3,
        "patch_size": 14,
        "spatial_merge_size": 2,
        "temporal_patch_size": 2,
        "window_size": 112,
        "out_hidden_size": text_hidden_size,
        "fullatt_block_indexes": [vision_depth - 1],
    }
    text_config = {
        "vocab_size": vocab_size,
        "hidden_size": text_hidden_size,
        "intermediate_size": text_intermediate_size,
        "num_hidden_layers": text_layers,
        "num_attention_heads": text_heads,
        "num_key_value_heads": text_kv_heads,
        "max_position_embeddings": max_position_embeddings,
        "rms_norm_eps": 1e-6,
        "tie_word_embeddings": False,
        "pad_token_id": ids["endoftext"],
        "eos_token_id": ids["im_end"],
        "rope_parameters": {"rope_type": "default", "rope_theta": 1000000.0, "mrope_section": mrope_section},
    }
    return Qwen2_5OmniThinkerConfig(
        audio_config=audio_config,
        vision_config=vision_config,
        text_config=text_config,
        audio_token_index=ids["audio"],
        image_token_index=ids["image"],
        video_token_index=ids["video"],
        audio_start_token_id=ids["audio_bos"],
        audio_end_token_id=ids["audio_eos"],
        user_token_id=ids["user"],
        # Present in the hub checkpoint's thinker_config and read by get_rope_index for images/video.
        vision_start_token_id=ids["vision_bos"],
        vision_end_token_id=ids["vision_eos"],
        vision_token_id=ids["vision_pad"],
        bos_token_id=ids["endoftext"],
        eos_token_id=ids["im_end"],
        pad_token_id=ids["endoftext"],
    )


def _check_heads(hidden: int, heads: int, what: str) -> int:
    if hidden % heads:
        raise ValueError(f"{what}: hidden size {hidden} is not divisible by {heads} heads")
    return hidden // heads


# -------------------------------------------------------------------------------------- processors


def _feature_extractor(feature_size: int = 128):
    from transformers import WhisperFeatureExtractor

    # The values of both hub checkpoints' preprocessor_config.json (Whisper tiny.en: 80 mel bins).
    return WhisperFeatureExtractor(
        feature_size=feature_size,
        sampling_rate=SAMPLING_RATE,
        hop_length=160,
        chunk_length=30,
        n_fft=400,
        padding_value=0.0,
        padding_side="right",
        return_attention_mask=True,
        dither=0.0,
    )


# The Qwen2-VL image and video processors of the hub checkpoint share these values.
_QWEN2VL_VISION = {
    "do_convert_rgb": True,
    "do_normalize": True,
    "do_rescale": True,
    "do_resize": True,
    "image_mean": [0.48145466, 0.4578275, 0.40821073],
    "image_std": [0.26862954, 0.26130258, 0.27577711],
    "merge_size": 2,
    "patch_size": 14,
    "resample": 3,
    "rescale_factor": 0.00392156862745098,
    "temporal_patch_size": 2,
}
_OMNI_IMAGE_PROCESSOR = {
    "image_processor_type": "Qwen2VLImageProcessor",
    **_QWEN2VL_VISION,
    "size": {"longest_edge": 12845056, "shortest_edge": 3136},
}
_OMNI_VIDEO_PROCESSOR = {
    "video_processor_type": "Qwen2VLVideoProcessor",
    **_QWEN2VL_VISION,
    "do_sample_frames": False,
    "size": {"longest_edge": 602112, "shortest_edge": 100352},
    "min_frames": 4,
    "max_frames": 768,
}


def _save_omni_processor(out_dir: Path, tokenizer) -> None:
    """Write Qwen2_5OmniProcessor's files: real save_pretrained if torchvision imports, else by hand."""
    if torchvision_available():
        from transformers import Qwen2_5OmniProcessor, Qwen2VLImageProcessor, Qwen2VLVideoProcessor

        image = {k: v for k, v in _OMNI_IMAGE_PROCESSOR.items() if k != "image_processor_type"}
        video = {k: v for k, v in _OMNI_VIDEO_PROCESSOR.items() if k != "video_processor_type"}
        processor = Qwen2_5OmniProcessor(
            image_processor=Qwen2VLImageProcessor(**image),
            video_processor=Qwen2VLVideoProcessor(**video),
            feature_extractor=_feature_extractor(),
            tokenizer=tokenizer,
            chat_template=QWEN2_5_OMNI_CHAT_TEMPLATE,
        )
        processor.save_pretrained(out_dir)
        return
    tokenizer.save_pretrained(out_dir)
    # The layout ProcessorMixin.save_pretrained writes (transformers 5): one processor_config.json
    # holding every non-tokenizer sub-processor, and the template in chat_template.jinja.
    tokenizer_config_path = out_dir / "tokenizer_config.json"
    tokenizer_config = json.loads(tokenizer_config_path.read_text())
    tokenizer_config["processor_class"] = "Qwen2_5OmniProcessor"
    tokenizer_config_path.write_text(json.dumps(tokenizer_config, indent=2, sort_keys=True) + "\n")
    processor_config = {
        "feature_extractor": _feature_extractor().to_dict(),
        "image_processor": dict(_OMNI_IMAGE_PROCESSOR),
        "video_processor": dict(_OMNI_VIDEO_PROCESSOR),
        "processor_class": "Qwen2_5OmniProcessor",
    }
    processor_config["feature_extractor"].pop("processor_class", None)
    (out_dir / "processor_config.json").write_text(json.dumps(processor_config, indent=2, sort_keys=True) + "\n")
    (out_dir / "chat_template.jinja").write_text(QWEN2_5_OMNI_CHAT_TEMPLATE)


# -------------------------------------------------------------------------------------- checkpoints


def build_checkpoint(
    arch: str,
    out_dir: str | os.PathLike,
    tokenizer,
    seed: int = 0,
    dtype: str = "float32",
    audio_tower: str = "random",
    **sizes: Any,
) -> Path:
    """Build a tiny checkpoint of ``arch`` into ``out_dir`` and return the path.

    Writes ``config.json``, ``generation_config.json``, ``model.safetensors``, the tokenizer, the
    processor config and ``chat_template.jinja`` with ``save_pretrained``. ``sizes`` go to
    :func:`tiny_qwen2_audio_config` / :func:`tiny_omni_thinker_config` (e.g. ``text_layers=1``).
    ``dtype`` is what the weights are stored in (``"float32"``, ``"float16"`` or ``"bfloat16"``).
    Everything is randomly initialised, except the audio tower with ``audio_tower="whisper-tiny.en"``
    (Qwen2-Audio only): Whisper tiny.en's encoder (methods/whisper_ct2.py), sizes taken from it.
    """
    from transformers.utils import logging as hf_logging

    verbosity = hf_logging.get_verbosity()
    # Saving a Qwen2_5OmniConfig diffs it against a default Qwen2_5OmniConfig(), whose default talker
    # config warns about its own hub token ids (151647...) lying outside its codec vocabulary;
    # nothing of ours is concerned. Loading is quiet.
    hf_logging.set_verbosity_error()
    try:
        return _build_checkpoint(arch, out_dir, tokenizer, seed, dtype, audio_tower, **sizes)
    finally:
        hf_logging.set_verbosity(verbosity)


def _build_checkpoint(
    arch: str,
    out_dir: str | os.PathLike,
    tokenizer,
    seed: int = 0,
    dtype: str = "float32",
    audio_tower: str = "random",
    **sizes: Any,
) -> Path:
    import torch
    from transformers import GenerationConfig

    if arch not in ARCHITECTURES:
        raise ValueError(f"unknown architecture {arch!r}; expected one of {ARCHITECTURES}")
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    ids = token_ids(tokenizer)
    vocab_size = len(tokenizer)
    torch_dtype = getattr(torch, dtype)
    generation_config = GenerationConfig(
        bos_token_id=ids["endoftext"],
        eos_token_id=[ids["im_end"], ids["endoftext"]],
        pad_token_id=ids["endoftext"],
        do_sample=False,
    )

    torch.manual_seed(seed)
    if audio_tower != "random" and arch != "qwen2-audio":
        raise ValueError(f"a pretrained audio tower is built for qwen2-audio only, not {arch}")
    if arch == "qwen2-audio":
        from transformers import Qwen2AudioForConditionalGeneration, Qwen2AudioProcessor

        if audio_tower == "whisper-tiny.en":
            from methods.audio_tower import whisper_audio_sizes

            sizes = {**sizes, **whisper_audio_sizes()}
        elif audio_tower != "random":
            raise ValueError(f"unknown audio tower {audio_tower!r}; expected random or whisper-tiny.en")
        config = tiny_qwen2_audio_config(
            vocab_size,
            audio_token_id=ids["audio"],
            pad_token_id=ids["endoftext"],
            eos_token_id=ids["im_end"],
            **sizes,
        )
        model = Qwen2AudioForConditionalGeneration(config)
        if audio_tower == "whisper-tiny.en":
            from methods.audio_tower import load_whisper_encoder

            load_whisper_encoder(model.model.audio_tower)
        processor = Qwen2AudioProcessor(
            feature_extractor=_feature_extractor(config.audio_config.num_mel_bins), tokenizer=tokenizer,
            chat_template=QWEN2_AUDIO_CHAT_TEMPLATE,
        )
        processor.save_pretrained(out)
    else:
        from transformers import Qwen2_5OmniConfig, Qwen2_5OmniForConditionalGeneration

        thinker = tiny_omni_thinker_config(vocab_size, token_ids=ids, **sizes)
        # The hub layout: the thinker nested in a Qwen2_5OmniConfig, weights prefixed "thinker.".
        # No talker / token2wav weights (enable_audio_output=False); their configs stay at defaults.
        # The talker's token ids are pointed into this vocabulary so its (unused) config validates
        # quietly; the hub ids (151646...151861) would lie outside it.
        talker = {
            "audio_token_index": ids["audio"],
            "image_token_index": ids["image"],
            "video_token_index": ids["video"],
            "vision_start_token_id": ids["vision_bos"],
            "vision_end_token_id": ids["vision_eos"],
            "audio_start_token_id": ids["audio_bos"],
            "audio_end_token_id": ids["audio_eos"],
            "tts_text_pad_token_id": ids["endoftext"],
            "tts_text_start_token_id": ids["im_start"],
            "tts_text_end_token_id": ids["im_end"],
        }
        config = Qwen2_5OmniConfig(thinker_config=thinker, talker_config=talker, enable_audio_output=False)
        model = Qwen2_5OmniForConditionalGeneration(config)
        _save_omni_processor(out, tokenizer)

    model = model.to(torch_dtype).eval()
    model.generation_config = generation_config
    save_pretrained(model, out)
    if arch == "qwen2.5-omni-thinker":
        # The thinker class reads generation_config.json too; keep it the thinker's (text) one.
        generation_config.save_pretrained(out)
    return out


def checkpoint_size(path: str | os.PathLike) -> int:
    """Bytes on disk of every file in a checkpoint directory."""
    return sum(p.stat().st_size for p in Path(path).rglob("*") if p.is_file())


def _main(argv: list[str] | None = None) -> None:
    import argparse

    parser = argparse.ArgumentParser(description="Build a tiny, randomly initialised audio LM checkpoint.")
    parser.add_argument("arch", choices=ARCHITECTURES)
    parser.add_argument("out_dir")
    parser.add_argument("--vocab-size", type=int, default=2000)
    parser.add_argument("--corpus", help="text file, one line per sample (default: a built-in sample)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--dtype", default="float32")
    args = parser.parse_args(argv)
    if args.corpus:
        corpus = Path(args.corpus).read_text().splitlines()
    else:
        corpus = _default_corpus()
    tokenizer = build_tokenizer(corpus, vocab_size=args.vocab_size)
    out = build_checkpoint(args.arch, args.out_dir, tokenizer, seed=args.seed, dtype=args.dtype)
    print(f"{out}: {checkpoint_size(out) / 1e6:.2f} MB")


def _default_corpus() -> list[str]:
    words = (
        "the a of and to in is was he for it with as his on be at by i this had not are but from or have an they "
        "which one you were her all she there would their we him been has when who will more no if out so said "
        "what up its about into than them can only other new some could time these two may then do first any "
        "my now such like our over man me even most made after also did many before must through back years "
        "where much your way well down should because each just those people how too little state good very "
        "make world still own see men work long get here between both life being under never day same another "
        "know while last might us great old year off come since against go came right used take three word "
        "start end speaker event when does occur occurrence start speaking cat dog"
    ).split()
    lines = [" ".join(words[i : i + 12]) for i in range(0, len(words), 12)]
    lines += [f'[{{"word": "{w}", "start": {i * 0.37:.2f}}}]' for i, w in enumerate(words)]
    lines += [f"[{i * 1.13:.2f}, {i * 2.71:.2f}]" for i in range(50)]
    lines += ["You are a helpful assistant.", "system user assistant", "Audio 1:"]
    return lines * 3


if __name__ == "__main__":
    _main()
