"""Reader for OpenSSL's EVP test-vector files (``test/recipes/30-test_evp_data``).

The format is blocks of ``Key = value`` lines separated by blank lines, ``#``
comments, and ``Title = …`` lines that name the blocks after them. Values are hex,
or a double-quoted literal string.
"""

from __future__ import annotations

from pathlib import Path

__all__ = ["evp_bytes", "load_evp_vectors", "shared_data_dir"]

# OpenSSL's evp_test feeds repeated AAD lines as successive AAD chunks; joining
# them keeps the meaning. Any other repeated key is a format surprise.
_CONCATENATED_KEYS = frozenset({"AAD"})


def shared_data_dir() -> Path | None:
    """Return ``<repo>/../shared/data`` resolved, or None where it is absent (a user's machine)."""
    repo_root = Path(__file__).resolve().parents[2]
    path = (repo_root / ".." / "shared" / "data").resolve()
    return path if path.is_dir() else None


def evp_bytes(value: str) -> bytes:
    """Decode an EVP field value: ``"text"`` literally, otherwise hex (any case)."""
    if len(value) >= 2 and value[0] == value[-1] == '"':
        return value[1:-1].encode()
    return bytes.fromhex(value)


def load_evp_vectors(path: Path | str) -> list[dict[str, str]]:
    """Parse an EVP test file into one dict per test block.

    Each dict holds the block's fields with surrounding whitespace stripped, plus
    ``Title`` (the latest title, if any) and ``_line`` (1-based line of the block's
    first field, as a string, handy for test ids).
    """
    vectors: list[dict[str, str]] = []
    title = ""
    current: dict[str, str] = {}

    def flush() -> None:
        nonlocal current
        if current:
            if title:
                current.setdefault("Title", title)
            vectors.append(current)
        current = {}

    for lineno, raw in enumerate(Path(path).read_text(encoding="utf-8").splitlines(), start=1):
        line = raw.strip()
        if not line:
            flush()
            continue
        if line.startswith("#"):
            continue
        key, sep, value = line.partition("=")
        if not sep:
            raise ValueError(f"{path}:{lineno}: expected 'Key = value', got {raw!r}")
        key = key.strip()
        value = value.strip()
        if key == "Title":
            flush()
            title = value
            continue
        if not current:
            current["_line"] = str(lineno)
        if key in current:
            if key not in _CONCATENATED_KEYS:
                raise ValueError(f"{path}:{lineno}: repeated key {key!r} in one block")
            current[key] += value
        else:
            current[key] = value
    flush()
    return vectors
