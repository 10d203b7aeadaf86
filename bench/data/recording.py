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


def clip_events(events: list[Event], duration: float) -> tuple[list[Event], int]:
    """Events clipped to [0, duration] (dropped if they start after its end), and how many were outside."""
    outside = sum(e.onset < 0 or e.onset > duration or (e.offset is not None and e.offset > duration) for e in events)
    clipped = [Event(e.label, min(max(e.onset, 0.0), duration),
                     None if e.offset is None else min(max(e.offset, 0.0), duration))
               for e in events if e.onset <= duration]
    return clipped, outside
