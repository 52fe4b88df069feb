"""MkDocs hooks of the site (mkdocs.yml, ``hooks``).

- The home page is the repository's README.md: ``docs/index.md`` is a placeholder whose
  Markdown is replaced by README.md's at build time, with links into ``docs/`` made
  relative to the site (``docs/outputs.md`` -> ``outputs.md``). The README stays the one
  copy of the tour, and the strict build checks its links like any page's.
- Docstrings use Sphinx roles (``:func:`summarize```); the API pages show the name alone.
"""

from __future__ import annotations

import re
from pathlib import Path

_INTO_DOCS = re.compile(r"\]\(docs/")
_ROLE = re.compile(r":(?:py:)?(?:func|class|meth|mod|data|attr|exc|obj):(?=<code>)")


def on_page_markdown(markdown: str, page, config, files) -> str:
    """README.md's text in place of the placeholder home page."""
    if page.file.src_uri != "index.md":
        return markdown
    readme = Path(config["docs_dir"]).parent / "README.md"
    return _INTO_DOCS.sub("](", readme.read_text(encoding="utf-8"))


def on_page_content(html: str, page, config, files) -> str:
    """Sphinx roles before code spans dropped: ``:func:<code>x</code>`` -> ``<code>x</code>``."""
    return _ROLE.sub("", html)
