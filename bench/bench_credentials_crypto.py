"""E-certificate crypto benchmark (issue 8), one core, warm caches, one run.

Figures are calls per CPU-second of one thread (what "per core" means on a shared machine).
Targets per core: issue (build the VC + SM2 compact JWS + SM3 digest) >= 500/s, verify (the full
five-check report, status lists from a warm resolver) >= 1,000/s. Peers measured in the same run:
the same JWS flow with ES256 through ``cryptography`` (OpenSSL's P-256), the bare SM2 sign/verify of
the crypto core, and ``openssl speed sm2`` (the C reference) when the CLI is present.

Run: PYTHONPATH=src .venv/bin/python bench/bench_credentials_crypto.py   (BENCH_SECONDS=2 default;
prints a table; exits 0 even if a target is missed, 1 if the verifier disagrees with itself)
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT / "bench"))

from benchlib import pct, timed  # noqa: E402
from cryptography.hazmat.primitives.asymmetric import ec  # noqa: E402

from edubase.credentials.identifiers import make_identifier  # noqa: E402
from edubase.credentials.jose import sign_compact  # noqa: E402
from edubase.credentials.offline import claims_from_credential, encode_offline, verify_offline  # noqa: E402
from edubase.credentials.statuslist import StatusList, status_entry, status_list_credential  # noqa: E402
from edubase.credentials.vc import build_credential, certificate_file, credential_digest  # noqa: E402
from edubase.credentials.verify import IssuerKey, StaticResolver, verify_credential  # noqa: E402
from edubase.crypto.sm2 import SM2PrivateKey  # noqa: E402

SECONDS = float(os.environ.get("BENCH_SECONDS", "2"))
ISSUER_ID = "https://cert.example/issuers/zzu"
ISSUER_CODE = "91330100716105852F"
TYPE_CODE = "914403001922038216001"
LIST_URL = f"{ISSUER_ID}/status/revocation/1"
ISSUED = datetime(2025, 6, 30, tzinfo=UTC)


def rate(fn: Callable[[], object], seconds: float = SECONDS) -> float:
    """Calls per CPU-second of ``fn`` on this thread, after a short warm-up.

    CPU time, not wall time: the development machine is shared (load 4-8 on 2 cores), and
    ``openssl speed`` also counts CPU time by default, so the ratio against it stays fair.
    """
    for _ in range(3):
        fn()
    n, start = 0, time.process_time()
    while True:
        for _ in range(20):
            fn()
        n += 20
        now = time.process_time()
        if now - start >= seconds:
            return n / (now - start)


def openssl_sm2() -> tuple[float, float] | None:
    try:
        out = subprocess.run(
            ["openssl", "speed", "-seconds", str(int(max(1, SECONDS))), "sm2"],
            capture_output=True,
            text=True,
            check=False,
        )
    except FileNotFoundError:
        return None
    m = re.search(r"SM2 \(CurveSM2\)\s+[\d.]+s\s+[\d.]+s\s+([\d.]+)\s+([\d.]+)", out.stdout + out.stderr)
    return (float(m.group(1)), float(m.group(2))) if m else None


def credential(serial: int) -> dict[str, Any]:
    """A typical graduation certificate (about 1.3 KB of JSON)."""
    return build_credential(
        identifier=make_identifier(type_code=TYPE_CODE, issuer_code=ISSUER_CODE, serial=f"2025{serial:08d}", version=1),
        type_name="GraduationCertificate",
        issuer_id=ISSUER_ID,
        issuer_name="郑州大学",
        holder={"name": "张三", "idType": "居民身份证", "idMasked": "4101**********1234"},
        subject={
            "school": "郑州大学",
            "college": "计算机与人工智能学院",
            "major": "软件工程",
            "educationLevel": "本科",
            "studyMode": "普通全日制",
            "enrolled": "2021-09-01",
            "graduated": "2025-06-30",
            "certificateNumber": f"104591202505{serial:06d}",
        },
        valid_from=ISSUED,
        valid_until=None,
        status_entries=[status_entry(list_url=LIST_URL, index=serial % 131072, purpose="revocation")],
        metadata={},
    )


def main() -> int:
    sm2_key = SM2PrivateKey.generate()
    es_key = ec.generate_private_key(ec.SECP256R1())
    keys = [
        IssuerKey("zzu-1", ISSUER_ID, ISSUER_CODE, "SM2", sm2_key.public_key(), ISSUED - timedelta(days=365), None),
        IssuerKey("zzu-es-1", ISSUER_ID, ISSUER_CODE, "ES256", es_key.public_key(), ISSUED - timedelta(days=365), None),
    ]
    status_list = StatusList()
    for i in range(0, 131072, 97):  # some revoked certificates, so the list is not trivially compressible
        status_list.set(i, True)
    list_doc = status_list_credential(
        list_url=LIST_URL, purpose="revocation", status_list=status_list, issuer_id=ISSUER_ID, valid_from=ISSUED
    )
    resolver = StaticResolver(keys, {LIST_URL: sign_compact(list_doc, alg="SM2", key=sm2_key, kid="zzu-1")})
    now = datetime(2026, 1, 15, tzinfo=UTC)

    counter = iter(range(1, 10**9))

    def issue_sm2() -> str:
        jws = sign_compact(credential(next(counter)), alg="SM2", key=sm2_key, kid="zzu-1")
        credential_digest(jws)
        return jws

    def issue_es256() -> str:
        jws = sign_compact(credential(next(counter)), alg="ES256", key=es_key, kid="zzu-es-1")
        credential_digest(jws)
        return jws

    sample = credential(1)  # serial 1: index 1 is not revoked
    sm2_file = certificate_file(sign_compact(sample, alg="SM2", key=sm2_key, kid="zzu-1"))
    es_file = certificate_file(sign_compact(sample, alg="ES256", key=es_key, kid="zzu-es-1"))
    offline_text = encode_offline(claims=claims_from_credential(sample, jws=sm2_file["jws"]), key=sm2_key, kid="zzu-1")
    for data in (sm2_file, es_file):
        report = verify_credential(data, resolver=resolver, now=now)
        if not report.valid:
            print("verifier refused a valid certificate:", report.to_dict()["checks"])
            return 1
    if not verify_offline(offline_text, resolver=resolver, now=now).valid:
        print("offline verifier refused a valid payload")
        return 1

    def verify_sm2() -> None:
        verify_credential(sm2_file, resolver=resolver, now=now)

    def verify_es256() -> None:
        verify_credential(es_file, resolver=resolver, now=now)

    def verify_qr() -> None:
        verify_offline(offline_text, resolver=resolver, now=now)

    message = b"x" * 1500
    raw_sig = sm2_key.sign(message, fmt="raw")
    public = sm2_key.public_key()
    measured: dict[str, Callable[[], object]] = {
        "issue": issue_sm2,
        "verify": verify_sm2,
        "issue_es": issue_es256,
        "verify_es": verify_es256,
        "qr": verify_qr,
        "core_sign": lambda: sm2_key.sign(message, fmt="raw"),
        "core_verify": lambda: public.verify(message, raw_sig, fmt="raw"),
    }
    # The machine is shared: three interleaved rounds, best of three per figure.
    best: dict[str, float] = dict.fromkeys(measured, 0.0)
    for _ in range(3):
        for name, fn in measured.items():
            best[name] = max(best[name], rate(fn, SECONDS / 3))
    issue, verify = best["issue"], best["verify"]
    rows: list[tuple[str, float, str]] = [
        ("issue SM2 (VC build + JWS sign + SM3 digest)", issue, "target >= 500/s"),
        ("verify SM2 (5-check report, warm status list)", verify, "target >= 1,000/s"),
        (
            "issue ES256, same flow (peer: cryptography)",
            best["issue_es"],
            f"SM2/ES256 = {issue / best['issue_es']:.2f}",
        ),
        (
            "verify ES256, same flow (peer: cryptography)",
            best["verify_es"],
            f"SM2/ES256 = {verify / best['verify_es']:.2f}",
        ),
        ("offline QR verify (SM2)", best["qr"], "status skipped by design"),
        ("bare SM2 sign, crypto core (1.5 KB)", best["core_sign"], f"issue/bare = {issue / best['core_sign']:.2f}"),
        (
            "bare SM2 verify, crypto core (1.5 KB)",
            best["core_verify"],
            f"verify/bare = {verify / best['core_verify']:.2f}",
        ),
    ]
    ref = openssl_sm2()
    if ref:
        rows += [
            ("openssl speed sm2: sign (C reference)", ref[0], f"issue/openssl = {issue / ref[0]:.2f}"),
            ("openssl speed sm2: verify (C reference)", ref[1], f"verify/openssl = {verify / ref[1]:.2f}"),
        ]
    latencies = timed(verify_sm2, 500)  # wall clock: inflated by other load on a shared machine
    print(
        f"e-certificate crypto, calls per CPU-second of one core (best of 3 x {SECONDS / 3:g} s), "
        f"JWS {len(sm2_file['jws'])} bytes, "
        f"offline QR {len(offline_text)} chars"
    )
    for name, value, note in rows:
        print(f"  {name:<48} {value:>9,.0f}/s   {note}")
    print(f"  verify latency (wall) p50 {pct(latencies, 50):.3f} ms, p99 {pct(latencies, 99):.3f} ms")
    print(f"  targets: issue {'MET' if issue >= 500 else 'MISSED'}, verify {'MET' if verify >= 1000 else 'MISSED'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
