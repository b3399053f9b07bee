"""Swagger UI from the app itself, so the docs work on a closed network (no CDN).

The Swagger UI distribution (`swagger-ui-bundle.js`, `swagger-ui.css`, the standalone preset,
favicons) ships in the PyPI package `swagger-ui-py`; the app serves those files under
`/schema/assets/` and Litestar's Swagger page points there. Scalar is not offered: no
maintained package ships its standalone bundle, and its page loads from a CDN.
"""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path

from litestar.openapi.plugins import SwaggerRenderPlugin
from litestar.router import Router
from litestar.static_files import create_static_files_router

ASSETS_PATH = "/schema/assets"
SWAGGER_DIST = Path(str(files("swagger_ui") / "static"))
FILES = (
    "swagger-ui-bundle.js",
    "swagger-ui-standalone-preset.js",
    "swagger-ui.css",
    "favicon-32x32.png",
)


def assets_router() -> Router:
    """The Swagger UI files, read-only, cacheable (they change only with the package)."""
    missing = [name for name in FILES if not (SWAGGER_DIST / name).is_file()]
    if missing:
        raise RuntimeError(f"swagger-ui-py lacks {missing} in {SWAGGER_DIST}")
    return create_static_files_router(
        path=ASSETS_PATH,
        directories=[SWAGGER_DIST],
        include_in_schema=False,
        cache_control=None,
        name="docs-assets",
    )


def swagger_plugin() -> SwaggerRenderPlugin:
    """Swagger UI at `/schema` and `/schema/swagger`, every asset from `ASSETS_PATH`."""
    return SwaggerRenderPlugin(
        js_url=f"{ASSETS_PATH}/swagger-ui-bundle.js",
        css_url=f"{ASSETS_PATH}/swagger-ui.css",
        standalone_preset_js_url=f"{ASSETS_PATH}/swagger-ui-standalone-preset.js",
        favicon=f"<link rel='icon' type='image/png' href='{ASSETS_PATH}/favicon-32x32.png'>",
        path=["/", "/swagger"],
    )
