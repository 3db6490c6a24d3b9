"""tools/install_system_packages.sh: quiet no-op when installed, sudo hint when not root."""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

import pytest

PACKAGES = ("texlive-xetex texlive-fonts-recommended texlive-plain-generic pandoc "
            "fonts-noto-cjk poppler-utils")


def test_fast_and_quiet_when_everything_is_installed(pdf_tools, kit):
    start = time.monotonic()
    proc = subprocess.run(["bash", str(kit.REPO_ROOT / "tools/install_system_packages.sh")],
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == "" and proc.stderr == ""
    assert time.monotonic() - start < 5


def test_missing_tools_without_root_prints_the_sudo_command(kit):
    # A folder the unprivileged user can enter (pytest's tmp_path is private to root).
    home = Path(tempfile.mkdtemp(prefix="install_script_"))
    home.chmod(0o755)
    fake_bin = home / "bin"  # a PATH without xelatex, pandoc, poppler or fc-list
    fake_bin.mkdir()
    (fake_bin / "grep").symlink_to(shutil.which("grep"))
    command = [shutil.which("bash"), str(kit.REPO_ROOT / "tools/install_system_packages.sh")]
    if os.geteuid() == 0:
        if shutil.which("setpriv") is None:
            pytest.skip("running as root and setpriv is unavailable to drop privileges")
        command = [shutil.which("setpriv"), "--reuid=65534", "--regid=65534", "--clear-groups",
                   *command]
    try:
        proc = subprocess.run(command, capture_output=True, text=True, timeout=60,
                              env={"PATH": str(fake_bin), "HOME": str(home)})
    finally:
        shutil.rmtree(home)
    assert proc.returncode == 1, proc.stderr
    assert "Not running as root" in proc.stderr
    assert "missing: command xelatex, command pandoc" in proc.stderr
    assert f"sudo apt-get install -y --no-install-recommends {PACKAGES}" in proc.stderr
