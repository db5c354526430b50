"""``edubase crypto …``: self-test, SM2 keys/signatures/encryption, SM4-GCM, key hierarchy."""

from __future__ import annotations

import argparse
import io
import os
import sys
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction

from edubase.crypto.curves import DEFAULT_SM2_ID
from edubase.crypto.errors import CryptoError
from edubase.crypto.providers import provider_status
from edubase.crypto.sm2 import SM2PrivateKey, SM2PublicKey
from edubase.crypto.sm4 import SM4GCM


def _read(path: str) -> bytes:
    if path == "-":
        return sys.stdin.buffer.read()
    try:
        return Path(path).read_bytes()
    except OSError as exc:
        raise CommandError(f"无法读取文件 {path}：{exc.strerror}") from exc


def _write(path: str, data: bytes, *, secret: bool = False) -> None:
    if path == "-":
        sys.stdout.buffer.write(data)
        sys.stdout.buffer.flush()
        return
    flags = os.O_WRONLY | os.O_CREAT | os.O_TRUNC
    fd = os.open(path, flags, 0o600 if secret else 0o644)
    with os.fdopen(fd, "wb") as fh:
        fh.write(data)


def _sm4_key(args: argparse.Namespace) -> bytes:
    text = _read(args.key).decode("ascii", "replace").strip()
    try:
        key = bytes.fromhex(text)
    except ValueError as exc:
        raise CommandError("SM4 密钥文件应包含 32 位十六进制字符") from exc
    if len(key) != 16:
        raise CommandError("SM4 密钥文件应包含 32 位十六进制字符（16 字节）")
    return key


class Command(BaseCommand):
    help = "商用密码工具：自检、SM2 密钥/签名/加解密、SM4-GCM、密钥体系管理"
    DB_VERBS = frozenset({"rotate_kek", "rotate_data_key"})

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True, parser_class=argparse.ArgumentParser)

        st = sub.add_parser("selftest", help="对每个密码提供者运行全部标准向量；失败时退出码为 1")
        st.add_argument("--quick", action="store_true", help="跳过 SM4 10^6 次迭代向量")
        st.add_argument("--full", action="store_true", help="纯 Python 提供者也运行 SM4 10^6 次迭代（约 50 秒）")

        kg = sub.add_parser("keygen", help="生成 SM2 私钥（PKCS#8 PEM，权限 600）")
        kg.add_argument("--out", required=True)
        kg.add_argument("--pub-out", help="同时写出公钥 PEM")

        pb = sub.add_parser("pubkey", help="从私钥导出公钥 PEM")
        pb.add_argument("--key", required=True)
        pb.add_argument("--out", default="-")

        sg = sub.add_parser("sign", help="SM2 签名（SM3 摘要，含区分标识 ID）")
        sg.add_argument("--key", required=True)
        sg.add_argument("--in", dest="infile", required=True)
        sg.add_argument("--out", required=True)
        sg.add_argument("--id", default=DEFAULT_SM2_ID.decode())
        sg.add_argument("--format", choices=["der", "raw"], default="der")

        vf = sub.add_parser("verify", help="SM2 验签；通过退出码 0，失败退出码 1")
        vf.add_argument("--pub", required=True)
        vf.add_argument("--in", dest="infile", required=True)
        vf.add_argument("--sig", required=True)
        vf.add_argument("--id", default=DEFAULT_SM2_ID.decode())
        vf.add_argument("--format", choices=["der", "raw"], default="der")

        for verb in ("encrypt", "decrypt"):
            cp = sub.add_parser(verb, help=f"SM2 或 SM4-GCM {'加密' if verb == 'encrypt' else '解密'}")
            cp.add_argument("--alg", choices=["sm2", "sm4-gcm"], default="sm2")
            cp.add_argument("--key", help="SM2：私钥 PEM（解密）；SM4-GCM：含 32 位十六进制的密钥文件")
            cp.add_argument("--pub", help="SM2 加密用的公钥 PEM")
            cp.add_argument("--in", dest="infile", required=True)
            cp.add_argument("--out", required=True)
            cp.add_argument(
                "--order",
                choices=["c1c3c2", "c1c2c3", "asn1"],
                default="c1c3c2",
                help="SM2 密文格式：c1c3c2（GB/T 32918-2016，默认）、c1c2c3（旧版）、asn1（GM/T 0009）",
            )
            cp.add_argument("--aad", default="", help="SM4-GCM 附加认证数据（文本）")

        sub.add_parser("nodes", help="列出“1+M+N”密钥体系节点")
        nn = sub.add_parser("add-node", help="新增地市（region）或学校（school）密钥节点")
        nn.add_argument("node_id")
        nn.add_argument("--level", choices=["region", "school"], required=True)
        nn.add_argument("--parent", required=True)
        nn.add_argument("--name", default="")
        rk = sub.add_parser("rotate-kek", help="轮换节点的密钥加密密钥，并重封装数据密钥（不重加密数据）")
        rk.add_argument("node_id")
        rs = sub.add_parser("rotate-signing", help="轮换节点的签名密钥（旧公钥保留用于验签）")
        rs.add_argument("node_id")
        dk = sub.add_parser("rotate-data-key", help="为某用途启用新版本数据密钥")
        dk.add_argument("purpose")

    def handle(self, *args: Any, **options: Any) -> None:
        action = options["action"].replace("-", "_")
        verb = getattr(self, f"do_{action}")
        try:
            if action in self.DB_VERBS:
                with transaction.atomic():
                    verb(argparse.Namespace(**options))
            else:
                verb(argparse.Namespace(**options))
        except CryptoError as exc:
            raise CommandError(str(exc)) from exc

    # -- verbs ---------------------------------------------------------------------
    def do_selftest(self, args: argparse.Namespace) -> None:
        from rich.console import Console
        from rich.table import Table

        from edubase.crypto.selftest import run_selftest

        status = provider_status()
        console = Console(file=io.StringIO(), record=True, highlight=False, width=110)
        active = f"{status.name}（{'原生 OpenSSL 3' if status.native else '纯 Python 慢速实现'}）"
        console.print(f"当前密码提供者 / active provider: [bold]{active}[/bold]")
        if status.native_error:
            console.print(f"[red]原生提供者不可用 / native provider unavailable: {status.native_error}[/red]")
        results = run_selftest(quick=args.quick, full=args.full)
        table = Table("提供者", "向量", "结果", "耗时")
        for r in results:
            mark = "[green]通过[/green]" if r.ok else f"[red]失败[/red] {r.detail}"
            if r.skipped:
                mark = f"[yellow]{r.detail}[/yellow]"
            table.add_row(r.provider, r.name, mark, f"{r.seconds * 1000:.1f} ms")
        console.print(table)
        failed = [r for r in results if not r.ok]
        console.print(f"自检完成 / selftest: {len(results) - len(failed)} 项通过, {len(failed)} 项失败")
        self.stdout.write(console.export_text(styles=self.stdout.isatty()), ending="")
        if failed:
            sys.exit(1)

    def do_keygen(self, args: argparse.Namespace) -> None:
        key = SM2PrivateKey.generate()
        _write(args.out, key.to_pem(), secret=True)
        if args.pub_out:
            _write(args.pub_out, key.public_key().to_pem())
        self.stderr.write(f"已生成 SM2 私钥 {args.out}（公钥指纹 {key.public_key().fingerprint()[:16]}）")

    def do_pubkey(self, args: argparse.Namespace) -> None:
        _write(args.out, SM2PrivateKey.from_pem(_read(args.key)).public_key().to_pem())

    def do_sign(self, args: argparse.Namespace) -> None:
        key = SM2PrivateKey.from_pem(_read(args.key))
        _write(args.out, key.sign(_read(args.infile), uid=args.id, fmt=args.format))

    def do_verify(self, args: argparse.Namespace) -> None:
        pub = SM2PublicKey.from_pem(_read(args.pub))
        try:
            pub.verify(_read(args.infile), _read(args.sig), uid=args.id, fmt=args.format)
        except CryptoError as exc:
            self.stderr.write(f"验签失败：{exc}")
            sys.exit(1)
        self.stdout.write("验签通过 / signature OK")

    def do_encrypt(self, args: argparse.Namespace) -> None:
        data = _read(args.infile)
        if args.alg == "sm4-gcm":
            _write(args.out, SM4GCM(_sm4_key(args)).encrypt(data, args.aad.encode()))
            return
        if not args.pub and not args.key:
            raise CommandError("SM2 加密需要 --pub 公钥文件")
        pub = SM2PublicKey.from_pem(_read(args.pub or args.key))
        _write(args.out, pub.encrypt(data, order=args.order))

    def do_decrypt(self, args: argparse.Namespace) -> None:
        data = _read(args.infile)
        if not args.key:
            raise CommandError("解密需要 --key")
        if args.alg == "sm4-gcm":
            _write(args.out, SM4GCM(_sm4_key(args)).decrypt(data, args.aad.encode()), secret=True)
            return
        key = SM2PrivateKey.from_pem(_read(args.key))
        _write(args.out, key.decrypt(data, order=args.order), secret=True)

    def do_nodes(self, args: argparse.Namespace) -> None:
        from edubase.crypto.keyring import hierarchy

        for node in hierarchy().nodes():
            self.stdout.write(
                f"{node.node_id}\t{node.level}\t上级={node.parent or '-'}\t签名密钥 v{node.sign_version}\t"
                f"KEK v{node.kek_version}\t{node.name}"
            )

    def do_add_node(self, args: argparse.Namespace) -> None:
        from edubase.crypto.keyring import hierarchy

        node = hierarchy().create_node(args.node_id, level=args.level, parent=args.parent, name=args.name)
        self.stdout.write(f"已创建密钥节点 {node.node_id}（{node.level}，上级 {node.parent}）")

    def do_rotate_kek(self, args: argparse.Namespace) -> None:
        from edubase.crypto.keyring import hierarchy, rewrap_data_keys

        version = hierarchy().rotate_kek(args.node_id)
        report = rewrap_data_keys(node_id=args.node_id)
        self.stdout.write(
            f"节点 {args.node_id} 的 KEK 已轮换到 v{version}；"
            f"检查 {report.examined} 个数据密钥，重封装 {report.rewrapped} 个"
        )

    def do_rotate_signing(self, args: argparse.Namespace) -> None:
        from edubase.crypto.keyring import hierarchy

        version = hierarchy().rotate_signing_key(args.node_id)
        self.stdout.write(f"节点 {args.node_id} 的签名密钥已轮换到 v{version}（旧公钥继续用于验签）")

    def do_rotate_data_key(self, args: argparse.Namespace) -> None:
        from edubase.crypto.keyring import rotate_data_key

        row = rotate_data_key(args.purpose)
        self.stdout.write(f"用途 {row.purpose} 的数据密钥已启用 v{row.version}")
