"""Image references and model sources in one normal form, and prefix matching on whole path segments.

Images follow Docker's reference normalisation (distribution/reference `splitDockerDomain`): when the
first path component has no `.` or `:`, is not `localhost` and is lower case, the image is on Docker Hub,
`docker.io/` is prepended, and a single-name image gets `library/` (`nginx` → `docker.io/library/nginx`,
`vllm/vllm-openai:v0.6` → `docker.io/vllm/vllm-openai:v0.6`); `index.docker.io` is spelled `docker.io`.

Model sources: a value with a scheme (`s3://`, `gs://`, `hf://`, `pvc://`, `https://`, `oci://`) is kept as
written; a bare Hugging Face model id (`meta-llama/Llama-3-8B`, `gpt2`) becomes `hf://<id>`; a local path
(`/models/llama`) is not a source on its own (the volume it is mounted from is).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import lru_cache

DOCKER_HUB = "docker.io"
_LEGACY_HUB = "index.docker.io"
# Hugging Face repo ids: optional namespace, then a name of letters, digits, `-`, `_`, `.`.
_HF_ID = re.compile(r"^(?:[A-Za-z0-9][\w.-]*/)?[A-Za-z0-9][\w.-]*$")


@lru_cache(maxsize=1024)  # every container of every object; images repeat
def normalise_image(image: str) -> str:
    first, slash, rest = image.partition("/")
    if not slash or (not any(c in first for c in ".:") and first != "localhost" and first.lower() == first):
        domain, remainder = DOCKER_HUB, image
    else:
        domain, remainder = first, rest
    if domain == _LEGACY_HUB:
        domain = DOCKER_HUB
    if domain == DOCKER_HUB and "/" not in remainder:
        remainder = f"library/{remainder}"
    return f"{domain}/{remainder}"


def normalise_registry(prefix: str) -> str:
    return DOCKER_HUB + prefix[len(_LEGACY_HUB) :] if prefix.startswith(_LEGACY_HUB + "/") else prefix


def normalise_model(value: str, *, bare_names: bool = True) -> str | None:
    """The source in normal form, or None when the value names no source (a path, an empty string).

    `bare_names=False` requires a namespace (`org/name`) for a Hugging Face id, for values such as a
    MODEL_NAME variable that usually hold a served name rather than a source.
    """
    value = value.strip()
    if "://" in value:
        return value
    if not _HF_ID.match(value) or (not bare_names and "/" not in value):
        return None
    return f"hf://{value}"


def has_prefix(value: str, prefixes: Iterable[str]) -> bool:
    """`value` starts with a prefix on a segment boundary: `nvcr.io/nvidia` admits `nvcr.io/nvidia/x` and
    `nvcr.io/nvidia:1`, never `nvcr.io/nvidia-evil/x`."""
    for prefix in prefixes:
        if value.startswith(prefix) and (
            len(value) == len(prefix) or prefix.endswith(("/", ":")) or value[len(prefix)] in "/:@"
        ):
            return True
    return False
