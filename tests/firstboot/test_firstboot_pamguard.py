"""The default-password guard: its logic, and the real PAM stack from the overlay's
pam-auth-update profile run through libpam (pam_start_confdir) with pam_exec."""

from __future__ import annotations

import ctypes
import ctypes.util
import io
import sys
from pathlib import Path

import pytest
from passlib.hash import sha512_crypt

from firstboot.pamguard import main, read_authtok, refuse

REPO = Path(__file__).resolve().parents[2]
OVERLAY = REPO / "appliance/rootfs/overlay"
PROFILE = OVERLAY / "usr/share/pam-configs/opensbc-default-password"
HELPER = "/usr/lib/opensbc/refuse-default-password"
AUTH_ENV = {"PAM_TYPE": "auth", "PAM_SERVICE": "sshd", "PAM_USER": "root"}


def test_authtok_with_and_without_nul() -> None:
    assert read_authtok(b"omc\0") == "omc"
    assert read_authtok(b"omc") == "omc"
    assert read_authtok(b"p\xc3\xa4ss\0junk") == "päss"


@pytest.mark.parametrize(
    ("typed", "service", "refused"),
    [
        ("omc", "sshd", True),
        ("omc", "cockpit", True),
        ("omc", "su", True),
        ("omc", "login", False),  # the console: how the admin reaches the wizard
        ("Sbc-first-1", "sshd", False),
        ("OMC", "sshd", False),
    ],
)
def test_refuse(typed: str, service: str, refused: bool) -> None:
    assert refuse(typed, service) is refused


def test_refuse_a_build_specific_default() -> None:
    other = sha512_crypt.using(rounds=5000).hash("Build-default-2")
    assert refuse("Build-default-2", "sshd", other)
    assert not refuse("Build-default-3", "sshd", other)


def test_main_exit_codes(tmp_path: Path) -> None:
    nohash = ["--default-hash", str(tmp_path / "absent")]
    assert main(nohash, io.BytesIO(b"omc\0"), AUTH_ENV) == 1
    assert main(nohash, io.BytesIO(b"Sbc-first-1\0"), AUTH_ENV) == 0
    assert main(nohash, io.BytesIO(b"omc\0"), {**AUTH_ENV, "PAM_SERVICE": "login"}) == 0
    assert main(nohash, io.BytesIO(b"omc\0"), {**AUTH_ENV, "PAM_TYPE": "account"}) == 0


def test_overlay_wiring() -> None:
    text = PROFILE.read_text()
    assert "Auth-Type: Additional" in text
    assert f"pam_exec.so quiet expose_authtok {HELPER}" in text
    wrapper = OVERLAY / HELPER.lstrip("/")
    assert wrapper.stat().st_mode & 0o111
    assert "-m firstboot.pamguard" in wrapper.read_text()
    sshd = (OVERLAY / "etc/ssh/sshd_config.d/opensbc.conf").read_text()
    assert "PermitRootLogin yes" in sshd and "UsePAM yes" in sshd


# --- the real PAM stack ----------------------------------------------------------------

class PamMessage(ctypes.Structure):
    _fields_ = [("msg_style", ctypes.c_int), ("msg", ctypes.c_char_p)]


class PamResponse(ctypes.Structure):
    _fields_ = [("resp", ctypes.c_void_p), ("resp_retcode", ctypes.c_int)]


CONV_FUNC = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.c_int,
                             ctypes.POINTER(ctypes.POINTER(PamMessage)),
                             ctypes.POINTER(ctypes.POINTER(PamResponse)), ctypes.c_void_p)


class PamConv(ctypes.Structure):
    _fields_ = [("conv", CONV_FUNC), ("appdata_ptr", ctypes.c_void_p)]


def _profile_auth_lines() -> list[str]:
    """The profile's Auth: block as pam.d lines (what pam-auth-update writes)."""
    lines, inside = [], False
    for line in PROFILE.read_text().splitlines():
        if line.startswith("Auth:"):
            inside = True
        elif inside and line[:1] in ("\t", " "):
            lines.append("auth " + " ".join(line.split()))
        else:
            inside = False
    return lines


def _pam_authenticate(confdir: Path, service: str, password: str) -> int:
    libpam = ctypes.CDLL(ctypes.util.find_library("pam") or "libpam.so.0")
    libc = ctypes.CDLL(None)
    libc.calloc.restype = ctypes.c_void_p
    libc.strdup.restype = ctypes.c_void_p
    libc.strdup.argtypes = [ctypes.c_char_p]

    def conv(n: int, _msgs: object, resp: object, _data: object) -> int:
        array = libc.calloc(n, ctypes.sizeof(PamResponse))  # PAM frees it
        replies = ctypes.cast(array, ctypes.POINTER(PamResponse))
        for i in range(n):
            replies[i].resp = libc.strdup(password.encode())
            replies[i].resp_retcode = 0
        resp[0] = replies  # type: ignore[index]
        return 0

    callback = CONV_FUNC(conv)
    handle = ctypes.c_void_p()
    start = libpam.pam_start_confdir
    start.argtypes = [ctypes.c_char_p, ctypes.c_char_p, ctypes.POINTER(PamConv),
                      ctypes.c_char_p, ctypes.POINTER(ctypes.c_void_p)]
    rc = start(service.encode(), b"root", ctypes.byref(PamConv(callback, None)),
               str(confdir).encode(), ctypes.byref(handle))
    assert rc == 0
    result = int(libpam.pam_authenticate(handle, 0))
    libpam.pam_end(handle, result)
    return result


@pytest.fixture
def pam_confdir(tmp_path: Path) -> Path:
    security = Path("/lib/x86_64-linux-gnu/security")
    if not (security / "pam_exec.so").exists() or not ctypes.util.find_library("pam"):
        pytest.skip("needs libpam0g with pam_exec (Debian's libpam-modules)")
    helper = tmp_path / "refuse-default-password"
    helper.write_text(  # the overlay's wrapper, pointed at this checkout and venv
        f"#!/bin/sh\nexec {sys.executable} -c 'import sys; sys.path.insert(0, \"{REPO}\"); "
        f"from firstboot.pamguard import main; sys.exit(main())'\n")
    helper.chmod(0o755)
    confdir = tmp_path / "pam.d"
    confdir.mkdir()
    # common-auth's shape: pam_unix (here pam_permit, it has no user database to ask),
    # then the Additional block from our profile.
    stack = ["auth required pam_permit.so"] + [
        line.replace(HELPER, str(helper)) for line in _profile_auth_lines()]
    assert len(stack) == 3
    for service in ("sshd", "cockpit", "login"):
        (confdir / service).write_text("\n".join(stack) + "\n")
    return confdir


@pytest.mark.parametrize(
    ("service", "password", "ok"),
    [
        ("sshd", "omc", False),
        ("cockpit", "omc", False),
        ("login", "omc", True),
        ("sshd", "Sbc-first-1", True),
        ("cockpit", "Sbc-first-1", True),
    ],
)
def test_real_pam_stack(pam_confdir: Path, service: str, password: str, ok: bool) -> None:
    assert (_pam_authenticate(pam_confdir, service, password) == 0) is ok
