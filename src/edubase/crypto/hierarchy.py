"""The "1+M+N" key hierarchy: one provincial root, M regional nodes (cities), N schools.

Each node owns an SM2 signing key and an SM4 key-encryption key (KEK), both
versioned. Data keys (DEKs) never touch the store in clear: they are wrapped by a
node's KEK (envelope encryption), and the wrapped form records which KEK version
sealed it. Rotating a KEK adds a version; ``rewrap`` moves a wrapped DEK to the
newest version without touching the data the DEK encrypts. Old signing keys stay
readable so that old signatures still verify after rotation.

Key ids in the store: ``node/<id>/sign``, ``node/<id>/kek``, ``node/<id>/mac``.
"""

from __future__ import annotations

import base64
import json
import re
import time
from dataclasses import dataclass
from typing import Literal

from edubase.crypto.errors import CryptoError, DecryptionError, KeyNotFound, ParameterError
from edubase.crypto.keystore import KeyStore
from edubase.crypto.sm2 import SM2PrivateKey, SM2PublicKey
from edubase.crypto.sm4 import SM4GCM, generate_sm4_key

NodeLevel = Literal["root", "region", "school"]
_LEVEL_ORDER: dict[str, int] = {"root": 0, "region": 1, "school": 2}
_NODE_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$")
_WRAP_PREFIX = "ekw1"


class HierarchyError(CryptoError):
    """The requested change would break the shape of the key hierarchy."""

    code = "key_hierarchy"
    message = "密钥体系操作不合法"


@dataclass(frozen=True)
class KeyNode:
    """One node of the hierarchy and the current versions of its keys."""

    node_id: str
    level: NodeLevel
    parent: str | None
    name: str
    sign_version: int
    kek_version: int


@dataclass(frozen=True)
class PublishedKey:
    """A public signing key as published in an issuer registry."""

    node_id: str
    version: int
    public_key: SM2PublicKey
    created_at: str


@dataclass(frozen=True)
class WrappedKey:
    """A DEK sealed under one version of a node's KEK, as text ``ekw1.<node>.<v>.<b64>``."""

    node_id: str
    kek_version: int
    sealed: bytes

    def __str__(self) -> str:
        return f"{_WRAP_PREFIX}.{self.node_id}.{self.kek_version}.{base64.urlsafe_b64encode(self.sealed).decode()}"

    @classmethod
    def parse(cls, text: str) -> WrappedKey:
        """Parse the text form; raise ``DecryptionError`` if malformed."""
        try:
            prefix, node_id, version, blob = text.split(".", 3)
            if prefix != _WRAP_PREFIX or not _NODE_ID.match(node_id):
                raise ValueError(prefix)
            return cls(node_id, int(version), base64.urlsafe_b64decode(blob.encode()))
        except (ValueError, TypeError) as exc:
            raise DecryptionError(detail="封装密钥格式错误") from exc


class KeyHierarchy:
    """Create nodes, rotate keys, wrap and unwrap data keys, over one ``KeyStore``."""

    #: seconds a process trusts its cached "current KEK version" before re-reading the store;
    #: a rotation made by another process is picked up within this time (old versions stay valid)
    CURRENT_VERSION_TTL = 60.0

    def __init__(self, store: KeyStore) -> None:
        self.store = store
        self._keks: dict[tuple[str, int], SM4GCM] = {}
        self._current: dict[str, tuple[float, int]] = {}

    # -- nodes -------------------------------------------------------------------
    def create_node(self, node_id: str, *, level: NodeLevel, parent: str | None, name: str = "") -> KeyNode:
        """Create a node with version 1 of its signing key, KEK and MAC key."""
        if not _NODE_ID.match(node_id):
            raise ParameterError(detail=f"节点标识 {node_id!r} 不合法（字母、数字、-、_，最长 64）")
        if self.store.versions(f"node/{node_id}/sign"):
            raise HierarchyError(detail=f"节点 {node_id} 已存在")
        if level == "root":
            if parent is not None:
                raise HierarchyError(detail="根节点不能有上级")
            roots = [n for n in self.nodes() if n.level == "root"]
            if roots:
                raise HierarchyError(detail=f"根节点已存在：{roots[0].node_id}（“1+M+N”中只有一个根）")
        else:
            if parent is None:
                raise HierarchyError(detail="非根节点必须指定上级节点")
            parent_node = self.node(parent)
            if _LEVEL_ORDER[parent_node.level] >= _LEVEL_ORDER[level]:
                raise HierarchyError(detail=f"{level} 节点不能挂在 {parent_node.level} 节点之下")
        key = SM2PrivateKey.generate()
        meta = {"level": level, "parent": parent, "name": name, "public_key": key.public_key().to_pem().decode()}
        self.store.put(f"node/{node_id}/sign", 1, key.private_bytes(), meta=meta)
        self.store.put(f"node/{node_id}/kek", 1, generate_sm4_key(), meta={"level": level})
        self.store.put(f"node/{node_id}/mac", 1, generate_sm4_key() + generate_sm4_key(), meta={"level": level})
        return self.node(node_id)

    def node(self, node_id: str) -> KeyNode:
        """Describe one node; raise ``KeyNotFound`` if absent."""
        sign_versions = self.store.versions(f"node/{node_id}/sign")
        if not sign_versions:
            raise KeyNotFound(detail=f"密钥节点 {node_id}")
        first = self.store.get(f"node/{node_id}/sign", 1).meta
        return KeyNode(
            node_id=node_id,
            level=first["level"],
            parent=first.get("parent"),
            name=first.get("name", ""),
            sign_version=sign_versions[-1],
            kek_version=self.store.versions(f"node/{node_id}/kek")[-1],
        )

    def nodes(self) -> list[KeyNode]:
        """Every node, root first, then by level and id."""
        ids = {kid.split("/")[1] for kid in self.store.key_ids("node/") if kid.endswith("/sign")}
        found = [self.node(i) for i in ids]
        return sorted(found, key=lambda n: (_LEVEL_ORDER[n.level], n.node_id))

    def root(self) -> KeyNode | None:
        """The root node, if created."""
        return next((n for n in self.nodes() if n.level == "root"), None)

    # -- signing keys ------------------------------------------------------------
    def signing_key(self, node_id: str, version: int | None = None) -> SM2PrivateKey:
        """The node's SM2 private key (current version unless given)."""
        stored = (
            self.store.get(f"node/{node_id}/sign", version) if version else self.store.latest(f"node/{node_id}/sign")
        )
        return SM2PrivateKey.from_bytes(stored.material)

    def rotate_signing_key(self, node_id: str) -> int:
        """Add a new signing key version; earlier versions stay for verification."""
        current = self.node(node_id)
        key = SM2PrivateKey.generate()
        version = current.sign_version + 1
        meta = {
            "level": current.level,
            "parent": current.parent,
            "name": current.name,
            "public_key": key.public_key().to_pem().decode(),
        }
        self.store.put(f"node/{node_id}/sign", version, key.private_bytes(), meta=meta)
        return version

    def published_keys(self, node_id: str) -> list[PublishedKey]:
        """Every public signing key of the node, oldest first (for an issuer registry)."""
        out = []
        for version in self.store.versions(f"node/{node_id}/sign"):
            stored = self.store.get(f"node/{node_id}/sign", version)
            out.append(
                PublishedKey(node_id, version, SM2PublicKey.from_pem(stored.meta["public_key"]), stored.created_at)
            )
        return out

    # -- KEKs and data keys ------------------------------------------------------
    def rotate_kek(self, node_id: str) -> int:
        """Add a new KEK version; new wraps use it, old wraps still open until rewrapped."""
        version = self.node(node_id).kek_version + 1
        self.store.put(f"node/{node_id}/kek", version, generate_sm4_key(), meta={"rotated_from": version - 1})
        self._current.pop(node_id, None)
        return version

    def _kek(self, node_id: str, version: int) -> SM4GCM:
        gcm = self._keks.get((node_id, version))
        if gcm is None:
            gcm = SM4GCM(self.store.get(f"node/{node_id}/kek", version).material)
            self._keks[(node_id, version)] = gcm
        return gcm

    def _current_kek_version(self, node_id: str) -> int:
        cached = self._current.get(node_id)
        now = time.monotonic()
        if cached is not None and now - cached[0] < self.CURRENT_VERSION_TTL:
            return cached[1]
        versions = self.store.versions(f"node/{node_id}/kek")
        if not versions:
            raise KeyNotFound(detail=f"密钥节点 {node_id}")
        self._current[node_id] = (now, versions[-1])
        return versions[-1]

    @staticmethod
    def _wrap_aad(node_id: str, version: int, context: str) -> bytes:
        return json.dumps(["edubase-dek", node_id, version, context], ensure_ascii=False).encode()

    def wrap(self, node_id: str, dek: bytes, *, context: str) -> WrappedKey:
        """Seal ``dek`` under the node's current KEK; ``context`` (e.g. the column) is bound as AAD."""
        version = self._current_kek_version(node_id)
        sealed = self._kek(node_id, version).encrypt(bytes(dek), self._wrap_aad(node_id, version, context))
        return WrappedKey(node_id, version, sealed)

    def unwrap(self, wrapped: WrappedKey, *, context: str) -> bytes:
        """Open a wrapped DEK; raise ``DecryptionError`` if the context or KEK does not match."""
        gcm = self._kek(wrapped.node_id, wrapped.kek_version)
        return gcm.decrypt(wrapped.sealed, self._wrap_aad(wrapped.node_id, wrapped.kek_version, context))

    def new_data_key(self, node_id: str, *, context: str) -> tuple[bytes, WrappedKey]:
        """A fresh DEK and its wrapped form (store only the wrapped form)."""
        dek = generate_sm4_key()
        return dek, self.wrap(node_id, dek, context=context)

    def rewrap(self, wrapped: WrappedKey, *, context: str) -> WrappedKey:
        """Re-seal a DEK under the node's current KEK; the data it protects is untouched."""
        if wrapped.kek_version == self._current_kek_version(wrapped.node_id):
            return wrapped
        return self.wrap(wrapped.node_id, self.unwrap(wrapped, context=context), context=context)

    def mac_key(self, node_id: str) -> bytes:
        """The node's 32-byte MAC key (blind indexes, audit chains); not rotated by KEK rotation."""
        return self.store.get(f"node/{node_id}/mac", 1).material
