"""A generated or loaded recording with its time annotations, before any question is asked."""
from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from bench.types import AudioRef, Event


@dataclass
class Recording:
    id: str
    audio: AudioRef
    # Words (label = word), speaker turns (label = speaker) or sound events (label = class).
    events: list[Event]
    # source, base_clips, stretch_factor, speakers, palette, ...
    metadata: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["events"] = [e.to_dict() for e in self.events]
        return d

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> "Recording":
        return cls(d["id"], AudioRef(**d["audio"]), [Event.from_dict(e) for e in d["events"]],
                   dict(d.get("metadata", {})))
