"""KWOK's configuration file: its default node and pod stages.

KWOK v0.8 simulates nothing without stages (``no stages found``); kwokctl writes its defaults into
the ``--config`` file, and so do we, from the packaged ``kwok_stages.yaml``.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

STAGES_RESOURCE = "kwok_stages.yaml"


def stages_yaml() -> str:
    return resources.files("tenantguard.devcluster").joinpath(STAGES_RESOURCE).read_text(encoding="utf-8")


def write_config(path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(stages_yaml(), encoding="utf-8")
