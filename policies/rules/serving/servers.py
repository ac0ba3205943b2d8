"""The model servers' command-line grammar, as data: how each names the model it loads and the port it serves.

One row per server CLI. `commands` are argv prefixes (`vllm serve`), `modules` the `python -m` forms, `images`
the image names (last path segment, no tag) whose entrypoint already is the CLI, so that `args` alone are its
arguments. Options are read the way argparse and clap read them: `--flag=value` and `--flag value`; a flag
in `switches` takes no value; any other flag takes one. `positional` says the first word that is no option
(nor an option's value) is the model. Sources, each server's own reference:

- vLLM (docs.vllm.ai, "vllm serve"): `vllm serve [model_tag] [options]`, `--model`, `--tokenizer`; the
  OpenAI server module `vllm.entrypoints.openai.api_server` takes `--model`; port 8000; image vllm-openai.
  `VLLM_USE_MODELSCOPE=true` resolves ids on ModelScope instead of the Hugging Face Hub.
- SGLang (docs.sglang.ai, server arguments): `python -m sglang.launch_server --model-path`, `--tokenizer-path`;
  port 30000.
- Text Generation Inference (huggingface.co/docs/text-generation-inference, launcher arguments):
  `text-generation-launcher --model-id` or env `MODEL_ID`; port `--port`/`PORT`, 80 in its image.
- Triton (docs.nvidia.com/deeplearning/triton-inference-server, model repository): `tritonserver
  --model-repository` (alias `--model-store`), local or `s3://`, `gs://`, `as://`; HTTP port 8000.
- KServe Hugging Face server (kserve.github.io, huggingfaceserver): `python -m huggingfaceserver --model_id`
  (a Hub id) or `--model_dir` (a path, /mnt/models when KServe downloads `storageUri`); `--model_name` is the
  served name; port `--http_port`, 8080.
- Ray Serve (docs.ray.io, serve config): `serve run`/`serve deploy` name an application or a config file whose
  models live in code: no model can be read from the command line (RayService's `serveConfigV2` is read
  instead, see `model_sources.py`).

Served names (`--served-model-name`, `--model_name`, `MODEL_NAME`) are never sources.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache


@dataclass(frozen=True, slots=True, kw_only=True)
class ServerCli:
    name: str
    commands: tuple[tuple[str, ...], ...] = ()
    modules: tuple[str, ...] = ()
    images: tuple[str, ...] = ()
    positional: bool = False
    model_flags: tuple[str, ...] = ()
    model_env: tuple[str, ...] = ()
    switches: frozenset[str] = frozenset()
    port_flags: tuple[str, ...] = ()
    port_env: tuple[str, ...] = ()
    default_port: int | None = None
    reads_model: bool = True  # False: the model is in code or a config file, never on the command line
    default_model: str | None = None  # what it loads when nothing names a model


_VLLM_SWITCHES = frozenset(
    {
        "--trust-remote-code", "--enforce-eager", "--enable-prefix-caching", "--no-enable-prefix-caching",
        "--enable-chunked-prefill", "--no-enable-chunked-prefill", "--disable-log-requests",
        "--disable-log-stats", "--enable-lora", "--enable-auto-tool-choice", "--disable-custom-all-reduce",
        "--disable-frontend-multiprocessing", "--enable-reasoning", "--headless", "--skip-tokenizer-init",
        "--disable-sliding-window", "--enable-expert-parallel", "--disable-fastapi-docs",
        "--enable-request-id-headers", "--enable-prompt-tokens-details", "--enable-server-load-tracking",
        "--disable-uvicorn-access-log", "--return-tokens-as-token-ids", "--use-v2-block-manager",
        "--enable-sleep-mode", "--enable-log-requests", "--no-enable-log-requests", "--async-scheduling",
        "--api-server-count", "--help", "-h", "--version",
    }
)  # fmt: skip

SERVERS: tuple[ServerCli, ...] = (
    ServerCli(
        name="vllm serve",
        commands=(("vllm", "serve"),),
        images=("vllm-openai",),
        positional=True,
        model_flags=("--model", "--tokenizer"),
        switches=_VLLM_SWITCHES - {"--api-server-count"},
        port_flags=("--port",),
        default_port=8000,
        default_model="Qwen/Qwen3-0.6B",
    ),
    ServerCli(
        name="vllm api_server",
        modules=("vllm.entrypoints.openai.api_server", "vllm.entrypoints.api_server"),
        model_flags=("--model", "--tokenizer"),
        switches=_VLLM_SWITCHES,
        port_flags=("--port",),
        default_port=8000,
        default_model="facebook/opt-125m",
    ),
    ServerCli(
        name="sglang",
        commands=(("sglang", "serve"),),
        modules=("sglang.launch_server",),
        model_flags=("--model-path", "--model", "--tokenizer-path"),
        switches=frozenset({"--trust-remote-code", "--enable-torch-compile", "--disable-radix-cache"}),
        port_flags=("--port",),
        default_port=30000,
    ),
    ServerCli(
        name="text-generation-launcher",
        commands=(("text-generation-launcher",),),
        images=("text-generation-inference",),
        model_flags=("--model-id", "--tokenizer-name"),
        model_env=("MODEL_ID",),
        switches=frozenset({"--trust-remote-code", "--disable-custom-kernels", "--json-output", "--sharded"}),
        port_flags=("--port",),
        port_env=("PORT",),
        default_port=80,
        default_model="bigscience/bloom-560m",
    ),
    ServerCli(
        name="tritonserver",
        commands=(("tritonserver",),),
        model_flags=("--model-repository", "--model-store"),
        switches=frozenset({"--strict-readiness", "--exit-on-error"}),
        port_flags=("--http-port",),
        default_port=8000,
    ),
    ServerCli(
        name="huggingfaceserver",
        modules=("huggingfaceserver",),
        images=("huggingfaceserver",),
        model_flags=("--model_id", "--model_dir", "--model-id", "--model-dir"),
        switches=frozenset({"--trust_remote_code", "--disable_lower_case", "--disable_special_tokens"}),
        port_flags=("--http_port", "--http-port"),
        default_port=8080,
    ),
    ServerCli(
        name="ray serve",
        commands=(("serve", "run"), ("serve", "deploy"), ("serve", "start")),
        reads_model=False,
        default_port=8000,
    ),
)

# Env vars read as model sources in every container, whatever it runs (KServe's storage initializer, SageMaker-
# style images). MODEL_NAME is left out on purpose: it is a served name in most images.
GENERIC_MODEL_ENV = ("MODEL_ID", "HF_MODEL_ID", "STORAGE_URI")
PYTHONS = frozenset({"python", "python3"})
SHELLS = frozenset({"sh", "bash", "dash", "ash", "zsh", "ksh"})
WRAPPERS = frozenset({"exec", "nohup", "time", "env", "tini", "dumb-init", "--"})
HF_ENDPOINT = "HF_ENDPOINT"
MODELSCOPE = "VLLM_USE_MODELSCOPE"


def match(argv: list[str]) -> tuple[ServerCli, int] | None:
    """The server an argv runs and where its own arguments start, after wrappers and `python -m`."""
    return _match(tuple(argv))


@lru_cache(maxsize=4096)
def _match(argv: tuple[str, ...]) -> tuple[ServerCli, int] | None:
    # Every container's command lines are matched by SRV003, SRV008 and the mTLS injector; charts repeat them.
    i = 0
    while i < len(argv) and (_base(argv[i]) in WRAPPERS or (i and "=" in argv[i] and not argv[i].startswith("-"))):
        i += 1
    if i >= len(argv):
        return None
    program = _base(argv[i])
    if program in PYTHONS or program.startswith("python3."):
        j = i + 1
        while j < len(argv) and argv[j].startswith("-") and argv[j] != "-m":
            j += 1  # python -u -m …
        if j + 1 < len(argv) and argv[j] == "-m":
            for server in SERVERS:
                if argv[j + 1] in server.modules:
                    return server, j + 2
        return None
    for server in SERVERS:
        for command in server.commands:
            n = len(command)
            if program == command[0] and argv[i + 1 : i + n] == command[1:]:
                return server, i + n
    return None


@lru_cache(maxsize=1024)
def for_image(image: str) -> ServerCli | None:
    """The server an image's own entrypoint runs (`docker.io/vllm/vllm-openai:v0.6` runs `vllm serve`)."""
    name = image.rsplit("/", 1)[-1].split("@", 1)[0].split(":", 1)[0]
    return next((s for s in SERVERS if name in s.images), None)


def _base(word: str) -> str:
    return word.rsplit("/", 1)[-1]
