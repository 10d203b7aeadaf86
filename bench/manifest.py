"""The run manifest: what produced a run directory (code, packages, hardware, seeds, sessions)."""
from __future__ import annotations

import json
import os
import platform
import subprocess
import sys
from datetime import datetime, timezone
from importlib import metadata
from pathlib import Path
from typing import Any

from bench.errors import ConfigError
from bench.suite import Suite

PACKAGES = ("framebench", "numpy", "scipy", "torch", "transformers", "vllm", "pyannote.metrics",
            "sed_eval", "psds_eval", "jiwer", "soundfile", "espeakng-loader", "pandas", "matplotlib")


def git_state() -> dict[str, Any]:
    root = Path(__file__).resolve().parent.parent
    def git(*args: str) -> str:
        return subprocess.run(["git", *args], cwd=root, capture_output=True, text=True, timeout=10).stdout.strip()
    try:
        return {"commit": git("rev-parse", "HEAD") or None, "dirty": bool(git("status", "--porcelain"))}
    except (OSError, subprocess.SubprocessError):
        return {"commit": None, "dirty": None}


def package_versions() -> dict[str, str | None]:
    versions: dict[str, str | None] = {}
    for name in PACKAGES:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = None
    return versions


def hardware() -> dict[str, Any]:
    info: dict[str, Any] = {"platform": platform.platform(), "machine": platform.machine(),
                            "python": sys.version.split()[0], "cpu_count": os.cpu_count()}
    try:
        info["memory_gb"] = round(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30, 1)
    except (ValueError, OSError, AttributeError):
        pass
    if "torch" in sys.modules:  # only report accelerators if a method already needed torch
        import torch

        info["cuda"] = torch.cuda.get_device_name(0) if torch.cuda.is_available() else None
    return info


def now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


class RunManifest:
    """manifest.json in a run directory. Each invocation appends a session entry."""

    def __init__(self, run_dir: Path, suite: Suite) -> None:
        self.path = run_dir / "manifest.json"
        if self.path.exists():
            self.data = json.loads(self.path.read_text())
            if self.data.get("suite_fingerprint") != suite.fingerprint:
                raise ConfigError(
                    f"{run_dir}: holds results of a different configuration of suite {self.data.get('suite')!r}; "
                    "pass --out for a new directory or --fresh to discard it")
        else:
            self.data = {"suite": suite.name, "suite_path": suite.path, "suite_fingerprint": suite.fingerprint,
                         "suite_config": suite.raw, "seed": suite.seed, "created": now(), "sessions": []}

    def start_session(self, argv: list[str], methods: list[str], limit: int | None) -> dict[str, Any]:
        session = {"started": now(), "finished": None, "argv": argv, "methods": methods, "limit": limit,
                   "git": git_state(), "packages": package_versions(), "hardware": hardware(), "setup_seconds": {},
                   "errors": []}
        self.data["sessions"].append(session)
        self.save()
        return session

    def save(self) -> None:
        tmp = self.path.with_suffix(".tmp")
        tmp.write_text(json.dumps(self.data, indent=2, default=str))
        tmp.replace(self.path)
