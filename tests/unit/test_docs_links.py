"""Every relative link of the README and the docs pages points at a file of the repository."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from helpers import REPO_ROOT

LINK = re.compile(r"\[[^\]]+\]\(([^)\s]+)\)")
PAGES = [REPO_ROOT / "README.md", *sorted((REPO_ROOT / "docs").glob("*.md"))]


def relative_links(page: Path) -> list[str]:
    return [
        target.split("#")[0]
        for target in LINK.findall(page.read_text())
        if not target.startswith(("http://", "https://", "#", "mailto:"))
    ]


@pytest.mark.parametrize("page", PAGES, ids=lambda page: page.name)
def test_relative_links_resolve(page):
    broken = [target for target in relative_links(page) if not (page.parent / target).exists()]
    assert not broken, f"{page.relative_to(REPO_ROOT)} links to missing files: {broken}"


def test_every_docs_page_is_linked_from_the_readme():
    linked = {Path(target).name for target in relative_links(REPO_ROOT / "README.md")}
    pages = {page.name for page in (REPO_ROOT / "docs").glob("*.md")}
    assert pages <= linked, f"docs pages the README does not link: {sorted(pages - linked)}"
