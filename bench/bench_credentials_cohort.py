"""E-certificate cohort benchmark: a whole graduating class issued end to end, then verified.

Measures, each next to a named peer in the same run:

- issuance end to end (``issuance.issue_demo_cohort``: batch rows, random status indices, VC 2.0
  build, SM2 compact JWS, bulk insert per 500-certificate transaction, chained audit per chunk,
  status lists signed and written) vs the same payloads signed with ES256 (``cryptography``, P-256)
  and with SM2 alone (signing only, no database): where the time goes;
- PDFs: one printable PDF per certificate (``credentials.pdf.render``: platypus layout, embedded CJK
  font subset, QR code, JWS embedded with pypdf) vs a plain reportlab canvas page with the same
  text (no QR, no embedded credential);
- verification through the database resolver (``verification.run_checks``: key from the registry,
  status list read fresh, every check) vs the pure library with an in-memory resolver.

SQLite by default (``bench/.data/credentials-sqlite/``); PostgreSQL when EDUBASE_DATABASE_URL names
an empty database. BENCH_CERTS sets the cohort (default 100,000; BENCH_CERTS=2000 for a quick run),
BENCH_PDFS how many PDFs are rendered (default: the whole cohort), BENCH_VERIFY how many
verifications (default 1,000). One process, one core.

Run: .venv/bin/python bench/bench_credentials_cohort.py
"""

from __future__ import annotations

import datetime as dt
import io
import os
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import benchlib  # noqa: E402

CERTS = int(os.environ.get("BENCH_CERTS", "100000"))
PDFS = int(os.environ.get("BENCH_PDFS", str(CERTS)))
VERIFY = int(os.environ.get("BENCH_VERIFY", "1000"))


def _cohort(n: int) -> Any:
    """A university with ``n`` students whose enrolment ends this year (bulk inserted; temporary ``L``
    identifiers, which carry no check digit, keep the generator trivial)."""
    from tests.factories import make_org

    from edubase.orgs.models import OrgKind
    from edubase.people.models import Enrolment, IdKind, Person

    province = make_org(None, kind=OrgKind.PROVINCE, name="河南省", code="410000", region="410000")
    city = make_org(province, kind=OrgKind.PREFECTURE, name="郑州市", code="410100", region="410100")
    county = make_org(city, kind=OrgKind.COUNTY, name="金水区", code="410105", region="410105")
    school = make_org(
        county, kind=OrgKind.SCHOOL, name="郑州示范大学", code="4141010459", region="410105", category="41"
    )
    persons = []
    for i in range(n):
        persons.append(
            Person(
                name=f"学生{i:06d}",
                id_kind=IdKind.TEMPORARY,
                id_number=f"L{i:017d}",
                id_number_masked=f"L{i:017d}"[:6] + "********" + f"{i:04d}"[-4:],
            )
        )
    Person.objects.bulk_create(persons, batch_size=2000)
    year = dt.date.today().year
    Enrolment.objects.bulk_create(
        [Enrolment(person=p, school=school, start=dt.date(year - 4, 9, 1), end=dt.date(year, 6, 30)) for p in persons],
        batch_size=2000,
    )
    return school, year


def main() -> None:
    database = benchlib.django_env("credentials")
    from cryptography.hazmat.primitives.asymmetric import ec

    from edubase.credentials import issuance, pdf, verification
    from edubase.credentials.jose import sign_compact
    from edubase.credentials.models import Certificate
    from edubase.credentials.resolver import DatabaseResolver
    from edubase.credentials.verify import verify_credential

    print(f"e-certificate cohort benchmark · {database} · {CERTS:,} certificates · one core")
    school, year = _cohort(CERTS)

    start, cpu = time.perf_counter(), time.process_time()
    batch = issuance.issue_demo_cohort(school=school, year=year)
    issue_s = time.perf_counter() - start
    issue_cpu = time.process_time() - cpu  # this process only: the database server's CPU is not in it
    assert batch.issued == CERTS, batch.issued
    certificates = list(Certificate.objects.filter(batch=batch).order_by("pk").only("jws", "identifier"))
    payloads = [pdf.payload_of(c.jws) for c in certificates[: min(CERTS, 5000)]]
    from edubase.credentials import issuers

    key = issuers.current_key(batch.issuer)
    sm2_key = issuers.signing_key(batch.issuer, key.key_version)
    es_key = ec.generate_private_key(ec.SECP256R1())
    start = time.perf_counter()
    for p in payloads:
        sign_compact(p, alg="SM2", key=sm2_key, kid=key.kid)
    sm2_rate = len(payloads) / (time.perf_counter() - start)
    start = time.perf_counter()
    for p in payloads:
        sign_compact(p, alg="ES256", key=es_key, kid="es256-1")
    es_rate = len(payloads) / (time.perf_counter() - start)
    print("\nissuance")
    print(
        f"  end to end (batch → signed, stored, audited, status published): {CERTS / issue_s:,.0f} /s "
        f"({issue_s:,.1f} s for {CERTS:,}); {CERTS / issue_cpu:,.0f} per CPU-second of this process"
    )
    print(
        f"  peer: SM2 signing alone {sm2_rate:,.0f} /s · ES256 signing alone {es_rate:,.0f} /s "
        f"(end to end / SM2 alone = {CERTS / issue_s / sm2_rate:.2f})"
    )

    out_dir = Path(os.environ["EDUBASE_VAR_DIR"]) / "pdf"
    out_dir.mkdir(exist_ok=True)
    count = min(PDFS, len(certificates))
    start = time.perf_counter()
    size = 0
    for c in certificates[:count]:
        data = pdf.render(c.jws)
        size += len(data)
        (out_dir / f"{c.pk}.pdf").write_bytes(data)
    pdf_s = time.perf_counter() - start
    from reportlab.pdfgen import canvas

    from edubase.core.pdf import font_name

    start = time.perf_counter()
    plain = min(count, 500)
    for c in certificates[:plain]:
        buffer = io.BytesIO()
        page = canvas.Canvas(buffer)
        page.setFont(font_name(), 11)
        for n, (label, value) in enumerate(pdf.printed_rows(pdf.payload_of(c.jws))):
            page.drawString(60, 780 - 18 * n, f"{label}：{value}")
        page.save()
    plain_rate = plain / (time.perf_counter() - start)
    print("\nPDF (written to disk)")
    print(
        f"  certificate PDF with QR + embedded JWS: {count / pdf_s:,.0f} /s, {size / max(count, 1) / 1024:.1f} KB each "
        f"({pdf_s:,.1f} s for {count:,}; "
        f"cohort end to end with PDFs ≈ {issue_s + pdf_s * CERTS / max(count, 1):,.0f} s)"
    )
    print(
        f"  peer: plain reportlab canvas page, same text: {plain_rate:,.0f} /s "
        f"(certificate PDF / plain = {count / pdf_s / plain_rate:.2f})"
    )

    sample = certificates[: min(VERIFY, len(certificates))]
    resolver = DatabaseResolver()
    verification.run_checks(sample[0].jws)  # warm caches
    start, cpu = time.perf_counter(), time.process_time()
    for c in sample:
        assert verification.run_checks(c.jws).valid
    db_rate = len(sample) / (time.perf_counter() - start)
    db_cpu_rate = len(sample) / (time.process_time() - cpu)
    lists: dict[str, str | None] = {}
    keys: dict[str, Any] = {}

    class Memory:
        def issuer_key(self, kid: str) -> Any:
            if kid not in keys:
                keys[kid] = resolver.issuer_key(kid)
            return keys[kid]

        def status_list(self, url: str) -> str | None:
            if url not in lists:
                lists[url] = resolver.status_list(url)
            return lists[url]

    memory = Memory()
    verify_credential(sample[0].jws, resolver=memory)
    start = time.perf_counter()
    for c in sample:
        assert verify_credential(c.jws, resolver=memory).valid
    mem_rate = len(sample) / (time.perf_counter() - start)
    print("\nverification (warm)")
    print(
        f"  through the database resolver (status list read fresh): {db_rate:,.0f} /s "
        f"({db_cpu_rate:,.0f} per CPU-second)"
    )
    print(
        f"  peer: library with an in-memory resolver: {mem_rate:,.0f} /s (database / memory = {db_rate / mem_rate:.2f})"
    )


if __name__ == "__main__":
    main()
