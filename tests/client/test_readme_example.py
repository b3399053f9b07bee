"""The README's client example uses names the client really has."""

from __future__ import annotations

import re
import textwrap
from pathlib import Path
from typing import Any

README = Path(__file__).parents[2] / "README.md"


def test_the_readme_example_compiles_against_the_client() -> None:
    blocks = re.findall(r"```python\n(.*?)```", README.read_text(encoding="utf-8"), re.DOTALL)
    code = next(b for b in blocks if "HandoverClient(" in b)
    assert len(code.splitlines()) <= 12
    imports, _, body = code.partition("\n\n")
    wrapped = imports + "\n\nasync def example(read_token):\n" + textwrap.indent(body, "    ")
    namespace: dict[str, Any] = {}
    exec(compile(wrapped, "README.md", "exec"), namespace)  # runs the imports
    assert callable(namespace["example"])
    from services.handover.client import HandoverClient

    used = set(re.findall(r"kv\.([a-z_]+)\(", body))
    assert used
    assert used <= {name for name in dir(HandoverClient) if not name.startswith("_")}
