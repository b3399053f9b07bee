"""API10:2023 Unsafe Consumption of APIs.

The one third-party API this service consumes is the identity provider's JWKS (a file or a
URL in configuration). Whatever the provider (or whoever controls the file, the network path
or a DNS name) hands over is untrusted input: malformed JSON, JSON of the wrong shape, keys
of the wrong type, an error page, an endpoint that never answers or dribbles. The service
must then refuse the token (401) or say it cannot check it now (503), quickly; never a 500,
never a hang. The same holds when a token names a published key of another type than its
`alg` (an RS256 token under an EC key's `kid`): the attacker needs no access to the provider
for that one.
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx
import pytest

from services.handover.settings import Settings
from tests.api.test_sign_in import Key, api_with, jwks, jwks_server

REFUSED = (401, 503)


async def _answer(client: httpx.AsyncClient, token: str, wait: float = 10) -> httpx.Response:
    return await client.get("/v1/units", headers={"Authorization": f"Bearer {token}"}, timeout=wait)


def _assert_refused(response: httpx.Response) -> None:
    assert response.status_code in REFUSED, (response.status_code, response.text)
    assert response.headers["content-type"] == "application/problem+json"
    assert "Traceback" not in response.text


FILES = {
    "malformed JSON": "{nope",
    "a JSON list": "[]",
    "a JSON string": '"keys"',
    "no keys": '{"keys": []}',
    "keys not a list": '{"keys": {"kid": "rsa-1"}}',
    "a symmetric key under the kid": '{"keys": [{"kty": "oct", "k": "c2VjcmV0", "kid": "rsa-1"}]}',
    "an RSA key with garbage modulus": (
        '{"keys": [{"kty": "RSA", "n": "!!", "e": "AQAB", "kid": "rsa-1"}]}'
    ),
    "empty file": "",
    "binary": "\udcff\x00\x01",
}


@pytest.mark.parametrize(
    "case",
    list(FILES),
)
async def test_a_hostile_jwks_file_refuses_the_token(
    settings: Settings, tmp_path: Path, case: str
) -> None:
    path = tmp_path / "jwks.json"
    path.write_bytes(FILES[case].encode("utf-8", "surrogateescape"))
    key = Key("RS256", "rsa-1")
    async with api_with(settings, jwks_file=str(path)) as client:
        _assert_refused(await _answer(client, key.token()))


FORGED = {"RS256 under an EC kid": ("RS256", "ec-1"), "ES256 under an RSA kid": ("ES256", "rsa-1")}


@pytest.mark.parametrize("forgery", list(FORGED))
@pytest.mark.parametrize("source", ["file", "url"])
async def test_a_token_naming_a_key_of_another_type_is_refused(
    settings: Settings, tmp_path: Path, source: str, forgery: str
) -> None:
    """No access to the provider needed: take a published `kid`, write another `alg`."""
    ec_key, rsa_key = Key("ES256", "ec-1"), Key("RS256", "rsa-1")
    published = jwks(ec_key, rsa_key)
    forged = Key(*FORGED[forgery]).token()  # signed with a key of its own; never checked
    path = tmp_path / "jwks.json"
    path.write_text(published)
    with jwks_server({"body": published}) as url:
        config = {"jwks_file": str(path)} if source == "file" else {"jwks_url": url}
        async with api_with(settings, **config) as client:
            assert (await _answer(client, ec_key.token())).status_code == 200
            _assert_refused(await _answer(client, forged))


URL_BODIES = {
    "malformed JSON": "<html>502 Bad Gateway</html>",
    "a JSON list": "[]",
    "no keys": '{"keys": []}',
    "keys of the wrong type": '{"keys": [{"kty": "oct", "k": "c2VjcmV0", "kid": "rsa-1"}]}',
    "empty body": "",
}


@pytest.mark.parametrize(
    "case",
    list(URL_BODIES),
)
async def test_a_jwks_url_answering_garbage_refuses_the_token(
    settings: Settings, case: str
) -> None:
    with jwks_server({"body": URL_BODIES[case]}) as url:
        async with api_with(settings, jwks_url=url, jwks_refetch_seconds=0) as client:
            _assert_refused(await _answer(client, Key("RS256", "rsa-1").token()))


@contextlib.contextmanager
def _stalling_server(mode: str) -> Iterator[tuple[str, threading.Event]]:
    """`error`: a 500 page; `silent`: reads the request, never answers; `dribble`: one byte
    of a long body every half second, so no single read ever times out."""
    stop = threading.Event()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            if mode == "error":
                self.send_error(500, "upstream exploded")
                return
            if mode == "silent":
                stop.wait(30)
                return
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", "100000")
            self.end_headers()
            while not stop.wait(0.5):
                try:
                    self.wfile.write(b" ")
                    self.wfile.flush()
                except OSError:
                    return

        def log_message(self, *_: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/jwks.json", stop
    finally:
        stop.set()
        server.shutdown()
        server.server_close()


@pytest.mark.parametrize(
    "mode",
    [
        "error",
        "silent",
        "dribble",
    ],
)
async def test_a_jwks_url_that_errs_or_stalls_answers_quickly(
    settings: Settings, mode: str
) -> None:
    with _stalling_server(mode) as (url, stop):
        async with api_with(settings, jwks_url=url, jwks_refetch_seconds=0) as client:
            started = time.monotonic()
            try:
                response = await _answer(client, Key("RS256", "rsa-1").token(), wait=8)
            except httpx.TimeoutException:
                pytest.fail(f"no answer within {time.monotonic() - started:.1f} s: a hang")
            finally:
                stop.set()  # let a hung call end, or the app cannot shut down
            _assert_refused(response)
            assert time.monotonic() - started < 7.5
