"""Loading audio LMs of the Qwen2-Audio family and the Qwen2.5-Omni thinker from a local path:
the model class, the processor (with an audio-only fallback for Omni without torchvision), and
the processors' audio token arithmetic. Full-size and tiny checkpoints go through the same code.

Audio token arithmetic (both architectures, Whisper front end, 16 kHz, hop 160 -> 100 mel frames/s)
-----------------------------------------------------------------------------------------------------
mel frames L -> conv (stride 2): (L - 1) // 2 + 1 -> avg-pool (stride 2): (x - 2) // 2 + 1 audio tokens,
i.e. 3000 frames (30 s) -> 1500 encoder positions -> 750 tokens: 25 tokens/s, one per 40 ms. A 5 s clip
gives 500 frames -> 250 -> 125 tokens (see :func:`expected_audio_tokens`). Both processors force
``padding="max_length"`` on the feature extractor (features padded to 3000 frames) and expand
``<|AUDIO|>`` from ``feature_attention_mask.sum()``, so the count follows the real duration. The
feature extractor truncates at ``n_samples`` = 30 s by default (``truncation=True``): 40 s of audio
silently become 750 tokens. See the tests for the knobs.
"""
from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

SAMPLING_RATE = 16000
#: Mel frames per second of audio (Whisper hop length 160 at 16 kHz).
MEL_FRAMES_PER_SECOND = 100
#: Audio placeholder tokens per second after the encoder (conv stride 2, avg pool stride 2).
AUDIO_TOKENS_PER_SECOND = 25
#: Seconds of audio one audio token covers.
SECONDS_PER_AUDIO_TOKEN = 0.04
#: The Whisper window: what the feature extractor keeps by default.
MAX_AUDIO_SECONDS = 30.0

ARCHITECTURES = ("qwen2-audio", "qwen2.5-omni-thinker")

# Named multimodal tokens the processors read off the tokenizer (Qwen2.5-Omni's tokenizer_config.json
# has exactly these; Qwen2AudioProcessor reads audio_token / audio_bos_token / audio_eos_token if present).
MULTIMODAL_TOKENS = {
    "audio_token": "<|AUDIO|>",
    "audio_bos_token": "<|audio_bos|>",
    "audio_eos_token": "<|audio_eos|>",
    "image_token": "<|IMAGE|>",
    "video_token": "<|VIDEO|>",
    "vision_bos_token": "<|vision_bos|>",
    "vision_eos_token": "<|vision_eos|>",
}


def expected_audio_tokens(seconds: float, *, truncate: bool = True) -> int:
    """Audio placeholder tokens the processors give for ``seconds`` of 16 kHz audio.

    Mirrors the processors: mel frames = ceil(samples / 160) (the attention mask of the Whisper
    feature extractor, capped at 3000 when truncating), then ``(L - 1) // 2 + 1`` and
    ``(x - 2) // 2 + 1``.
    """
    samples = round(seconds * SAMPLING_RATE)
    if truncate:
        samples = min(samples, int(MAX_AUDIO_SECONDS * SAMPLING_RATE))
    frames = -(-samples // (SAMPLING_RATE // MEL_FRAMES_PER_SECOND))
    if frames <= 0:
        return 0
    return (((frames - 1) // 2 + 1) - 2) // 2 + 1


def torchvision_available() -> bool:
    try:
        import torchvision  # noqa: F401
    except Exception:  # ImportError, or a CUDA build failing to load against torch+cpu
        return False
    return True


def _omni_audio_processor_class():
    from transformers import Qwen2_5OmniProcessor
    from transformers.processing_utils import ProcessorMixin

    class _NoVision:
        """Stands in for the image / video processors: only their merge size is read for audio."""

        merge_size = 2
        temporal_patch_size = 2
        model_input_names: list[str] = []

    class Qwen2_5OmniAudioProcessor(Qwen2_5OmniProcessor):
        """``Qwen2_5OmniProcessor`` for text + audio where torchvision is unavailable.

        Its ``__call__`` is the real one (inherited): same feature extraction (``padding="max_length"``
        forced, ``feature_attention_mask``), same ``<|AUDIO|>`` expansion, same tokenizer kwargs. Passing
        ``images=`` or ``videos=`` raises.
        """

        def __init__(self, feature_extractor=None, tokenizer=None, chat_template=None):
            ProcessorMixin.__init__(self, feature_extractor, tokenizer, chat_template=chat_template)
            self.image_processor = _NoVision()
            self.video_processor = _NoVision()
            for name in MULTIMODAL_TOKENS:
                setattr(self, name, getattr(self.tokenizer, name))

        def __call__(self, text=None, images=None, videos=None, audio=None, **kwargs):
            if images is not None or videos is not None:
                raise ValueError("Qwen2_5OmniAudioProcessor handles text and audio only (no torchvision)")
            return super().__call__(text=text, audio=audio, **kwargs)

        @property
        def model_input_names(self):
            names = self.tokenizer.model_input_names + self.feature_extractor.model_input_names
            return list(dict.fromkeys(names + ["feature_attention_mask"]))

    return Qwen2_5OmniAudioProcessor


def load_processor(path: str | os.PathLike):
    """``AutoProcessor.from_pretrained(path)``; for an Omni checkpoint without torchvision, the audio-only
    :class:`Qwen2_5OmniAudioProcessor` built from the same files."""
    from transformers import AutoProcessor

    path = Path(path)
    processor_class = json.loads((path / "processor_config.json").read_text()).get("processor_class")
    if processor_class == "Qwen2_5OmniProcessor" and not torchvision_available():
        from transformers import AutoTokenizer, WhisperFeatureExtractor

        cls = _omni_audio_processor_class()
        return cls(
            feature_extractor=WhisperFeatureExtractor.from_pretrained(path),
            tokenizer=AutoTokenizer.from_pretrained(path),
            chat_template=(path / "chat_template.jinja").read_text(),
        )
    return AutoProcessor.from_pretrained(path)


def __getattr__(name: str) -> Any:
    if name == "Qwen2_5OmniAudioProcessor":
        return _omni_audio_processor_class()
    raise AttributeError(name)


def model_class(arch: str):
    """The class to load a checkpoint of ``arch`` with (``from_pretrained``)."""
    if arch == "qwen2-audio":
        from transformers import Qwen2AudioForConditionalGeneration

        return Qwen2AudioForConditionalGeneration
    if arch == "qwen2.5-omni-thinker":
        from transformers import Qwen2_5OmniThinkerForConditionalGeneration

        return Qwen2_5OmniThinkerForConditionalGeneration
    raise ValueError(f"unknown architecture {arch!r}; expected one of {ARCHITECTURES}")


# transformers 5.x writes Qwen2-Audio's language model as language_model.model.model.* (its
# save-time renaming applies twice); the hub checkpoints, and vLLM, use language_model.model.*.
HUB_LAYOUT = {"qwen2_audio": {"language_model.model.model.": "language_model.model."}}


def save_pretrained(model: Any, path: str | os.PathLike) -> None:
    """`model.save_pretrained(path)` with the weights named as in the hub checkpoints."""
    model.save_pretrained(path, safe_serialization=True)
    renames = HUB_LAYOUT.get(model.config.model_type)
    if renames:
        rename_weights(Path(path), renames)


def rename_weights(path: Path, renames: dict[str, str]) -> int:
    """Renames weight-name prefixes in every safetensors file (and the shard index) of a checkpoint."""
    from safetensors.torch import load_file, save_file

    def renamed(key: str) -> str:
        for old, new in renames.items():
            if key.startswith(old):
                return new + key[len(old):]
        return key

    count = 0
    for file in sorted(path.glob("*.safetensors")):
        tensors = load_file(file)
        if any(renamed(k) != k for k in tensors):
            count += sum(renamed(k) != k for k in tensors)
            save_file({renamed(k): v.contiguous() for k, v in tensors.items()}, file, metadata={"format": "pt"})
    index = path / "model.safetensors.index.json"
    if index.exists():
        data = json.loads(index.read_text())
        data["weight_map"] = {renamed(k): v for k, v in data["weight_map"].items()}
        index.write_text(json.dumps(data, indent=2) + "\n")
    return count
