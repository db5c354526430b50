"""Key stores: where key material lives, always encrypted at rest.

``KeyStore`` is the interface (a hardware security module or a KMS can implement
it later). ``FileKeyStore`` keeps one JSON file per key version under a directory
with mode 0700, each file 0600, the material sealed with SM4-GCM under the master
key and bound (associated data) to its key id and version, so a file copied to
another name does not decrypt. Writes are atomic (temp file, fsync, rename) and a
version, once written, is never overwritten.
"""

from __future__ import annotations

import base64
import json
import os
import re
import stat
import tempfile
from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from edubase.crypto.errors import CryptoError, DecryptionError, InvalidKey, KeyNotFound, ParameterError
from edubase.crypto.sm3 import hmac_sm3
from edubase.crypto.sm4 import KEY_SIZE, SM4GCM

_KEY_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*(/[A-Za-z0-9][A-Za-z0-9._-]*)*$")


class MasterKeyError(CryptoError):
    """The master key is missing, malformed, unprotected or does not open this store."""

    code = "master_key"
    message = "主密钥不可用"


@dataclass(frozen=True)
class StoredKey:
    """One version of one key, with its (non-secret) metadata."""

    key_id: str
    version: int
    material: bytes = field(repr=False)
    created_at: str
    meta: dict[str, Any]


class KeyStore(ABC):
    """Versioned, write-once storage of secret key material."""

    @abstractmethod
    def put(self, key_id: str, version: int, material: bytes, *, meta: dict[str, Any] | None = None) -> None:
        """Store a new version; raise ``ParameterError`` if it already exists."""

    @abstractmethod
    def get(self, key_id: str, version: int) -> StoredKey:
        """Return one version; raise ``KeyNotFound`` if absent."""

    @abstractmethod
    def versions(self, key_id: str) -> list[int]:
        """All versions of ``key_id``, ascending (empty if none)."""

    @abstractmethod
    def key_ids(self, prefix: str = "") -> list[str]:
        """Every key id starting with ``prefix``, sorted."""

    def latest(self, key_id: str) -> StoredKey:
        """The highest version of ``key_id``."""
        found = self.versions(key_id)
        if not found:
            raise KeyNotFound(detail=key_id)
        return self.get(key_id, found[-1])


def _check_key_id(key_id: str) -> None:
    if not _KEY_ID.match(key_id) or ".." in key_id:
        raise ParameterError(detail=f"密钥标识 {key_id!r} 不合法")


def load_master_key(*, env_value: str | None, path: Path, generate: bool) -> bytes:
    """The 16-byte master key: from the environment (hex), else a 0600 file, else generated if allowed."""
    if env_value:
        try:
            key = bytes.fromhex(env_value.strip())
        except ValueError as exc:
            raise MasterKeyError(detail="EDUBASE_MASTER_KEY 必须是 32 位十六进制") from exc
        if len(key) != KEY_SIZE:
            raise MasterKeyError(detail="EDUBASE_MASTER_KEY 必须是 32 位十六进制（16 字节）")
        return key
    if not path.exists():
        if not generate:
            raise MasterKeyError(detail=f"主密钥文件 {path} 不存在")
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as fh:
            fh.write(os.urandom(KEY_SIZE).hex() + "\n")
    mode = stat.S_IMODE(path.stat().st_mode)
    if mode & 0o077:
        raise MasterKeyError(detail=f"主密钥文件 {path} 权限为 {mode:o}，必须为 600（仅属主可读写）")
    try:
        key = bytes.fromhex(path.read_text().strip())
    except ValueError as exc:
        raise MasterKeyError(detail=f"主密钥文件 {path} 内容不是十六进制") from exc
    if len(key) != KEY_SIZE:
        raise MasterKeyError(detail=f"主密钥文件 {path} 必须含 32 位十六进制（16 字节）")
    return key


class FileKeyStore(KeyStore):
    """Key material in files, sealed under a master key (SM4-GCM)."""

    _CHECK_LABEL = b"edubase-keystore-master-check-v1"

    def __init__(self, root: Path, master_key: bytes) -> None:
        if len(master_key) != KEY_SIZE:
            raise InvalidKey(detail="主密钥必须为 16 字节")
        self.root = Path(root)
        self._gcm = SM4GCM(master_key)
        self._check = hmac_sm3(master_key, self._CHECK_LABEL).hex()
        self.root.mkdir(mode=0o700, parents=True, exist_ok=True)
        os.chmod(self.root, 0o700)
        check_file = self.root / "MASTER-CHECK"
        if check_file.exists():
            if check_file.read_text().strip() != self._check:
                raise MasterKeyError(detail="主密钥与该密钥库不匹配（可能配置了错误的主密钥）")
        else:
            self._atomic_write(check_file, self._check + "\n")

    def __repr__(self) -> str:
        return f"<FileKeyStore {self.root}>"

    def _path(self, key_id: str, version: int) -> Path:
        _check_key_id(key_id)
        return self.root.joinpath(*key_id.split("/")) / f"v{version:06d}.json"

    @staticmethod
    def _aad(key_id: str, version: int) -> bytes:
        return f"edubase-keystore|{key_id}|{version}".encode()

    def _atomic_write(self, path: Path, text: str) -> None:
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
        try:
            os.fchmod(fd, 0o600)
            with os.fdopen(fd, "w") as fh:
                fh.write(text)
                fh.flush()
                os.fsync(fh.fileno())
            if path.exists():
                raise ParameterError(detail=f"密钥 {path.name} 已存在，密钥版本不可覆盖")
            os.link(tmp, path)  # fails if another writer won the race: versions are write-once
        except FileExistsError as exc:
            raise ParameterError(detail=f"密钥 {path.name} 已存在，密钥版本不可覆盖") from exc
        finally:
            Path(tmp).unlink(missing_ok=True)
        dir_fd = os.open(path.parent, os.O_RDONLY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)

    def put(self, key_id: str, version: int, material: bytes, *, meta: dict[str, Any] | None = None) -> None:
        if version < 1:
            raise ParameterError(detail="密钥版本号从 1 开始")
        sealed = self._gcm.encrypt(bytes(material), self._aad(key_id, version))
        record = {
            "key_id": key_id,
            "version": version,
            "created_at": datetime.now(UTC).isoformat(),
            "meta": meta or {},
            "sealed": base64.b64encode(sealed).decode("ascii"),
        }
        self._atomic_write(self._path(key_id, version), json.dumps(record, ensure_ascii=False, indent=1))

    def get(self, key_id: str, version: int) -> StoredKey:
        path = self._path(key_id, version)
        try:
            record = json.loads(path.read_text())
        except FileNotFoundError as exc:
            raise KeyNotFound(detail=f"{key_id} v{version}") from exc
        except ValueError as exc:
            raise DecryptionError(detail=f"密钥文件 {path} 已损坏") from exc
        if record.get("key_id") != key_id or record.get("version") != version:
            raise DecryptionError(detail=f"密钥文件 {path} 与其标识不符")
        material = self._gcm.decrypt(base64.b64decode(record["sealed"]), self._aad(key_id, version))
        return StoredKey(key_id, version, material, record["created_at"], record.get("meta", {}))

    def versions(self, key_id: str) -> list[int]:
        _check_key_id(key_id)
        folder = self.root.joinpath(*key_id.split("/"))
        if not folder.is_dir():
            return []
        return sorted(int(p.name[1:7]) for p in folder.glob("v*.json"))

    def key_ids(self, prefix: str = "") -> list[str]:
        found = set()
        for path in self.root.rglob("v*.json"):
            key_id = path.parent.relative_to(self.root).as_posix()
            if key_id.startswith(prefix):
                found.add(key_id)
        return sorted(found)
