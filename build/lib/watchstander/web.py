"""The bot's own small web server: the iCalendar feed and the webhooks (see
:mod:`watchstander.inbound.webhooks` for the routes).

Errbot's Webserver plugin keeps its address in Errbot's own storage, set by a chat command;
this one takes ``WATCHSTANDER_HTTP_HOST`` and ``WATCHSTANDER_HTTP_PORT`` like every other
setting. Routes are plain callables: (headers, body) -> (status, content type, body).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Mapping
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

log = logging.getLogger(__name__)

Handler = Callable[[Mapping[str, str], bytes], tuple[int, str, bytes]]
MAX_BODY = 1 << 20


class WebServer:
    def __init__(self, host: str, port: int, routes: Mapping[tuple[str, str], Handler]) -> None:
        table = self._routes = dict(routes)

        class Request(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def _serve(self, method: str) -> None:
                handler = table.get((method, self.path.split("?", 1)[0]))
                declared = self.headers.get("Content-Length") or "0"
                if not declared.isdigit():
                    self.close_connection = True
                    self._answer(400, "text/plain", b"bad Content-Length\n")
                    return
                length = int(declared)
                if length > MAX_BODY:
                    self.close_connection = True
                    self._answer(413, "text/plain", b"too large\n")
                    return
                body = self.rfile.read(length) if length else b""
                if handler is None:
                    self._answer(404, "text/plain", b"not found\n")
                    return
                try:
                    status, kind, payload = handler(dict(self.headers.items()), body)
                except Exception:
                    log.exception("%s %s failed", method, self.path)
                    status, kind, payload = 500, "text/plain", b"internal error\n"
                self._answer(status, kind, payload)

            def do_GET(self) -> None:
                self._serve("GET")

            def do_POST(self) -> None:
                self._serve("POST")

            def _answer(self, status: int, kind: str, payload: bytes) -> None:
                self.send_response(status)
                self.send_header("Content-Type", kind)
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            def log_message(self, *args: object) -> None:
                return None

        self._httpd = ThreadingHTTPServer((host, port), Request)
        self._httpd.daemon_threads = True
        self._thread = threading.Thread(target=self._httpd.serve_forever, daemon=True)
        self._started = False

    @property
    def address(self) -> str:
        host, port = self._httpd.server_address[:2]
        return f"http://{host!s}:{port}"

    def start(self) -> WebServer:
        self._thread.start()
        self._started = True
        return self

    def stop(self) -> None:
        """Stop serving (if it started) and free the port."""
        if self._started:
            self._httpd.shutdown()
            self._thread.join(timeout=5)
        self._httpd.server_close()
