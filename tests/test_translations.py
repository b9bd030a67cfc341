"""Every interface string has a Chinese translation (no page falls back to English)."""

import re
import shutil
import subprocess
from pathlib import Path

import pytest

PO = Path(__file__).resolve().parents[1] / "locale" / "zh_Hans" / "LC_MESSAGES" / "django.po"


def entries():
    blocks = PO.read_text(encoding="utf-8").split("\n\n")[1:]  # the first block is the header
    for block in blocks:
        if block.lstrip().startswith("#~"):
            continue  # obsolete entries
        yield block


def translation(block: str) -> str:
    """The msgstr of one entry, its continuation lines joined."""
    text, inside = [], False
    for line in block.splitlines():
        if re.match(r"msgstr(\[0\])? ", line):
            inside = True
            line = line.split(" ", 1)[1]
        elif not line.startswith('"'):
            inside = False
        if inside:
            text.append(line.strip().strip('"'))
    return "".join(text)


def test_no_string_is_untranslated_or_fuzzy():
    missing = [block for block in entries() if "#, fuzzy" in block or not translation(block)]
    assert not missing, missing


@pytest.mark.skipif(shutil.which("msgfmt") is None, reason="gettext's msgfmt is not installed")
def test_compiled_catalogue_is_up_to_date(tmp_path):
    compiled = tmp_path / "django.mo"
    subprocess.run(["msgfmt", "--check", "-o", str(compiled), str(PO)], check=True)
    assert compiled.read_bytes() == PO.with_suffix(".mo").read_bytes(), "run manage.py compilemessages"
