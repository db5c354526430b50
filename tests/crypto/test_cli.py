"""``edubase crypto`` verbs, and interop with the system ``openssl`` 3 binary through them."""

import shutil
import subprocess
import sys

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

OPENSSL = shutil.which("openssl")
needs_openssl = pytest.mark.skipif(OPENSSL is None, reason="system openssl binary not installed")
DISTID = "distid:1234567812345678"


def edubase(*args: str, check: bool = True) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "edubase.cli", *args], capture_output=True, text=True, check=check, timeout=120
    )


def openssl(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([OPENSSL, *args], capture_output=True, text=True, check=False, timeout=60)


@pytest.fixture
def files(tmp_path):
    (tmp_path / "msg").write_bytes("教育电子证照 edubase".encode() * 10)
    return tmp_path


def test_selftest_passes_and_names_the_native_provider():
    result = edubase("crypto", "selftest", "--quick")
    assert "native（原生 OpenSSL 3）" in result.stdout
    assert "0 项失败" in result.stdout


def test_keygen_sign_verify_round_trip(files):
    call_command("crypto", "keygen", "--out", str(files / "k.pem"), "--pub-out", str(files / "p.pem"))
    assert oct((files / "k.pem").stat().st_mode)[-3:] == "600"
    call_command(
        "crypto", "sign", "--key", str(files / "k.pem"), "--in", str(files / "msg"), "--out", str(files / "sig")
    )
    ok = edubase(
        "crypto",
        "verify",
        "--pub",
        str(files / "p.pem"),
        "--in",
        str(files / "msg"),
        "--sig",
        str(files / "sig"),
        check=False,
    )
    assert ok.returncode == 0
    (files / "msg").write_bytes(b"tampered")
    bad = edubase(
        "crypto",
        "verify",
        "--pub",
        str(files / "p.pem"),
        "--in",
        str(files / "msg"),
        "--sig",
        str(files / "sig"),
        check=False,
    )
    assert bad.returncode == 1 and "验签失败" in bad.stderr


def test_verify_with_wrong_id_fails(files):
    call_command("crypto", "keygen", "--out", str(files / "k.pem"), "--pub-out", str(files / "p.pem"))
    call_command(
        "crypto",
        "sign",
        "--key",
        str(files / "k.pem"),
        "--in",
        str(files / "msg"),
        "--out",
        str(files / "sig"),
        "--id",
        "ALICE123@YAHOO.COM",
    )
    bad = edubase(
        "crypto",
        "verify",
        "--pub",
        str(files / "p.pem"),
        "--in",
        str(files / "msg"),
        "--sig",
        str(files / "sig"),
        check=False,
    )
    assert bad.returncode == 1


def test_sm4_gcm_encrypt_decrypt(files):
    (files / "key.hex").write_text("0123456789abcdeffedcba9876543210\n")
    call_command(
        "crypto",
        "encrypt",
        "--alg",
        "sm4-gcm",
        "--key",
        str(files / "key.hex"),
        "--in",
        str(files / "msg"),
        "--out",
        str(files / "ct"),
        "--aad",
        "row-1",
    )
    call_command(
        "crypto",
        "decrypt",
        "--alg",
        "sm4-gcm",
        "--key",
        str(files / "key.hex"),
        "--in",
        str(files / "ct"),
        "--out",
        str(files / "pt"),
        "--aad",
        "row-1",
    )
    assert (files / "pt").read_bytes() == (files / "msg").read_bytes()
    with pytest.raises(CommandError, match="解密失败"):
        call_command(
            "crypto",
            "decrypt",
            "--alg",
            "sm4-gcm",
            "--key",
            str(files / "key.hex"),
            "--in",
            str(files / "ct"),
            "--out",
            str(files / "pt"),
            "--aad",
            "row-2",
        )


@pytest.mark.parametrize("order", ["c1c3c2", "c1c2c3", "asn1"])
def test_sm2_encrypt_decrypt(files, order):
    call_command("crypto", "keygen", "--out", str(files / "k.pem"), "--pub-out", str(files / "p.pem"))
    call_command(
        "crypto",
        "encrypt",
        "--pub",
        str(files / "p.pem"),
        "--in",
        str(files / "msg"),
        "--out",
        str(files / "ct"),
        "--order",
        order,
    )
    call_command(
        "crypto",
        "decrypt",
        "--key",
        str(files / "k.pem"),
        "--in",
        str(files / "ct"),
        "--out",
        str(files / "pt"),
        "--order",
        order,
    )
    assert (files / "pt").read_bytes() == (files / "msg").read_bytes()


def test_corrupt_key_file_is_a_clear_error(files):
    (files / "bad.pem").write_text("-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n")
    with pytest.raises(CommandError, match="密钥"):
        call_command(
            "crypto", "sign", "--key", str(files / "bad.pem"), "--in", str(files / "msg"), "--out", str(files / "sig")
        )


@needs_openssl
def test_openssl_signs_edubase_verifies(files):
    assert (
        openssl(
            "genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:SM2", "-out", str(files / "k.pem")
        ).returncode
        == 0
    )
    assert openssl("pkey", "-in", str(files / "k.pem"), "-pubout", "-out", str(files / "p.pem")).returncode == 0
    signed = openssl(
        "pkeyutl",
        "-sign",
        "-rawin",
        "-digest",
        "sm3",
        "-inkey",
        str(files / "k.pem"),
        "-in",
        str(files / "msg"),
        "-out",
        str(files / "sig"),
        "-pkeyopt",
        DISTID,
    )
    assert signed.returncode == 0, signed.stderr
    ok = edubase(
        "crypto",
        "verify",
        "--pub",
        str(files / "p.pem"),
        "--in",
        str(files / "msg"),
        "--sig",
        str(files / "sig"),
        check=False,
    )
    assert ok.returncode == 0, ok.stderr


@needs_openssl
def test_edubase_signs_openssl_verifies(files):
    call_command("crypto", "keygen", "--out", str(files / "k.pem"), "--pub-out", str(files / "p.pem"))
    call_command(
        "crypto", "sign", "--key", str(files / "k.pem"), "--in", str(files / "msg"), "--out", str(files / "sig")
    )
    verified = openssl(
        "pkeyutl",
        "-verify",
        "-rawin",
        "-digest",
        "sm3",
        "-pubin",
        "-inkey",
        str(files / "p.pem"),
        "-in",
        str(files / "msg"),
        "-sigfile",
        str(files / "sig"),
        "-pkeyopt",
        DISTID,
    )
    assert verified.returncode == 0, verified.stdout + verified.stderr
    # openssl reads our private key too, and derives the same public key
    derived = openssl("pkey", "-in", str(files / "k.pem"), "-pubout")
    assert derived.stdout.strip() == (files / "p.pem").read_text().strip()


@needs_openssl
def test_openssl_encrypts_edubase_decrypts_and_back(files):
    call_command("crypto", "keygen", "--out", str(files / "k.pem"), "--pub-out", str(files / "p.pem"))
    (files / "short").write_bytes("身份证号 410105199003070019".encode())
    enc = openssl(
        "pkeyutl",
        "-encrypt",
        "-pubin",
        "-inkey",
        str(files / "p.pem"),
        "-in",
        str(files / "short"),
        "-out",
        str(files / "ct"),
    )
    assert enc.returncode == 0, enc.stderr
    call_command(
        "crypto",
        "decrypt",
        "--key",
        str(files / "k.pem"),
        "--in",
        str(files / "ct"),
        "--out",
        str(files / "pt"),
        "--order",
        "asn1",
    )
    assert (files / "pt").read_bytes() == (files / "short").read_bytes()
    call_command(
        "crypto",
        "encrypt",
        "--pub",
        str(files / "p.pem"),
        "--in",
        str(files / "short"),
        "--out",
        str(files / "ct2"),
        "--order",
        "asn1",
    )
    dec = openssl(
        "pkeyutl", "-decrypt", "-inkey", str(files / "k.pem"), "-in", str(files / "ct2"), "-out", str(files / "pt2")
    )
    assert dec.returncode == 0, dec.stderr
    assert (files / "pt2").read_bytes() == (files / "short").read_bytes()


@pytest.mark.django_db
def test_key_hierarchy_verbs(capsys):
    call_command("crypto", "add-node", "4199", "--level", "region", "--parent", "41", "--name", "测试市")
    call_command("crypto", "nodes")
    assert "4199\tregion" in capsys.readouterr().out
    call_command("crypto", "rotate-kek", "4199")
    call_command("crypto", "rotate-signing", "4199")
    out = capsys.readouterr().out
    assert "KEK 已轮换到 v2" in out and "签名密钥已轮换到 v2" in out
