# A webhook receiver for the e2e tests: each POST is kept in hooks/ as
# {"path", "code", "body", "sig", "ctype"}; /flaky answers 500 twice
# before it takes one. Usage: python3 hook-receiver.py PORT
import http.server, sys, itertools, json
n = itertools.count()
flaky = itertools.count()
class H(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        code = 200
        if self.path == "/flaky" and next(flaky) < 2:
            code = 500
        rec = {"path": self.path, "code": code, "body": body.decode(),
               "sig": self.headers.get("X-Vend-Signature"),
               "ctype": self.headers.get("Content-Type")}
        with open("hooks/%04d.json" % next(n), "w") as f:
            json.dump(rec, f)
        self.send_response(code)
        self.end_headers()
    def log_message(self, *a):
        pass
http.server.ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1])), H).serve_forever()
