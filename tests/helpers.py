"""An old name for tests.flow.auth, kept only while tests/api/test_hostile.py imports it.

Use tests.flow instead; delete this module once test_hostile.py does.
"""

from __future__ import annotations

from tests.flow import auth

__all__ = ["auth"]
