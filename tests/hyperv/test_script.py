"""The Hyper-V script cannot run here: its text is checked instead.

The checks pin what the issue asks for (generations, Secure Boot template, sizes, the
install-poweroff-reboot sequence) and the house style of plain, idiomatic PowerShell
(strict mode, stop on errors, full cmdlet names, no aliases).
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parents[2] / "hyperv" / "New-OpenSbcVM.ps1"


@pytest.fixture(scope="module")
def text() -> str:
    return SCRIPT.read_text()


def code_lines(text: str) -> list[str]:
    body = re.sub(r"<#.*?#>", "", text, flags=re.S)
    return [line for line in body.splitlines() if line.strip() and not line.strip().startswith("#")]


def test_strict_and_stop_on_error(text: str) -> None:
    assert "Set-StrictMode -Version Latest" in text
    assert "$ErrorActionPreference = 'Stop'" in text
    assert "#Requires -RunAsAdministrator" in text and "#Requires -Modules Hyper-V" in text
    assert "[CmdletBinding(SupportsShouldProcess)]" in text


def test_parameters_and_defaults(text: str) -> None:
    assert re.search(r"\[ValidateSet\(1, 2\)\]\s*\[int\]\$Generation = 2", text)
    assert re.search(r"\[int\]\$DiskSizeGB = 16", text)
    assert re.search(r"\[int\]\$ProcessorCount = 2", text)
    assert re.search(r"\[int\]\$MemoryGB = 4", text)
    for name in ("Name", "IsoPath", "SwitchName"):
        mandatory = rf"\[Parameter\(Mandatory\)\]\s*(\[[^\]]+\]\)?\s*)*\[string\]\${name}"
        assert re.search(mandatory, text)


def test_vm_shape(text: str) -> None:
    assert "New-VHD -Path $VhdPath -SizeBytes ($DiskSizeGB * 1GB) -Dynamic" in text
    assert "New-VM -Name $Name -Generation $Generation" in text
    assert "-SwitchName $SwitchName" in text
    assert "Set-VMProcessor -VM $vm -Count $ProcessorCount" in text


def test_generation_2_secure_boot_with_uefi_ca(text: str) -> None:
    assert "Add-VMDvdDrive -VM $vm -Path $IsoPath -Passthru" in text
    assert "-EnableSecureBoot On" in text
    assert "-SecureBootTemplate MicrosoftUEFICertificateAuthority -FirstBootDevice $dvd" in text


def test_generation_1_boots_cd_then_disk(text: str) -> None:
    assert "Set-VMBios -VM $vm -StartupOrder @('CD', 'IDE'" in text
    assert "Set-VMBios -VM $vm -StartupOrder @('IDE', 'CD'" in text


def test_install_poweroff_then_disk_first(text: str) -> None:
    order = [text.index(s) for s in (
        "Start-VM -VM $vm",
        "Wait-VMOff -VMName $Name",
        "Remove-VMDvdDrive",
        "-FirstBootDevice (Get-VMHardDiskDrive",
    )]
    assert order == sorted(order)
    assert text.count("Start-VM -VM $vm") == 2
    assert "(Get-VM -Name $VMName).State -ne 'Off'" in text


def test_no_aliases_and_balanced(text: str) -> None:
    code = "\n".join(code_lines(text))
    for alias in (r"\bgci\b", r"\b%\s*\{", r"\|\s*\?\s*\{", r"\bsleep\b", r"\bselect\b ",
                  r"\bwhere\b ", r"\bls\b", r"\bcat\b"):
        assert not re.search(alias, code), f"alias-like form {alias!r} in the script"
    for open_, close in ("{}", "()", "[]"):
        assert code.count(open_) == code.count(close), f"unbalanced {open_}{close}"
    # Every line continuation ends exactly in a backtick (no trailing spaces after it).
    assert not re.search(r"`[ \t]+$", text, flags=re.M)
