"""``edubase ingest``: the log-ingestion process (receivers, durable spool, processing workers).

Examples::

    edubase ingest                                   # syslog UDP+TCP 5514, HTTP/_bulk 9200, local mode
    edubase ingest --syslog-tls 6514 --cert c.pem --key k.pem
    edubase ingest --mode nats --role receiver       # receivers → JetStream
    edubase ingest --mode nats --role worker         # JetStream → parse/enrich/store/detect
"""

from __future__ import annotations

import asyncio
import importlib
import logging
import threading
from argparse import ArgumentParser
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError


def _components(spec: str) -> Any:
    from edubase.secops.logs.pipeline import Components, PipelineMissing

    if not spec:
        try:
            return Components.real()
        except PipelineMissing as exc:
            raise CommandError(str(exc)) from exc
    module, _, attr = spec.partition(":")
    try:
        return getattr(importlib.import_module(module), attr or "components")()
    except (ImportError, AttributeError) as exc:
        raise CommandError(f"--components “{spec}” 无法加载：{exc}") from exc


class Command(BaseCommand):
    help = "日志接收进程：syslog（UDP/TCP/TLS）、HTTP NDJSON 与 Elasticsearch _bulk 接口 / log ingestion"

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("--host", default="0.0.0.0", help="监听地址（默认 0.0.0.0）")  # noqa: S104
        parser.add_argument("--syslog-udp", type=int, metavar="PORT", help="syslog UDP 端口（如 5514）")
        parser.add_argument("--syslog-tcp", type=int, metavar="PORT", help="syslog TCP 端口（如 5514）")
        parser.add_argument(
            "--syslog-tls", type=int, metavar="PORT", help="syslog TLS 端口（如 6514，需 --cert/--key）"
        )
        parser.add_argument("--cert", default="", help="TLS 证书（PEM）")
        parser.add_argument("--key", default="", help="TLS 私钥（PEM）")
        parser.add_argument("--http", type=int, metavar="PORT", help="HTTP NDJSON 与 _bulk 端口（如 9200）")
        parser.add_argument(
            "--mode", choices=["local", "nats"], default="local", help="local：本机处理；nats：经 JetStream"
        )
        parser.add_argument("--role", choices=["receiver", "worker", "all"], default="all")
        parser.add_argument("--spool-dir", default="", help="落盘目录（默认 VAR_DIR/spool）")
        parser.add_argument("--nats-url", default="", help="NATS 地址（默认 nats://127.0.0.1:4222）")
        parser.add_argument("--nats-stream", default="", help="JetStream 流名（默认 EDUBASE_EVENTS）")
        parser.add_argument("--nats-ack-wait", type=float, default=60.0, help="JetStream 未确认重投等待秒数")
        parser.add_argument("--batch", type=int, default=50000, help="每批处理的事件数上限")
        parser.add_argument("--components", default="", help="module:func（测试/基准用的替代处理组件）")
        parser.add_argument("--parent-pid", type=int, default=0, help="(内部) 父进程号：父进程退出时本进程随之退出")

    def handle(self, *args: Any, **options: Any) -> None:
        from edubase.secops.logs.ingest.server import IngestOptions

        logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
        spool_dir = Path(options["spool_dir"] or (Path(settings.VAR_DIR) / "spool")).resolve()
        spool_dir.mkdir(parents=True, exist_ok=True)
        ports = [options[k] for k in ("syslog_udp", "syslog_tcp", "syslog_tls", "http")]
        if options["role"] != "worker" and all(p is None for p in ports):
            options["syslog_udp"] = options["syslog_tcp"] = 5514
            options["http"] = 9200
        if options["syslog_tls"] is not None and not (options["cert"] and options["key"]):
            raise CommandError("--syslog-tls 需要同时提供 --cert 与 --key")
        for name in ("cert", "key"):
            if options[name] and not Path(options[name]).is_file():
                raise CommandError(f"--{name} 文件不存在：{options[name]}")
        if options["batch"] < 1:
            raise CommandError("--batch 必须是正整数")
        opts = IngestOptions(
            spool_dir=spool_dir,
            host=options["host"],
            syslog_udp=options["syslog_udp"],
            syslog_tcp=options["syslog_tcp"],
            syslog_tls=options["syslog_tls"],
            tls_cert=options["cert"] or None,
            tls_key=options["key"] or None,
            http=options["http"],
            mode=options["mode"],
            role=options["role"],
            nats_url=options["nats_url"] or getattr(settings, "EDUBASE_NATS_URL", "nats://127.0.0.1:4222"),
            nats_stream=options["nats_stream"] or getattr(settings, "EDUBASE_NATS_STREAM", "EDUBASE_EVENTS"),
            nats_ack_wait=options["nats_ack_wait"],
            batch=options["batch"],
        )
        worker_argv = [
            "--mode",
            opts.mode,
            "--spool-dir",
            str(spool_dir),
            "--nats-url",
            opts.nats_url,
            "--nats-stream",
            opts.nats_stream,
            "--nats-ack-wait",
            str(opts.nats_ack_wait),
            "--batch",
            str(opts.batch),
        ]
        if options["components"]:
            worker_argv += ["--components", options["components"]]
        if opts.role == "worker":
            self._worker(opts, options["components"], options["parent_pid"] or None)
        else:
            asyncio.run(self._receiver(opts, worker_argv if opts.role == "all" else None))

    async def _receiver(self, opts: Any, worker_argv: list[str] | None) -> None:
        import os

        from edubase.secops.logs import sources
        from edubase.secops.logs.ingest.server import run_receiver, supervise

        stop = asyncio.Event()
        supervisor = None
        if worker_argv is not None:
            supervisor = asyncio.create_task(supervise([*worker_argv, "--parent-pid", str(os.getpid())], stop))
        try:
            await run_receiver(
                opts,
                load_sources=sources.source_table,
                flush_rejections=sources.flush_rejections,
                stop=stop,
                on_ready=lambda bound: self.stdout.write(f"edubase ingest 已启动：{bound.ports}"),
            )
        finally:
            stop.set()
            if supervisor is not None:
                await supervisor

    def _worker(self, opts: Any, components_spec: str, parent: int | None) -> None:
        import signal

        from edubase.secops.logs import sources
        from edubase.secops.logs.ingest.server import run_local_worker

        components = _components(components_spec)
        stop = threading.Event()
        signal.signal(signal.SIGTERM, lambda *_: stop.set())
        signal.signal(signal.SIGINT, lambda *_: stop.set())
        self.stdout.write(f"edubase ingest 处理进程已启动（{opts.mode}）")
        if opts.mode == "nats":
            from edubase.secops.logs.ingest.nats import run_nats_worker

            asyncio.run(
                run_nats_worker(opts, components, stop=stop, flush_counters=sources.flush_counters, parent=parent)
            )
        else:
            run_local_worker(
                opts.spool_dir,
                components,
                batch=opts.batch,
                stop=stop,
                flush_counters=sources.flush_counters,
                flush_s=opts.flush_s,
                parent=parent,
            )
