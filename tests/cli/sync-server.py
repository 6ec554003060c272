#!/usr/bin/env python3
"""sync-server.py - a stand-in for a product's REST API, for sync.sh.

Usage: sync-server.py DIR TOKEN PORTFILE

Serves GET /api/v1/PATH[?offset=N&...] from DIR/PATH.offset-N.json (or
DIR/PATH.json without an offset), the path's slashes as dots: the names
`rolegate sync --from-dir` reads.  A request without the header
X-Auth-Token: TOKEN gets Rocket.Chat's documented 401 answer; a file NAME
next to NAME.status (holding an HTTP status) is answered with that status,
one next to NAME.delay (seconds) only after that long.
Binds 127.0.0.1 on a free port and writes the port to PORTFILE.
"""
import http.server
import os
import sys
import time
import urllib.parse

PREFIX = "/api/v1/"
UNAUTHORIZED = b'{"status": "error", "message": "You must be logged in to do this."}'


class Handler(http.server.BaseHTTPRequestHandler):
    def answer(self, status, body):
        try:
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client was killed: sync.sh does that on purpose

    def do_GET(self):
        url = urllib.parse.urlsplit(self.path)
        if self.headers.get("X-Auth-Token") != self.server.token:
            return self.answer(401, UNAUTHORIZED)
        if not url.path.startswith(PREFIX):
            return self.answer(404, b'{"success": false}')
        name = url.path[len(PREFIX):].replace("/", ".")
        query = urllib.parse.parse_qs(url.query)
        if "offset" in query:
            name += ".offset-" + query["offset"][0]
        path = os.path.join(self.server.dir, name + ".json")
        if os.path.exists(path + ".delay"):
            with open(path + ".delay") as f:
                time.sleep(float(f.read().strip()))
        if os.path.exists(path + ".status"):
            with open(path + ".status") as f:
                return self.answer(int(f.read().strip()), b'{"success": false}')
        if not os.path.exists(path):
            return self.answer(404, b'{"success": false}')
        with open(path, "rb") as f:
            self.answer(200, f.read())

    def log_message(self, fmt, *args):
        pass


def main():
    srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    srv.dir, srv.token = sys.argv[1], sys.argv[2]
    with open(sys.argv[3] + ".tmp", "w") as f:
        f.write(str(srv.server_address[1]))
    os.rename(sys.argv[3] + ".tmp", sys.argv[3])
    srv.serve_forever()


if __name__ == "__main__":
    main()
