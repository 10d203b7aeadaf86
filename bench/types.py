"""The data model shared by tasks, methods, metrics and the runner.

Times are always absolute seconds from the start of the example's audio.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any


# The nominal duration of examples that are corpus files as they are, neither cut nor concatenated.
NATIVE = 0.0


def duration_label(duration: float) -> str:
    return "native" if duration == NATIVE else f"{duration:g}"


@dataclass(frozen=True)
class Event:
    """A labelled moment or span: a word, a speaker turn, a sound event."""

    label: str
    onset: float
    offset: float | None = None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> "Event":
        offset = d.get("offset")
        return cls(str(d["label"]), float(d["onset"]), None if offset is None else float(offset))


@dataclass(frozen=True)
class AudioRef:
    path: str
    sample_rate: int
    duration: float


@dataclass
class Example:
    """One question about one audio file, with the answer a perfect system gives."""

    id: str
    task: str
    audio: AudioRef
    query: str
    reference: list[Event]
    n_expected: int
    # source, base_clips, stretch_factor, transcript, speakers, ...
    metadata: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["reference"] = [e.to_dict() for e in self.reference]
        return d

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> "Example":
        return cls(
            id=d["id"],
            task=d["task"],
            audio=AudioRef(**d["audio"]),
            query=d["query"],
            reference=[Event.from_dict(e) for e in d["reference"]],
            n_expected=int(d["n_expected"]),
            metadata=dict(d.get("metadata", {})),
        )


# Failure kinds a prediction can carry. Health metrics count these per method.
FAILURE_KINDS = (
    "audio_error",  # the audio could not be read or converted
    "unparsable",  # the model's text answer could not be parsed
    "method_error",  # the method raised
    "timeout",  # a request or generation ran out of time
    "http_error",  # a server answered with an error
    "unsupported",  # the method cannot answer this task
    "out_of_range",  # a time not finite or far outside the audio (bench.runner.screen_times)
    "score_error",  # scoring or recording the row failed; the row holds the answer unscored
)


@dataclass(frozen=True)
class Failure:
    kind: str
    message: str

    def __post_init__(self) -> None:
        if self.kind not in FAILURE_KINDS:
            raise ValueError(f"unknown failure kind {self.kind!r}; expected one of {FAILURE_KINDS}")


@dataclass
class Prediction:
    """What a method answered for one example, and what it cost."""

    events: list[Event] = field(default_factory=list)
    raw_text: str | None = None
    # stage name -> wall seconds, e.g. {"load_audio": .., "forward": .., "decode": ..}
    timings: dict[str, float] = field(default_factory=dict)
    # How much of the audio the method really looked at (truncation shows up here).
    audio_seconds_consumed: float | None = None
    failure: Failure | None = None
    # Extra words a method emitted (for WER), in order.
    words: list[str] | None = None
    # Method-specific diagnostics worth keeping with the row (say, words a dictionary lacked).
    info: dict[str, Any] = field(default_factory=dict)

    @property
    def total_seconds(self) -> float:
        return float(sum(self.timings.values()))

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["events"] = [e.to_dict() for e in self.events]
        return d

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> "Prediction":
        failure = d.get("failure")
        return cls(
            events=[Event.from_dict(e) for e in d.get("events", [])],
            raw_text=d.get("raw_text"),
            timings={k: float(v) for k, v in d.get("timings", {}).items()},
            audio_seconds_consumed=d.get("audio_seconds_consumed"),
            failure=Failure(**failure) if failure else None,
            words=d.get("words"),
            info=dict(d.get("info", {})),
        )
