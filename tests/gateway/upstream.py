#!/usr/bin/env python3
"""upstream.py - the application behind a gateway in the gateway tests.

Serves on 127.0.0.1 (a port the kernel picks, written to PORTFILE), answers
every request 200 "upstream ok", echoes the X-Rolegate-* headers the gateway
passed on as X-Echo-*, and appends "METHOD PATH" of each request to LOG, so
that a test can tell that a denied request never reached it.

usage: upstream.py PORTFILE LOG
"""
import http.server
import os
import sys

ECHO = {
    "X-Rolegate-User": "X-Echo-User",
    "X-Rolegate-Roles": "X-Echo-Roles",
    "X-Rolegate-Decision-Id": "X-Echo-Decision-Id",
    "X-Rolegate-Action": "X-Echo-Action",
}


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def answer(self):
        length = int(self.headers.get("Content-Length") or 0)
        if length:
            self.rfile.read(length)
        with open(self.server.log, "a", encoding="utf-8") as log:
            log.write("%s %s\n" % (self.command, self.path))
        body = b"upstream ok\n"
        self.send_response(200)
        for name, echo in ECHO.items():
            values = self.headers.get_all(name) or []
            self.send_header(echo, ",".join(values))
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = do_HEAD = answer

    def log_message(self, fmt, *args):
        pass


def main():
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.log = sys.argv[2]
    open(server.log, "a", encoding="utf-8").close()
    with open(sys.argv[1] + ".tmp", "w", encoding="utf-8") as f:
        f.write("%d\n" % server.server_address[1])
    os.rename(sys.argv[1] + ".tmp", sys.argv[1])
    server.serve_forever()


if __name__ == "__main__":
    main()
