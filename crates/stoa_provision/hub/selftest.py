#!/usr/bin/env python3
"""End-to-end check of the local hub backend's Python side, against real processes.

Does what Stoa's local backend does: prepares a HUB_DIR (hub.json from the golden
course.local.json plus one role-restricted profile, runtime.json, secrets), starts
configurable-http-proxy and JupyterHub with the command lines Stoa uses, then checks the
sign-in page, the OAuth redirect, the REST API with the `stoa` service token, a user server
started through the API (profile checks, usage report, reachable through the proxy), that
the server survives a restart of the hub alone, that stopping everything leaves no process,
and how long a cold hub start takes.

    scripts/hub-env.sh && npm ci                 # once: target/hub-venv, node_modules
    crates/stoa_provision/hub/selftest.py [--starts 5] [--run-as stoa-hubuser] [--oidc] [--keep]

--oidc also signs three people in through oidc_peer.mjs (npm oidc-provider standing in for
Stoa): a member (groups, spawn menu), an owner (admin, the owners' profile) and an outsider
(403 with the join link), and checks the logout redirect.

Standard library only; exits non-zero at the first failed check. Not a substitute for the
Rust integration tests; it pins down what they and the Rust code must do.
"""

import argparse
import base64
import http.client
import http.server
import json
import os
import pwd
import re
import secrets
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from urllib.parse import parse_qs, urlencode, urljoin, urlparse

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.abspath(os.path.join(HERE, "..", "..", ".."))
VENV = os.path.join(REPO, "target", "hub-venv")
CHP = os.path.join(REPO, "node_modules", ".bin", "configurable-http-proxy")
GOLDEN = os.path.join(REPO, "crates", "stoa_hubs", "tests", "golden", "course.local.json")


def say(msg):
    print(f"selftest: {msg}", flush=True)


def check(cond, msg):
    if not cond:
        raise AssertionError(msg)
    say(f"ok   {msg}")


def free_ports(n):
    socks = [socket.socket() for _ in range(n)]
    for s in socks:
        s.bind(("127.0.0.1", 0))
    ports = [s.getsockname()[1] for s in socks]
    for s in socks:
        s.close()
    return ports


def request(method, url, token=None, body=None, headers=None, timeout=30):
    """One HTTP request, no redirects followed: (status, headers with lower-case names, text)."""
    u = urlparse(url)
    conn = http.client.HTTPConnection(u.hostname, u.port, timeout=timeout)
    h = dict(headers or {})
    if token:
        h["Authorization"] = f"token {token}"
    data = None
    if body is not None:
        data = json.dumps(body).encode()
        h["Content-Type"] = "application/json"
    try:
        conn.request(method, u.path + (f"?{u.query}" if u.query else ""), body=data, headers=h)
        r = conn.getresponse()
        return r.status, {k.lower(): v for k, v in r.getheaders()}, r.read().decode("utf-8", "replace")
    finally:
        conn.close()


def open_log(path):
    """Logs name people and addresses: private to the hub's OS user, like its database."""
    return os.fdopen(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600), "ab")


def alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # A zombie (exited, not yet reaped by us) counts as gone.
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().split(") ")[1].split()[0] != "Z"
    except OSError:
        return False


def wait_exit(proc_or_pid, timeout=20):
    start = time.monotonic()
    while time.monotonic() - start < timeout:
        if isinstance(proc_or_pid, subprocess.Popen):
            if proc_or_pid.poll() is not None:
                return True
        elif not alive(proc_or_pid):
            return True
        time.sleep(0.05)
    return False


def processes_mentioning(text):
    """Pids whose command line or environment mentions `text` (our HUB_DIR)."""
    found = []
    for pid in os.listdir("/proc"):
        if not pid.isdigit() or int(pid) == os.getpid():
            continue
        try:
            with open(f"/proc/{pid}/cmdline", "rb") as f:
                cmd = f.read()
            with open(f"/proc/{pid}/environ", "rb") as f:
                env = f.read()
        except OSError:
            continue
        if text.encode() in cmd or text.encode() in env:
            found.append(int(pid))
    return [p for p in found if alive(p)]


class UsageSink(http.server.ThreadingHTTPServer):
    """Stands in for Stoa's usage endpoint: records what it is sent."""

    def __init__(self):
        self.received = []

        sink = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                length = int(self.headers.get("Content-Length", 0))
                sink.received.append(
                    {
                        "path": self.path,
                        "authorization": self.headers.get("Authorization"),
                        "content_type": self.headers.get("Content-Type"),
                        "body": json.loads(self.rfile.read(length) or b"null"),
                    }
                )
                self.send_response(204)
                self.end_headers()

            def log_message(self, *args):
                pass

        super().__init__(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.serve_forever, daemon=True).start()


class Hub:
    """One hub's folder and processes, started the way Stoa's local backend starts them."""

    def __init__(self, run_as, usage_port, oidc_port=None):
        self.dir = tempfile.mkdtemp(prefix="stoa-hub-selftest.")
        # Traversable by the user servers' OS user, readable by nobody else.
        os.chmod(self.dir, 0o711)
        self.port, self.hub_port, self.api_port = free_ports(3)
        self.slug = "selftest"
        self.public_url = f"http://{self.slug}.hub.localhost:{self.port}"
        self.base = f"http://127.0.0.1:{self.port}"
        self.proxy = None
        self.hub = None
        self.secrets = {
            "cookie_secret": secrets.token_hex(32),
            "proxy_token": secrets.token_hex(32),
            "api_token": secrets.token_hex(32),
            "client_secret": secrets.token_hex(32),
            "crypt_key": secrets.token_hex(32),
        }
        # Without --oidc nothing listens there: the hub must never need Stoa to start.
        stoa = f"http://127.0.0.1:{oidc_port or 9}"
        self.runtime = {
            "format": 1,
            "slug": self.slug,
            "public_url": self.public_url,
            "bind_ip": "127.0.0.1",
            "port": self.port,
            "hub_port": self.hub_port,
            "proxy_api_port": self.api_port,
            "singleuser_command": [os.path.join(VENV, "bin", "jupyterhub-singleuser")],
            "user_server_user": run_as,
            "stoa": {
                "issuer": stoa,
                # The paths of oidc-provider (the peer); Stoa's own differ, which does not matter.
                "authorize_url": f"{stoa}/auth",
                "token_url": f"{stoa}/token",
                "userinfo_url": f"{stoa}/me",
                "end_session_url": f"{stoa}/session/end",
                "client_id": f"hub-{self.slug}",
                "usage_url": f"http://127.0.0.1:{usage_port}/api/hubs/usage",
                "join_url": f"{stoa}/communities/{self.slug}",
            },
        }
        with open(GOLDEN) as f:
            self.hub_json = json.load(f)
        # One profile only an owner may use, to see the menu filter refuse it.
        self.hub_json["profiles"].append(
            {
                "slug": "big",
                "display_name": "Big <machine>",
                "description": "Owners only.",
                "default": False,
                "allowed_roles": ["owner"],
                "cpu_limit": 4.0,
                "mem_limit_bytes": 17179869184,
            }
        )
        self.write_files()

    def write_files(self):
        """What Stoa writes before each start."""
        shutil.copy(os.path.join(HERE, "jupyterhub_config.py"), self.dir)
        shutil.copytree(os.path.join(HERE, "templates"), os.path.join(self.dir, "templates"), dirs_exist_ok=True)
        for name, doc in (("runtime.json", self.runtime), ("hub.json", self.hub_json)):
            with open(os.path.join(self.dir, name), "w") as f:
                json.dump(doc, f, indent=2)
        sdir = os.path.join(self.dir, "secrets")
        os.makedirs(sdir, mode=0o700, exist_ok=True)
        for name, value in self.secrets.items():
            path = os.path.join(sdir, name)
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            with os.fdopen(fd, "w") as f:
                f.write(value)

    def start_proxy(self):
        cmd = [
            CHP,
            "--ip", "127.0.0.1",
            "--port", str(self.port),
            "--api-ip", "127.0.0.1",
            "--api-port", str(self.api_port),
            "--default-target", f"http://127.0.0.1:{self.hub_port}",
            "--error-target", f"http://127.0.0.1:{self.hub_port}/hub/error",
            "--pid-file", os.path.join(self.dir, "proxy.pid"),
        ]  # fmt: skip
        env = {"PATH": os.environ["PATH"], "CONFIGPROXY_AUTH_TOKEN": self.secrets["proxy_token"]}
        log = open_log(os.path.join(self.dir, "proxy.log"))
        self.proxy = subprocess.Popen(cmd, env=env, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        self.wait_for(lambda: request("GET", f"http://127.0.0.1:{self.api_port}/api/routes", headers={"Authorization": f"token {self.secrets['proxy_token']}"})[0] == 200, "the proxy API", self.proxy)

    def start_hub(self):
        """Starts the hub; returns the seconds until /hub/api answers 200 through the proxy."""
        self.write_files()
        cmd = [os.path.join(VENV, "bin", "jupyterhub"), "-f", os.path.join(self.dir, "jupyterhub_config.py")]
        # A minimal environment: Stoa's own (database URL, keys) must not reach the hub.
        env = {"PATH": "/usr/local/bin:/usr/bin:/bin", "LANG": "C.UTF-8", "STOA_HUB_DIR": self.dir}
        log = open_log(os.path.join(self.dir, "hub.log"))
        t0 = time.monotonic()
        self.hub = subprocess.Popen(cmd, cwd=self.dir, env=env, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        self.wait_for(lambda: request("GET", f"{self.base}/hub/api")[0] == 200, "the hub API", self.hub)
        return time.monotonic() - t0

    def stop_hub(self):
        with open(os.path.join(self.dir, "hub.pid")) as f:
            pid = int(f.read().strip())
        check(pid == self.hub.pid, "hub.pid holds the hub's pid")
        os.kill(pid, signal.SIGTERM)
        check(wait_exit(self.hub, 30), "the hub exits on SIGTERM")
        return pid

    def stop_proxy(self):
        self.proxy.send_signal(signal.SIGTERM)
        check(wait_exit(self.proxy, 10), "the proxy exits on SIGTERM")

    def wait_for(self, ready, what, proc, timeout=120):
        start = time.monotonic()
        while time.monotonic() - start < timeout:
            if proc.poll() is not None:
                raise AssertionError(f"{what}: process exited with {proc.returncode}; see {self.dir}/*.log")
            try:
                if ready():
                    return
            except OSError:
                pass
            time.sleep(0.1)
        raise AssertionError(f"{what} did not answer within {timeout} s")

    def kill_all(self):
        for p in (self.hub, self.proxy):
            if p and p.poll() is None:
                p.kill()
                p.wait()


def user_model(hub, name):
    status, _, text = request("GET", f"{hub.base}/hub/api/users/{name}", token=hub.secrets["api_token"])
    assert status == 200, (status, text)
    return json.loads(text)


def wait_server(hub, name, ready=True, timeout=120):
    start = time.monotonic()
    while time.monotonic() - start < timeout:
        server = user_model(hub, name)["servers"].get("")
        if ready and server and server.get("ready"):
            return server, time.monotonic() - start
        if not ready and not server:
            return None, time.monotonic() - start
        time.sleep(0.2)
    raise AssertionError(f"{name}'s server not {'ready' if ready else 'gone'} within {timeout} s")


class Browser:
    """Just enough of a browser for an OAuth round trip: cookies per host, redirects followed.
    Names under .localhost are connected to 127.0.0.1, as Chromium does, with the real Host."""

    def __init__(self):
        self.cookies = {}

    def go(self, url, form=None, hops=20):
        method = "POST" if form is not None else "GET"
        for _ in range(hops):
            u = urlparse(url)
            jar = self.cookies.setdefault(u.netloc, {})
            host = "127.0.0.1" if u.hostname.endswith(".localhost") else u.hostname
            conn = http.client.HTTPConnection(host, u.port, timeout=30)
            headers = {"Host": u.netloc}
            if jar:
                headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in jar.items())
            body = None
            if form is not None:
                body = urlencode(form)
                headers["Content-Type"] = "application/x-www-form-urlencoded"
            conn.request(method, u.path + (f"?{u.query}" if u.query else ""), body=body, headers=headers)
            r = conn.getresponse()
            text = r.read().decode("utf-8", "replace")
            conn.close()
            for name, value in r.getheaders():
                if name.lower() == "set-cookie":
                    k, _, v = value.split(";")[0].partition("=")
                    if "max-age=0" in value.lower() or "1970" in value:
                        jar.pop(k.strip(), None)
                    else:
                        jar[k.strip()] = v
            location = r.getheader("Location")
            if r.status in (301, 302, 303, 307) and location:
                url, method, form = urljoin(url, location), "GET", None
                continue
            return url, r.status, text
        raise AssertionError(f"too many redirects at {url}")

    def sign_in(self, hub, login, next_url="/hub/home"):
        """Starts at the hub's /hub/oauth_login (what Stoa's "open hub" link points at)."""
        url, status, page = self.go(f"{hub.public_url}/hub/oauth_login?next={next_url}")
        action = re.search(r'action="([^"]*/interaction/[^"]+)"', page)
        assert status == 200 and action, (url, status, re.sub(r"<[^>]+>|\s+", " ", page)[-400:])
        return self.go(urljoin(url, action.group(1)), form={"prompt": "login", "login": login, "password": "x"})


def oidc_checks(hub, token):
    api = f"{hub.base}/hub/api"
    member = Browser()
    url, status, page = member.sign_in(hub, "alice")
    check(status == 200 and urlparse(url).path == "/hub/home" and 'id="stoa-org-name"' in page, "alice signs in through the provider and lands on the home page, banner shown")
    model = user_model(hub, "alice")
    check({"stoa-members", "stoa-role-member"} <= set(model["groups"]) and not model["admin"], "alice's groups come from the claim; not admin")
    check(bool(model.get("auth_state", {}).get("refresh_token")) or bool(model.get("auth_state", {}).get("access_token")), "auth_state (tokens) is kept, encrypted")
    url, status, page = member.go(f"{hub.public_url}/hub/spawn")
    check(status == 200 and 'id="stoa-profiles"' in page and "Python" in page and ">R<" in page, "the spawn page offers alice the two open profiles")
    check("Big" not in page and 'value="python" checked' in page, "not the owners' profile; the default is preselected")

    owner = Browser()
    owner.sign_in(hub, "owner-olga")
    model = user_model(hub, "owner-olga")
    check(model["admin"] and "stoa-hub-admins" in model["groups"], "owner-olga is made admin by the stoa-hub-admins group")
    url, status, page = owner.go(f"{hub.public_url}/hub/spawn")
    check("Big &lt;machine&gt;" in page and "Big <machine>" not in page, "the owner sees the owners' profile, its name escaped")

    outsider = Browser()
    url, status, page = outsider.sign_in(hub, "out-mallory")
    check(status == 403 and "ask to join" in page.lower() and 'id="stoa-join"' in page, "someone outside the community gets 403 with a link to ask to join")
    check(request("GET", f"{api}/users/out-mallory", token=token)[0] == 404, "and no hub user is created")

    u = urlparse(hub.public_url)
    conn = http.client.HTTPConnection("127.0.0.1", u.port, timeout=10)
    jar = member.cookies[u.netloc]
    conn.request("GET", "/hub/logout", headers={"Host": u.netloc, "Cookie": "; ".join(f"{k}={v}" for k, v in jar.items())})
    r = conn.getresponse()
    loc = urlparse(r.getheader("Location") or "")
    q = parse_qs(loc.query)
    check(r.status == 302 and loc.path == "/session/end" and q.get("post_logout_redirect_uri") == [f"{hub.public_url}/hub/"] and q.get("client_id") == ["hub-selftest"], "logout sends alice to the provider's end-session with client_id and the hub's address")
    conn.close()
    for name in ("alice", "owner-olga"):
        request("DELETE", f"{api}/users/{name}", token=token)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--starts", type=int, default=3, help="extra cold starts to time (default 3)")
    ap.add_argument("--run-as", help="user_server_user (needs root and an existing OS user)")
    ap.add_argument("--keep", action="store_true", help="keep the HUB_DIR (logs) afterwards")
    ap.add_argument("--oidc", action="store_true", help="also sign in through an oidc-provider peer standing in for Stoa")
    args = ap.parse_args()
    for path, how in ((os.path.join(VENV, "bin", "jupyterhub"), "scripts/hub-env.sh"), (CHP, "npm ci")):
        if not os.path.exists(path):
            sys.exit(f"selftest: {path} is missing; run {how}")

    sink = UsageSink()
    oidc_port = free_ports(1)[0] if args.oidc else None
    hub = Hub(args.run_as, sink.server_address[1], oidc_port)
    peer = None
    say(f"HUB_DIR {hub.dir}, ports {hub.port}/{hub.hub_port}/{hub.api_port}")
    token = hub.secrets["api_token"]
    api = f"{hub.base}/hub/api"
    ok = False
    try:
        if args.oidc:
            env = {"PATH": os.environ["PATH"], "OIDC_PORT": str(oidc_port), "HUB_CLIENT_ID": hub.runtime["stoa"]["client_id"], "HUB_CLIENT_SECRET": hub.secrets["client_secret"], "HUB_PUBLIC_URL": hub.public_url}
            peer = subprocess.Popen(["node", os.path.join(HERE, "oidc_peer.mjs")], env=env, cwd=REPO, stdout=open_log(os.path.join(hub.dir, "oidc.log")), stderr=subprocess.STDOUT, start_new_session=True)
            hub.wait_for(lambda: request("GET", f"http://127.0.0.1:{oidc_port}/.well-known/openid-configuration")[0] == 200, "the OpenID provider peer", peer)
        hub.start_proxy()
        first = hub.start_hub()
        say(f"hub up in {first:.2f} s (first start, fresh database)")
        status, _, text = request("GET", api)
        check(status == 200 and json.loads(text)["version"] == "6.1.1", "GET /hub/api answers version 6.1.1")

        # --- Pages ---------------------------------------------------------------------
        status, _, page = request("GET", f"{hub.base}/hub/login")
        org = hub.hub_json["homepage"]["org_name"]
        check(status == 200, "GET /hub/login answers 200 (auto_login is off)")
        check(f"<title>{org} · Jupyter</title>" in page, "the login page's title is the org name")
        check('id="stoa-org-name"' in page and f">{org}</a>" in page, "the login page shows the org name, linked")
        check('id="stoa-announcement"' in page and "<strong>Friday</strong>" in page, "the announcement is inserted as HTML")
        check('alt="Logo of ' in page and 'id="stoa-funded-by"' in page, "logo (with alt text) and funder are shown")
        check("Sign in with Stoa" in page, "the sign-in button names Stoa")

        status, headers, _ = request("GET", f"{hub.base}/hub/oauth_login?next=%2Fhub%2Fhome")
        loc = urlparse(headers.get("location", ""))
        q = parse_qs(loc.query)
        check(status == 302 and headers["location"].startswith(hub.runtime["stoa"]["authorize_url"] + "?"), "/hub/oauth_login redirects to Stoa's authorize URL")
        check(q.get("redirect_uri") == [f"{hub.public_url}/hub/oauth_callback"] and q.get("client_id") == ["hub-selftest"], "with the public callback URL and the client id")
        check(q.get("code_challenge_method") == ["S256"] and "code_challenge" in q, "with a PKCE S256 challenge")
        check(set(q["scope"][0].split()) == {"openid", "profile", "email", "groups"}, "asking for openid profile email groups")
        status, headers, _ = request("GET", f"{hub.base}/hub/home")
        check(status == 302 and headers["location"].startswith("/hub/login"), "signed out, /hub/home redirects to the login page")
        status, _, page = request("GET", f"{hub.base}/hub/oauth_callback?code=x&state=y")
        check(status in (400, 403) and "stoa-org-name" not in page and "<title>" in page and org in page, "an error page renders in the org's layout")

        if args.oidc:
            oidc_checks(hub, token)

        # --- REST API with the service token -------------------------------------------
        status, _, text = request("GET", f"{api}/user", token=token)
        me = json.loads(text)
        check(status == 200 and me["kind"] == "service" and me["name"] == "stoa", "the service token is the service `stoa`")
        check("admin:users" in me["scopes"] and "admin:servers" in me["scopes"], "with admin:users and admin:servers (admin role)")
        status, _, text = request("GET", f"{api}/services", token=token)
        services = json.loads(text)
        check("idle-culler" in services and services["idle-culler"].get("pid"), "the idle culler runs as a managed service")
        culler_pid = services["idle-culler"]["pid"]
        for _ in range(50):  # the launcher execs the culler proper
            with open(f"/proc/{culler_pid}/cmdline", "rb") as f:
                culler_cmd = f.read().split(b"\0")
            if b"jupyterhub_idle_culler" in culler_cmd:
                break
            time.sleep(0.1)
        check(b"--timeout=3600" in culler_cmd and b"--max-age=28800" in culler_cmd, "with --timeout=3600 --max-age=28800")

        check(request("POST", f"{api}/users/alice", token=token)[0] == 201, "POST /users/alice creates a user")
        check(request("PATCH", f"{api}/users/alice", token=token, body={"admin": True})[0] == 200, "PATCH admin=true is allowed for the service")
        check(request("PATCH", f"{api}/users/alice", token=token, body={"admin": False})[0] == 200, "PATCH admin=false too")
        status, _, text = request("POST", f"{api}/users/alice/server", token=token, body={"profile": "big"})
        check(status == 403 and "not open to your role" in text, "a profile for owners only is refused (403)")
        status, _, text = request("POST", f"{api}/users/alice/server", token=token, body={"profile": "nope"})
        check(status == 400, "an unknown profile is refused (400)")
        check(not sink.received, "refused starts send no usage report")

        t0 = time.monotonic()
        status, _, text = request("POST", f"{api}/users/alice/server", token=token, body={"profile": "r"})
        check(status in (201, 202), f"POST /users/alice/server with profile r accepted ({status})")
        server, _ = wait_server(hub, "alice")
        say(f"alice's server ready {time.monotonic() - t0:.1f} s after the POST")
        check(server["user_options"] == {"profile": "r"}, "the server model keeps the chosen profile")
        pid = server["state"]["pid"]
        check(alive(pid), f"the server process {pid} runs")
        home = os.path.join(hub.dir, "homes", "alice")
        st = os.stat(home)
        check(oct(st.st_mode & 0o777) == "0o700", "its home is HUB_DIR/homes/alice, mode 0700")
        if args.run_as and os.geteuid() == 0:
            uid = pwd.getpwnam(args.run_as).pw_uid
            with open(f"/proc/{pid}/status") as f:
                uids = next(line for line in f if line.startswith("Uid:")).split()[1:]
            check(set(uids) == {str(uid)}, f"the server runs as {args.run_as} (uid {uid})")
            check(st.st_uid == uid, f"its home belongs to {args.run_as}")
            for name in ("secrets/api_token", "jupyterhub.sqlite", "hub.log"):
                r = subprocess.run(["runuser", "-u", args.run_as, "--", "cat", os.path.join(hub.dir, name)], capture_output=True)
                check(r.returncode != 0, f"{args.run_as} cannot read HUB_DIR/{name}")
            r = subprocess.run(["runuser", "-u", args.run_as, "--", "touch", os.path.join(home, "x")], capture_output=True)
            check(r.returncode == 0, f"{args.run_as} can write in its home")
        for _ in range(50):
            if sink.received:
                break
            time.sleep(0.1)
        check(len(sink.received) == 1, "one usage report was sent")
        report = sink.received[0]
        body = report["body"]
        check(body["hub"] == "selftest" and body["user"] == "alice" and body["server"] == "" and body["event"] == "server_start" and body["at"].endswith("Z"), f"usage report body {body}")
        basic = "Basic " + base64.b64encode(f"hub-selftest:{hub.secrets['client_secret']}".encode()).decode()
        check(report["authorization"] == basic and report["content_type"] == "application/json", "sent with Basic client_id:client_secret and JSON")

        status, _, text = request("GET", f"{hub.base}/user/alice/api/status", token=token)
        check(status == 200, "alice's server answers through the proxy (/user/alice/api/status)")
        status, headers, _ = request("GET", f"{hub.base}/user/alice/lab")
        check(status == 302, "a browser without a cookie is sent to the hub's OAuth from the user server")

        # --- Restart the hub only ------------------------------------------------------
        hub.stop_hub()
        check(alive(pid), "the user server survives the hub's exit")
        check(request("GET", f"{hub.base}/user/alice/api/status", token=token)[0] in (200, 403), "and still answers through the proxy while the hub is down")
        times = [hub.start_hub()]
        say(f"hub back in {times[-1]:.2f} s")
        server, _ = wait_server(hub, "alice", timeout=5)
        check(server["state"]["pid"] == pid, "the restarted hub knows the same server")
        check(request("GET", f"{hub.base}/user/alice/api/status", token=token)[0] == 200, "alice's server answers through the proxy after the restart")
        check(len(sink.received) == 1, "re-attaching after the restart sends no usage report")

        # --- Stop and delete -----------------------------------------------------------
        status = request("DELETE", f"{api}/users/alice/server", token=token)[0]
        check(status in (202, 204), f"DELETE /users/alice/server ({status})")
        wait_server(hub, "alice", ready=False)
        check(wait_exit(pid, 10), "the server process is gone")
        check(request("DELETE", f"{api}/users/alice", token=token)[0] == 204, "DELETE /users/alice")
        check(os.path.isdir(home), "the home folder is kept on disk")

        # --- A hub that dies without cleaning up --------------------------------------
        culler_pid = json.loads(request("GET", f"{api}/services", token=token)[2])["idle-culler"]["pid"]
        hub.hub.kill()
        hub.hub.wait()
        check(wait_exit(culler_pid, 10), "a SIGKILLed hub takes its culler with it (PR_SET_PDEATHSIG)")
        times.append(hub.start_hub())
        say(f"hub back after SIGKILL (stale hub.pid) in {times[-1]:.2f} s")

        # --- Cold starts ---------------------------------------------------------------
        for _ in range(args.starts):
            hub.stop_hub()
            times.append(hub.start_hub())
        say("hub start to /hub/api 200: " + ", ".join(f"{t:.2f}" for t in times) + f" s; median {statistics.median(times):.2f} s")

        # --- Stop everything -----------------------------------------------------------
        culler_pid = json.loads(request("GET", f"{api}/services", token=token)[2])["idle-culler"]["pid"]
        hub.stop_hub()
        check(wait_exit(culler_pid, 10), "the culler stops with the hub")
        check(not os.path.exists(os.path.join(hub.dir, "hub.pid")), "the hub removes hub.pid on exit")
        hub.stop_proxy()
        check(not os.path.exists(os.path.join(hub.dir, "proxy.pid")), "the proxy removes proxy.pid on exit")
        left = processes_mentioning(hub.dir)
        check(not left, f"no process is left ({left})")
        with open(os.path.join(hub.dir, "hub.log"), errors="replace") as f:
            log = f.read()
        leaked = [k for k, v in hub.secrets.items() if v in log]
        check(not leaked, "no secret appears in the hub's log")
        for name in ("jupyterhub.sqlite",):
            mode = os.stat(os.path.join(hub.dir, name)).st_mode & 0o777
            check(mode == 0o600, f"{name} is private to the hub (mode {oct(mode)})")
        ok = True
        say("all checks passed")
    finally:
        hub.kill_all()
        if peer and peer.poll() is None:
            peer.terminate()
            peer.wait()
        for p in processes_mentioning(hub.dir):
            os.kill(p, signal.SIGKILL)
        sink.shutdown()
        if args.keep or not ok:
            say(f"kept {hub.dir}")
        else:
            shutil.rmtree(hub.dir)


if __name__ == "__main__":
    try:
        main()
    except AssertionError as e:
        say(f"FAIL {e}")
        sys.exit(1)
