"""The audio LM backbone both timestamp methods share: one prompt, one prefill, hidden states in time.

Loads a Qwen2-Audio or Qwen2.5-Omni (thinker) checkpoint from a local path with transformers,
full-size or tiny, through the same code. The prompt is the question first, then the audio,
in the model's own chat template, so the audio states are conditioned on the query.

Long audio: Whisper-style encoders take exactly 3000 mel frames (30 s), and the processors
silently drop the rest. Audio is therefore cut into 30 s windows that enter one prompt as
several audio segments; each audio token is mapped back to absolute time (40 ms per token),
and `consumed_seconds` is measured from the audio tokens really present in the prompt.

Attention among audio tokens is causal, or bidirectional as in the paper (the causal mask is
opened between the first and last audio token). It is part of every result's settings;
vLLM attends causally, so a model served through it must be trained causal.
"""
from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch

from methods.loading import SECONDS_PER_AUDIO_TOKEN, expected_audio_tokens, load_processor, model_class

ATTENTION_MODES = ("causal", "bidirectional")
WINDOW_SECONDS = 30.0
SAMPLE_RATE = 16_000
# A tail shorter than two audio tokens gives the encoder nothing to pool; it is left out and
# shows up as audio not consumed.
MIN_WINDOW_SECONDS = 2 * SECONDS_PER_AUDIO_TOKEN
ARCH_OF_MODEL_TYPE = {"qwen2_audio": "qwen2-audio", "qwen2_5_omni": "qwen2.5-omni-thinker",
                      "qwen2_5_omni_thinker": "qwen2.5-omni-thinker"}


@dataclass
class AudioStates:
    hidden: torch.Tensor  # [tokens, hidden] last-layer states at the audio positions, in time order
    token_times: np.ndarray  # [tokens] start time of each audio token, absolute seconds
    consumed_seconds: float
    timings: dict[str, float] = field(default_factory=dict)


def windows(samples: np.ndarray, window_seconds: float = WINDOW_SECONDS,
            max_windows: int | None = None) -> list[np.ndarray]:
    step = int(window_seconds * SAMPLE_RATE)
    pieces = [samples[i : i + step] for i in range(0, len(samples), step)]
    pieces = [p for p in pieces if len(p) >= MIN_WINDOW_SECONDS * SAMPLE_RATE]
    return pieces[:max_windows] if max_windows else pieces


def audio_prompt(processor, question: str, n_windows: int) -> str:  # type: ignore[no-untyped-def]
    """The question, then one audio segment per window, in the processor's chat template."""
    content = [{"type": "text", "text": question.rstrip() + "\n"}]
    content += [{"type": "audio", "audio_url": f"window{i}"} for i in range(n_windows)]
    return processor.apply_chat_template([{"role": "user", "content": content}],
                                         add_generation_prompt=True, tokenize=False)


def detect_arch(path: str | Path) -> str:
    model_type = json.loads((Path(path) / "config.json").read_text()).get("model_type")
    if model_type not in ARCH_OF_MODEL_TYPE:
        raise ValueError(f"{path}: model_type {model_type!r} is not an audio LM this adapter loads; "
                         f"expected one of {sorted(ARCH_OF_MODEL_TYPE)}")
    return ARCH_OF_MODEL_TYPE[model_type]


class AudioLM:
    def __init__(self, path: str | Path, attention: str = "bidirectional", device: str = "cpu",
                 dtype: torch.dtype = torch.float32, max_windows: int | None = None) -> None:
        if attention not in ATTENTION_MODES:
            raise ValueError(f"attention must be one of {ATTENTION_MODES}, got {attention!r}")
        self.path, self.attention, self.device, self.max_windows = str(path), attention, device, max_windows
        self.arch = detect_arch(path)
        self.processor = load_processor(path)
        self.model = model_class(self.arch).from_pretrained(path, dtype=dtype).to(device).eval()
        self.audio_token_id = self.processor.tokenizer.convert_tokens_to_ids(self.processor.tokenizer.audio_token)
        self.eos_ids = set(self.model.generation_config.eos_token_id or [])
        if isinstance(self.model.generation_config.eos_token_id, int):
            self.eos_ids = {self.model.generation_config.eos_token_id}

    @property
    def hidden_size(self) -> int:
        return self.model.config.get_text_config().hidden_size

    def prompt(self, question: str, n_windows: int) -> str:
        return audio_prompt(self.processor, question, n_windows)

    def inputs(self, question: str, samples: np.ndarray) -> tuple[dict[str, torch.Tensor], list[float], list[int]]:
        """Model inputs, each window's start time and its number of audio tokens."""
        pieces = windows(samples, max_windows=self.max_windows)
        if not pieces:
            raise ValueError("audio shorter than one audio token")
        batch = self.processor(text=self.prompt(question, len(pieces)), audio=pieces, sampling_rate=SAMPLE_RATE,
                               return_tensors="pt")
        starts = [i * WINDOW_SECONDS for i in range(len(pieces))]
        counts = [expected_audio_tokens(len(p) / SAMPLE_RATE) for p in pieces]
        # Features follow the model's dtype (bf16 on GPUs); ids and masks stay integer.
        moved = {k: v.to(self.device, self.model.dtype) if v.is_floating_point() else v.to(self.device)
                 for k, v in batch.items()}
        return moved, starts, counts

    def cached_inputs(self, input_ids: np.ndarray, states: list[np.ndarray]) -> tuple[dict, list[float], list[int]]:
        """Inputs from a prompt's token ids and its tower states per window (methods/feature_bank.py):
        what `inputs` gives, with the tower's work already done."""
        ids = torch.as_tensor(input_ids, dtype=torch.long, device=self.device)[None]
        audio = [torch.as_tensor(s, device=self.device) for s in states]
        inputs = {"input_ids": ids, "attention_mask": torch.ones_like(ids), "audio_states": audio}
        return inputs, [i * WINDOW_SECONDS for i in range(len(states))], [len(s) for s in states]

    def _attention(self, inputs: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
        """The bidirectional variant: a 4D mask, causal except within the audio span."""
        if self.attention == "causal":
            return {}
        ids = inputs["input_ids"][0]
        where = (ids == self.audio_token_id).nonzero().flatten()
        n = ids.shape[0]
        mask = torch.tril(torch.ones(n, n, dtype=torch.bool, device=ids.device))
        mask[where.min() : where.max() + 1, where.min() : where.max() + 1] = True
        extra = {"attention_mask": mask[None, None]}
        if self.arch == "qwen2.5-omni-thinker":
            # Omni's multimodal rotary positions are derived from a 2D mask: compute them first.
            position_ids, deltas = self.model.get_rope_index(
                inputs["input_ids"], None, None, inputs["attention_mask"], False,
                inputs["feature_attention_mask"].sum(-1))
            self.model.rope_deltas = deltas
            extra["position_ids"] = position_ids
        return extra

    def _decode_positions(self, position: int) -> dict[str, torch.Tensor]:
        """Omni's rotary positions for one new token: text positions continue after the prompt's deltas."""
        if self.arch != "qwen2.5-omni-thinker":
            return {}
        base = torch.full((3, 1, 1), position, dtype=torch.long, device=self.device)
        return {"position_ids": base + self.model.rope_deltas.to(self.device)}

    def forward(self, inputs: dict[str, torch.Tensor], **kwargs: object):  # type: ignore[no-untyped-def]
        if "audio_states" in inputs:
            from methods.audio_tower import embed_with_audio

            embeds = embed_with_audio(self.model, inputs["input_ids"], inputs["audio_states"], self.audio_token_id)
            inputs = {"inputs_embeds": embeds, "attention_mask": inputs["attention_mask"],
                      **self._attention(inputs)}
            return self.model(**inputs, **kwargs)
        return self.model(**{**inputs, **self._attention(inputs)}, **kwargs)

    def prepare(self, question: str, samples: np.ndarray | None, cached: tuple | None,  # type: ignore[type-arg]
                timings: dict[str, float] | None = None) -> tuple[dict, list[float], list[int]]:
        """Model inputs with the audio tower's work done where it can be done apart.

        Qwen2-Audio masks the padding of each 30 s window, so its tower's states for a window equal
        the tower run on the window's valid frames alone (methods/audio_tower.py); that costs time
        in proportion to the audio instead of 30 s per window. The Omni thinker encodes in its own
        2 s chunks and keeps its own forward.
        """
        timings = {} if timings is None else timings
        if cached is not None:
            return self.cached_inputs(*cached)
        start = time.perf_counter()
        inputs, starts, counts = self.inputs(question, samples)
        timings["features"] = time.perf_counter() - start
        if self.arch != "qwen2-audio":
            return inputs, starts, counts
        from methods.audio_tower import tower, window_states

        start = time.perf_counter()
        valid = inputs["feature_attention_mask"].sum(-1).tolist()
        states = [window_states(tower(self.model), inputs["input_features"][w], int(v)) for w, v in enumerate(valid)]
        timings["encoder"] = time.perf_counter() - start
        return ({"input_ids": inputs["input_ids"], "attention_mask": inputs["attention_mask"], "audio_states": states},
                starts, counts)

    @torch.no_grad()
    def encode(self, question: str, samples: np.ndarray | None, cached: tuple | None = None) -> AudioStates:  # type: ignore[type-arg]
        """One prefill; the last-layer states at the audio positions with their absolute times.
        `cached`: (input_ids, tower states) in place of the audio (see `cached_inputs`)."""
        timings: dict[str, float] = {}
        inputs, starts, counts = self.prepare(question, samples, cached, timings)
        start = time.perf_counter()
        hidden = self.forward(inputs, output_hidden_states=True).hidden_states[-1][0]
        timings["prefill"] = time.perf_counter() - start
        return self.audio_states(inputs, hidden, starts, counts, timings)

    def audio_states(self, inputs: dict[str, torch.Tensor], hidden: torch.Tensor, starts: list[float],
                     counts: list[int], timings: dict[str, float]) -> AudioStates:
        where = (inputs["input_ids"][0] == self.audio_token_id).nonzero().flatten()
        if len(where) != sum(counts):
            raise RuntimeError(f"prompt holds {len(where)} audio tokens, expected {sum(counts)} for windows {counts}")
        times = np.concatenate([s + SECONDS_PER_AUDIO_TOKEN * np.arange(c) for s, c in zip(starts, counts)])
        return AudioStates(hidden[where], times, len(where) * SECONDS_PER_AUDIO_TOKEN, timings)

    @torch.no_grad()
    def generate(self, question: str, samples: np.ndarray | None, max_new_tokens: int,
                 cached: tuple | None = None) -> tuple[str, int, AudioStates]:  # type: ignore[type-arg]
        """Greedy decoding after the same prefill; returns the text, the number of new tokens, the states."""
        timings: dict[str, float] = {}
        inputs, starts, counts = self.prepare(question, samples, cached, timings)
        start = time.perf_counter()
        out = self.forward(inputs, use_cache=True, output_hidden_states=True)
        timings["prefill"] = time.perf_counter() - start
        states = self.audio_states(inputs, out.hidden_states[-1][0], starts, counts, timings)
        start = time.perf_counter()
        length = inputs["input_ids"].shape[1]
        new: list[int] = []
        token = int(out.logits[0, -1].argmax())
        while token not in self.eos_ids and len(new) < max_new_tokens:
            new.append(token)
            step = torch.tensor([[token]], device=self.device)
            mask = torch.ones(1, length + len(new), dtype=torch.long, device=self.device)
            out = self.model(input_ids=step, attention_mask=mask, past_key_values=out.past_key_values, use_cache=True,
                             **self._decode_positions(length + len(new) - 1))
            token = int(out.logits[0, -1].argmax())
        timings["decode"] = time.perf_counter() - start
        return self.processor.tokenizer.decode(new, skip_special_tokens=True), len(new), states
