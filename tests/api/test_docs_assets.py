"""The API docs work on a closed network: every script, style and icon the docs pages load is
served by the app itself."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

import httpx
import pytest

ASSET = re.compile(r"""<(?:script|link)\b[^>]*?\b(?:src|href)=["']([^"']+)["']""", re.I)


@pytest.mark.parametrize("page", ["/schema", "/schema/swagger"])
async def test_docs_load_only_local_assets(api: httpx.AsyncClient, page: str) -> None:
    response = await api.get(page)
    assert response.status_code == 200, response.text
    urls = ASSET.findall(response.text)
    assert any(u.endswith("swagger-ui-bundle.js") for u in urls), urls
    assert any(u.endswith("swagger-ui.css") for u in urls), urls
    for url in urls:
        parts = urlsplit(url)
        assert not parts.scheme, f"{url} is not served by the app"
        assert not parts.netloc, f"{url} is not served by the app"
        asset = await api.get(url)
        assert asset.status_code == 200, url
        assert asset.content, url
    assert "cdn" not in response.text.lower()
