#!/usr/bin/env python3
"""sync-server.py - a stand-in for a product's REST API, for the sync tests.

Usage: sync-server.py DIR TOKEN PORTFILE

Rocket.Chat (sync.sh): serves GET /api/v1/PATH[?offset=N&...] from
DIR/PATH.offset-N.json (or DIR/PATH.json without an offset), the path's
slashes as dots: the names `rolegate sync --from-dir` reads.  A request
without the header X-Auth-Token: TOKEN gets Rocket.Chat's documented 401
answer.

Dataverse (sync-dataverse.sh): serves GET /api/data/v9.2/PATH?... from
DIR/PATH.page-N.json, the path's slashes as dots (an entity set, or a
record's collection: systemusers(ID)/systemuserroles_association), N being
the page number of the $skiptoken's paging cookie less one (page 0 without
a $skiptoken).  The saved answers' next links name the made-up
organisation DATAVERSE_ORG: the server answers with its own address
instead, so that they lead back to it.  A request without
Authorization: Bearer TOKEN gets Dataverse's 401 (no body); one without
the OData-MaxVersion, OData-Version and Prefer: odata.maxpagesize headers
a 400 with an OData error.

Either way, a file NAME next to NAME.status (holding an HTTP status) is
answered with that status, one next to NAME.delay (seconds) only after
that long.  Binds 127.0.0.1 on a free port and writes the port to PORTFILE.
"""
import http.server
import os
import re
import sys
import time
import urllib.parse

PREFIX = "/api/v1/"
UNAUTHORIZED = b'{"status": "error", "message": "You must be logged in to do this."}'
DATAVERSE_PREFIX = "/api/data/v9.2/"
DATAVERSE_ORG = b"https://contoso.crm.dynamics.com"
ODATA_HEADERS = (("OData-MaxVersion", "4.0"), ("OData-Version", "4.0"))
PAGE_NUMBER = re.compile(r'pagenumber="(\d+)"')


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

    def reply_file(self, path, rewrite=False):
        """Answers with the file path (after its .delay, as its .status)."""
        if os.path.exists(path + ".delay"):
            with open(path + ".delay") as f:
                time.sleep(float(f.read().strip()))
        if os.path.exists(path + ".status"):
            with open(path + ".status") as f:
                return self.answer(int(f.read().strip()), b'{"success": false}')
        if not os.path.exists(path):
            return self.answer(404, b'{"success": false}')
        with open(path, "rb") as f:
            body = f.read()
        if rewrite:
            own = "http://127.0.0.1:%d" % self.server.server_address[1]
            body = body.replace(DATAVERSE_ORG, own.encode())
        self.answer(200, body)

    def do_dataverse(self, url):
        if self.headers.get("Authorization") != "Bearer " + self.server.token:
            return self.answer(401, b"")
        for name, value in ODATA_HEADERS:
            if self.headers.get(name) != value:
                return self.answer(400, b'{"error": {"code": "0x80060888", '
                                   b'"message": "%s: 4.0 expected"}}' % name.encode())
        if "odata.maxpagesize=" not in self.headers.get("Prefer", ""):
            return self.answer(400, b'{"error": {"code": "0x0", '
                               b'"message": "no Prefer: odata.maxpagesize"}}')
        query = urllib.parse.parse_qs(url.query)
        page = 0
        if "$skiptoken" in query:
            page = int(PAGE_NUMBER.search(query["$skiptoken"][0]).group(1)) - 1
        name = url.path[len(DATAVERSE_PREFIX):].replace("/", ".")
        name += ".page-%d.json" % page
        self.reply_file(os.path.join(self.server.dir, name), rewrite=True)

    def do_GET(self):
        url = urllib.parse.urlsplit(self.path)
        if url.path.startswith(DATAVERSE_PREFIX):
            return self.do_dataverse(url)
        if self.headers.get("X-Auth-Token") != self.server.token:
            return self.answer(401, UNAUTHORIZED)
        if not url.path.startswith(PREFIX):
            return self.answer(404, b'{"success": false}')
        name = url.path[len(PREFIX):].replace("/", ".")
        query = urllib.parse.parse_qs(url.query)
        if "offset" in query:
            name += ".offset-" + query["offset"][0]
        self.reply_file(os.path.join(self.server.dir, name + ".json"))

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
