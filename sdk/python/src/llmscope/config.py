"""Settings of the client, from `llmscope.init()` arguments or environment variables."""

from __future__ import annotations

import os
from dataclasses import dataclass

DEFAULT_URL = "http://127.0.0.1:8000"


def _env_float(name: str, default: float) -> float:
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    try:
        return float(raw)
    except ValueError:
        raise ValueError(f"{name} must be a number (got {raw!r})") from None


def _env_bool(name: str, default: bool) -> bool:
    raw = os.environ.get(name, "").strip().lower()
    if not raw:
        return default
    if raw in ("1", "true", "yes", "on"):
        return True
    if raw in ("0", "false", "no", "off"):
        return False
    raise ValueError(f"{name} must be true or false (got {raw!r})")


def api_root(base_url: str) -> str:
    """`https://host[/prefix]` without a trailing slash or a trailing `/api/v1`."""
    root = base_url.strip().rstrip("/")
    if root.endswith("/api/v1"):
        root = root[: -len("/api/v1")]
    return root


@dataclass(frozen=True)
class Config:
    """Everything the client needs; build it with `Config.resolve()`."""

    api_key: str
    base_url: str = DEFAULT_URL
    environment: str = "production"
    # Fraction of calls recorded, 0 to 1 (decided per call).
    sample_rate: float = 1.0
    # Prompt and completion text are sent only when this is on.
    capture_content: bool = False
    flush_interval: float = 1.0
    max_batch_size: int = 1000
    # Events held while LLMscope is unreachable; past this the oldest are dropped and counted.
    max_queue_size: int = 10_000
    timeout: float = 10.0
    # How long the flush at interpreter exit may take.
    shutdown_timeout: float = 5.0

    @classmethod
    def resolve(
        cls,
        api_key: str | None = None,
        base_url: str | None = None,
        environment: str | None = None,
        sample_rate: float | None = None,
        capture_content: bool | None = None,
        **options: float | int,
    ) -> Config:
        """Arguments win over LLMSCOPE_API_KEY, LLMSCOPE_URL, LLMSCOPE_ENVIRONMENT,
        LLMSCOPE_SAMPLE_RATE and LLMSCOPE_CAPTURE_CONTENT; bad values raise ValueError."""
        key = api_key if api_key is not None else os.environ.get("LLMSCOPE_API_KEY", "")
        url = base_url or os.environ.get("LLMSCOPE_URL", "") or DEFAULT_URL
        env = environment or os.environ.get("LLMSCOPE_ENVIRONMENT", "") or "production"
        rate = sample_rate if sample_rate is not None else _env_float("LLMSCOPE_SAMPLE_RATE", 1.0)
        capture = (
            capture_content
            if capture_content is not None
            else _env_bool("LLMSCOPE_CAPTURE_CONTENT", False)
        )
        if not 0.0 <= rate <= 1.0:
            raise ValueError(f"sample_rate must be between 0 and 1 (got {rate})")
        if not 1 <= len(env) <= 64:
            raise ValueError("environment must be 1 to 64 characters")
        if not url.startswith(("http://", "https://")):
            raise ValueError(f"base_url must start with http:// or https:// (got {url!r})")
        config = cls(
            api_key=key.strip(),
            base_url=api_root(url),
            environment=env,
            sample_rate=float(rate),
            capture_content=bool(capture),
            **options,  # type: ignore[arg-type]
        )
        if not 1 <= config.max_batch_size <= 1000:
            raise ValueError("max_batch_size must be between 1 and 1000")
        if config.max_queue_size < 1:
            raise ValueError("max_queue_size must be at least 1")
        return config
