"""JupyterHub configuration for Stoa's local backend: one file, the same for every hub.

Stoa copies this file and `templates/` into the hub's folder (HUB_DIR) before each start and
runs `<venv>/bin/jupyterhub -f HUB_DIR/jupyterhub_config.py` with cwd HUB_DIR and the
environment variable STOA_HUB_DIR=HUB_DIR. Everything else comes from files in HUB_DIR;
nothing is generated, and the hub refuses to start when a file is missing, malformed, or of a
`format` this file does not know.

# HUB_DIR/hub.json: what the community configured (format 1)

Written from `crates/stoa_hubs/src/local.rs`, which documents every key. Read here: `format`
(must be 1), `default_url`, `named_servers`, `cull`, `profiles`, `homepage`.

# HUB_DIR/runtime.json: where and how this hub runs (format 1)

Written by the local backend for each start. All keys are required:
- `format`: must be `1`; bump it when a key is added or changes meaning.
- `slug`: the hub's slug (in usage reports).
- `public_url`: the address people use, e.g. `http://ocean-lab.hub.localhost:8100`, no path.
  Redirects, the OAuth callback and the logout return address are built from it. Nothing in
  the hub resolves this host name.
- `bind_ip`, `port`: where configurable-http-proxy (started by Stoa, not by the hub) listens.
- `hub_port`: the hub's own port, on 127.0.0.1 (CHP's --default-target).
- `proxy_api_port`: CHP's REST API port, on 127.0.0.1.
- `singleuser_command`: argv of the single-user server, e.g.
  `["/abs/target/hub-venv/bin/jupyterhub-singleuser"]`.
- `user_server_user`: `null`, or an OS user name. When set and the hub runs as root, user
  servers run as that user (see StoaSpawner below); ignored when the hub is not root.
- `stoa`: `issuer`, `authorize_url`, `token_url`, `userinfo_url`, `end_session_url`,
  `client_id` (this hub's OAuth client at Stoa), `usage_url` (server-start reports),
  `join_url` (where someone without access can ask to join).

# HUB_DIR/secrets/: one value per file, no trailing newline; dir 0700, files 0600

- `cookie_secret`: 64 hex characters.
- `proxy_token`: CHP's CONFIGPROXY_AUTH_TOKEN.
- `api_token`: the token of the service `stoa` (Stoa's REST API access).
- `client_secret`: this hub's OAuth client secret at Stoa.
- `crypt_key`: 64 hex characters; encrypts auth_state (the user's tokens) in the database.

State also lives in HUB_DIR: `jupyterhub.sqlite`, `hub.pid`, `homes/<username>/`.
"""

import asyncio
import html
import json
import os
import pwd
import stat
import sys
from datetime import datetime, timezone
from urllib.parse import urlencode, urlparse

from jupyterhub.spawner import SimpleLocalProcessSpawner
from oauthenticator.generic import GenericOAuthenticator
from tornado import web
from tornado.httpclient import AsyncHTTPClient, HTTPRequest

c = get_config()  # noqa: F821 (provided by JupyterHub when it loads this file)

FORMAT = 1


class StoaConfigError(SystemExit):
    """Stops the hub before it starts, with one readable line."""

    def __init__(self, message):
        super().__init__(f"stoa hub config: {message}")


# ---------------------------------------------------------------------------------------------
# Inputs

hub_dir = os.environ.get("STOA_HUB_DIR")
if not hub_dir or not os.path.isabs(hub_dir) or not os.path.isdir(hub_dir):
    raise StoaConfigError(f"STOA_HUB_DIR must be an absolute path to a folder, got {hub_dir!r}")


def load_document(name):
    path = os.path.join(hub_dir, name)
    try:
        with open(path, encoding="utf-8") as f:
            doc = json.load(f)
    except (OSError, ValueError) as e:
        raise StoaConfigError(f"cannot read {path}: {e}") from None
    if not isinstance(doc, dict) or doc.get("format") != FORMAT:
        found = doc.get("format") if isinstance(doc, dict) else None
        raise StoaConfigError(
            f"{path} has format {found!r}; this jupyterhub_config.py reads format {FORMAT} only"
        )
    return doc


def read_secret(name):
    """One secret, checked to be private to this OS user. Never logged."""
    path = os.path.join(hub_dir, "secrets", name)
    try:
        st = os.stat(path)
        with open(path, encoding="ascii") as f:
            value = f.read().rstrip("\r\n")
    except (OSError, UnicodeDecodeError) as e:
        raise StoaConfigError(f"cannot read the secret {path}: {type(e).__name__}") from None
    if st.st_mode & 0o077:
        raise StoaConfigError(f"{path} is readable by others (mode {stat.filemode(st.st_mode)}); want 0600")
    if not value:
        raise StoaConfigError(f"{path} is empty")
    return value


def hex_key(name):
    value = read_secret(name)
    try:
        key = bytes.fromhex(value)
    except ValueError:
        key = b""
    if len(key) != 32:
        raise StoaConfigError(f"secrets/{name} must be 64 hex characters")
    return key


def http_url(value):
    """`value` when it is an absolute http(s) address, else None: nothing else goes in an href."""
    if isinstance(value, str) and urlparse(value).scheme in ("http", "https") and urlparse(value).netloc:
        return value
    return None


runtime = load_document("runtime.json")
hub = load_document("hub.json")
stoa = runtime["stoa"]
secrets_dir = os.path.join(hub_dir, "secrets")
if os.stat(secrets_dir).st_mode & 0o077:
    raise StoaConfigError(f"{secrets_dir} is open to others; want mode 0700")

public_url = runtime["public_url"].rstrip("/")
if urlparse(public_url).path:
    raise StoaConfigError(f"runtime.json public_url must have no path, got {public_url!r}")

# Files the hub creates (database, pid file) are private to it: a user server running as
# another OS user may cross HUB_DIR (mode 0711) to reach its home but must not read them.
os.umask(0o077)

# ---------------------------------------------------------------------------------------------
# Network: CHP is started by Stoa, so it (and the routes to user servers) outlives hub restarts.

c.JupyterHub.bind_url = f"http://{runtime['bind_ip']}:{runtime['port']}/"
# Redirects, OAuth and host checks use the public address (`<slug>.hub.localhost:<port>`)
# rather than the Host header of the request; the hub never connects to it.
c.JupyterHub.public_url = public_url + "/"
c.JupyterHub.hub_bind_url = f"http://127.0.0.1:{runtime['hub_port']}"
c.ConfigurableHTTPProxy.should_start = False
c.ConfigurableHTTPProxy.api_url = f"http://127.0.0.1:{runtime['proxy_api_port']}"
c.ConfigurableHTTPProxy.auth_token = read_secret("proxy_token")
# A hub restart leaves user servers running and their proxy routes in place; the restarted
# hub finds them again from its database (pids) and the proxy's route table.
c.JupyterHub.cleanup_servers = False
c.JupyterHub.cleanup_proxy = False

c.JupyterHub.pid_file = os.path.join(hub_dir, "hub.pid")
c.JupyterHub.db_url = "sqlite:///" + os.path.join(hub_dir, "jupyterhub.sqlite")
c.JupyterHub.cookie_secret = hex_key("cookie_secret")
c.CryptKeeper.keys = [hex_key("crypt_key")]

# ---------------------------------------------------------------------------------------------
# Sign-in through Stoa (OpenID Connect; see shared/notes/hub-login.md for what was verified).


class StoaAuthenticator(GenericOAuthenticator):
    """GenericOAuthenticator that also re-checks membership when it refreshes a user.

    The stock refresh re-syncs admin and groups but never re-checks `allowed_groups`, so
    someone removed from the community would keep access until their next full login.
    """

    async def refresh_user(self, user, handler=None, **kwargs):
        model = await super().refresh_user(user, handler, **kwargs)
        if isinstance(model, dict) and not await self.check_allowed(model["name"], model):
            return False  # forces a new login, which then answers 403
        return model


c.JupyterHub.authenticator_class = StoaAuthenticator
auth = c.StoaAuthenticator
auth.login_service = "Stoa"
auth.client_id = stoa["client_id"]
auth.client_secret = read_secret("client_secret")
auth.oauth_callback_url = public_url + "/hub/oauth_callback"
auth.authorize_url = stoa["authorize_url"]
auth.token_url = stoa["token_url"]
# Claims come from userinfo, read fresh at each login, refresh and spawn; ID-token-only mode
# would never see a membership change.
auth.userdata_url = stoa["userinfo_url"]
auth.userdata_from_id_token = False
auth.scope = ["openid", "profile", "email", "groups"]
auth.enable_pkce = True
# The client secret goes in an Authorization: Basic header (client_secret_basic, the OpenID
# default), the same credentials the usage report below sends.
auth.basic_auth = True
auth.username_claim = "preferred_username"
auth.manage_groups = True  # hub groups follow the `groups` claim (required by allowed_groups)
auth.auth_state_groups_key = "oauth_user.groups"
auth.allowed_groups = {"stoa-members"}
auth.admin_groups = {"stoa-hub-admins"}
auth.enable_auth_state = True  # keeps the refresh token; encrypted with CryptKeeper.keys
auth.refresh_pre_spawn = True
auth.auth_refresh_age = 300
auth.custom_403_message = (
    "Your Stoa account is not a member of this hub's community. "
    f"You can ask to join at {stoa['join_url']}"
)
auth.logout_redirect_url = (
    stoa["end_session_url"]
    + "?"
    + urlencode({"client_id": stoa["client_id"], "post_logout_redirect_uri": public_url + "/hub/"})
)
# No auto_login: the sign-in page is where a signed-out visitor sees whose hub this is and its
# announcement, and after logging out people land there instead of being sent straight back
# into Stoa (which would sign them in again at once while their Stoa session lasts). Stoa's
# "open hub" links skip the page anyway by pointing at <public_url>/hub/oauth_login.
c.Authenticator.auto_login = False

# ---------------------------------------------------------------------------------------------
# Stoa's own access: the service `stoa`, calling the REST API with secrets/api_token.
#
# Stoa lists and reads users and their activity, stops servers, deletes users, and grants or
# revokes admin. The last needs the caller to be an admin itself ("Only admins can grant admin
# permissions"), and the admin role's scopes (admin:users, admin:servers, ...) already hold
# everything else, so a narrower extra role would add nothing: `admin: True` is the minimum.
# It is deprecated in favour of `load_roles`, but putting the service in the admin role
# through `load_roles` makes every hub start revoke the admin flag of users Stoa made admin
# through the API; `admin: True` does not (see shared/notes/test-peers.md).
# Note: this token can read every user's auth_state (their tokens); Stoa must never log
# the answers of GET /users.
c.JupyterHub.services = [{"name": "stoa", "api_token": read_secret("api_token"), "admin": True}]
c.JupyterHub.load_roles = []

cull = hub["cull"]
# Managed services run in a session of their own, so a hub that dies without cleaning up
# (SIGKILL, OOM) would leave its culler running, and the next start would add a second one.
# The launcher asks Linux to SIGTERM the culler when the hub process goes, then runs it.
CULLER_LAUNCHER = (
    "import ctypes, os, signal, sys\n"
    "ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG\n"
    "if os.getppid() != int(os.environ['STOA_HUB_PID']): sys.exit('the hub has already gone')\n"
    "os.execv(sys.executable, [sys.executable, '-m', 'jupyterhub_idle_culler', *sys.argv[1:]])\n"
)
if cull["idle_timeout_seconds"] > 0:
    # jupyterhub-idle-culler as a hub-managed service (stopped and started with the hub).
    # `--max-age=0` means no limit. It cannot run with only max_age: a timeout of 0 would
    # stop every server at once, so a hub with idle_timeout 0 gets no culler at all.
    c.JupyterHub.services.append(
        {
            "name": "idle-culler",
            "command": [
                sys.executable,
                "-c",
                CULLER_LAUNCHER,
                f"--timeout={cull['idle_timeout_seconds']}",
                f"--max-age={cull['max_age_seconds']}",
            ],
            # Marks the process as this hub's, for anyone looking for leftovers.
            "environment": {"STOA_HUB_DIR": hub_dir, "STOA_HUB_PID": str(os.getpid())},
        }
    )
    # The scopes its README lists (admin:users only comes with --cull-users, not used).
    c.JupyterHub.load_roles.append(
        {
            "name": "idle-culler",
            "services": ["idle-culler"],
            "scopes": ["list:users", "read:users:activity", "read:servers", "delete:servers"],
        }
    )

# ---------------------------------------------------------------------------------------------
# User servers: local processes, one home folder each under HUB_DIR/homes.
#
# The local backend runs every hub of this machine side by side; it does not isolate tenants
# from each other (that is what the Kubernetes backend is for). With `user_server_user`, user
# code runs as a separate unprivileged OS user, so it cannot read Stoa's files, HUB_DIR's
# database or the secrets; it can still read other users' homes of every hub on the machine,
# because they all share that OS user.

RUN_AS = None
if runtime["user_server_user"] is not None and os.geteuid() == 0:
    try:
        RUN_AS = pwd.getpwnam(runtime["user_server_user"])
    except KeyError:
        raise StoaConfigError(f"user_server_user {runtime['user_server_user']!r} does not exist") from None


def check_reachable(path, what):
    """Refuses to start when RUN_AS cannot reach `path`: every parent folder must be
    world-searchable (o+x). Without this, each spawn would fail later with a vaguer error."""
    path = os.path.abspath(path)
    parent = os.path.dirname(path)
    while True:
        if not os.stat(parent).st_mode & stat.S_IXOTH:
            raise StoaConfigError(
                f"{what} {path} is out of reach of user_server_user: {parent} needs o+x (e.g. 0711)"
            )
        if parent == "/":
            return
        parent = os.path.dirname(parent)


homes = os.path.join(hub_dir, "homes")
if not os.path.isdir(homes):
    os.mkdir(homes)
    os.chmod(homes, 0o711)  # mkdir's mode is cut by the umask above
if RUN_AS is not None:
    check_reachable(os.path.join(homes, "x"), "the home folder")
    check_reachable(runtime["singleuser_command"][0], "the single-user server")
    # The script's interpreter too, and when it is the hub's own (the same venv), its standard
    # library: a venv made from a Python under /root (pyenv) fails here.
    with open(runtime["singleuser_command"][0], "rb") as f:
        first = f.readline()
    if first.startswith(b"#!"):
        interpreter = os.path.realpath(first[2:].split()[0].decode())
        check_reachable(interpreter, "the single-user server's Python")
        if interpreter == os.path.realpath(sys.executable):
            check_reachable(os.__file__, "Python's standard library")
    if not os.stat(homes).st_mode & stat.S_IXOTH:
        raise StoaConfigError(f"{homes} needs o+x (e.g. 0711)")


class StoaSpawner(SimpleLocalProcessSpawner):
    """SimpleLocalProcessSpawner that makes the home folder private and, when RUN_AS is set,
    runs the server as that OS user instead of the hub's."""

    async def start(self):
        home = self.home_dir
        os.makedirs(home, mode=0o700, exist_ok=True)
        if RUN_AS is not None:
            st = os.stat(home)
            if (st.st_uid, st.st_gid) != (RUN_AS.pw_uid, RUN_AS.pw_gid):
                os.chown(home, RUN_AS.pw_uid, RUN_AS.pw_gid)
        return await super().start()

    def make_preexec_fn(self, name):
        home = self.home_dir
        if RUN_AS is None:
            return lambda: os.chdir(home)
        user, uid, gid = RUN_AS.pw_name, RUN_AS.pw_uid, RUN_AS.pw_gid

        def preexec():
            # Runs in the child between fork and exec: groups first, then the uid (after
            # which nothing may be changed back).
            os.setgid(gid)
            os.initgroups(user, gid)
            os.setuid(uid)
            os.umask(0o022)
            os.chdir(home)

        return preexec


c.JupyterHub.spawner_class = StoaSpawner
c.SimpleLocalProcessSpawner.home_dir_template = os.path.join(homes, "{username}")
c.Spawner.cmd = list(runtime["singleuser_command"])
c.Spawner.args = ["--allow-root"] if os.geteuid() == 0 and RUN_AS is None else []
c.Spawner.default_url = hub["default_url"]
c.JupyterHub.allow_named_servers = bool(hub["named_servers"])
# A loaded 2-core machine needs more than the default 30 s to import JupyterLab.
c.Spawner.start_timeout = 90
c.Spawner.http_timeout = 60

# ---------------------------------------------------------------------------------------------
# The spawn menu: hub.json's profiles, filtered by the person's Stoa role.

PROFILES = hub["profiles"]
ROLE_GROUP_PREFIX = "stoa-role-"


def visible_profiles(spawner):
    """Profiles open to everyone, or to one of the roles in the person's `stoa-role-<role>`
    groups (kept in sync with Stoa's `groups` claim by manage_groups)."""
    roles = {g.name[len(ROLE_GROUP_PREFIX):] for g in spawner.user.groups if g.name.startswith(ROLE_GROUP_PREFIX)}
    return [p for p in PROFILES if not p["allowed_roles"] or roles & set(p["allowed_roles"])]


def options_form(spawner):
    """Radio buttons, one per visible profile; no form at all with one (or none) to choose."""
    profiles = visible_profiles(spawner)
    if len(profiles) <= 1:
        return ""
    preselect = next((p["slug"] for p in profiles if p["default"]), profiles[0]["slug"])
    items = []
    for i, p in enumerate(profiles):
        id_ = f"stoa-profile-{i}"
        checked = " checked" if p["slug"] == preselect else ""
        description = (
            f'<div class="form-text" id="{id_}-desc">{html.escape(p["description"])}</div>'
            if p["description"]
            else ""
        )
        described = f' aria-describedby="{id_}-desc"' if p["description"] else ""
        items.append(
            '<div class="form-check mb-2">'
            f'<input class="form-check-input" type="radio" name="profile" id="{id_}"'
            f' value="{html.escape(p["slug"], quote=True)}"{checked}{described}>'
            f'<label class="form-check-label" for="{id_}">{html.escape(p["display_name"])}</label>'
            f"{description}</div>"
        )
    return (
        '<fieldset id="stoa-profiles"><legend class="h5">Choose an environment</legend>'
        + "".join(items)
        + "</fieldset>"
    )


def options_from_form(formdata):
    return {"profile": formdata["profile"][0]} if formdata.get("profile") else {}


def apply_user_options(spawner, user_options):
    """Picks the profile (the one asked for, else the visible default), refuses one the person
    may not use, and applies its limits. Runs for form and REST starts alike, before the
    pre-spawn hook. The limits are not enforced by this spawner (documented Stoa-side)."""
    profiles = visible_profiles(spawner)
    wanted = user_options.get("profile")
    if wanted is None:
        if not profiles:
            raise web.HTTPError(403, "No environment of this hub is open to your role.")
        profile = next((p for p in profiles if p["default"]), profiles[0])
    else:
        profile = next((p for p in profiles if p["slug"] == wanted), None)
        if profile is None:
            if any(p["slug"] == wanted for p in PROFILES):
                raise web.HTTPError(403, f"The environment {wanted!r} is not open to your role.")
            raise web.HTTPError(400, f"This hub has no environment {wanted!r}.")
    spawner.cpu_limit = float(profile["cpu_limit"])
    spawner.mem_limit = int(profile["mem_limit_bytes"])
    spawner.log.info("Starting %s with profile %s", spawner._log_name, profile["slug"])


c.Spawner.options_form = options_form
c.Spawner.options_from_form = options_from_form
c.Spawner.apply_user_options = apply_user_options

# ---------------------------------------------------------------------------------------------
# Usage report: one POST to Stoa per server start.
#
# pre_spawn_hook runs once for every start request (spawn page, REST API, named servers),
# after refresh_pre_spawn and apply_user_options, so a start refused for its profile or an
# expired login is not counted. It does not run when a restarted hub re-attaches to servers
# that kept running. The hook awaits what it returns, so the POST runs in the background:
# a slow or absent Stoa never delays or fails a start.

_reports = set()  # running report tasks (the event loop only keeps weak references)
_usage_client_secret = auth.client_secret


async def post_usage(spawner, body):
    request = HTTPRequest(
        stoa["usage_url"],
        method="POST",
        headers={"Content-Type": "application/json"},
        body=json.dumps(body),
        auth_username=stoa["client_id"],
        auth_password=_usage_client_secret,
        connect_timeout=2,
        request_timeout=2,
    )
    try:
        await AsyncHTTPClient().fetch(request)
    except Exception as e:  # noqa: BLE001 (any failure is only worth a warning)
        # The exception text names the status or the socket error, never the request's auth.
        spawner.log.warning(
            "Stoa usage report for %s failed (%s: %s)", spawner._log_name, type(e).__name__, e
        )


def report_server_start(spawner):
    body = {
        "hub": runtime["slug"],
        "user": spawner.user.name,
        "server": spawner.name,
        "event": "server_start",
        "at": datetime.now(timezone.utc).isoformat(timespec="seconds").replace("+00:00", "Z"),
    }
    task = asyncio.ensure_future(post_usage(spawner, body))
    _reports.add(task)
    task.add_done_callback(_reports.discard)


c.Spawner.pre_spawn_hook = report_server_start

# ---------------------------------------------------------------------------------------------
# Pages: the community's name, logo, funder and announcement (templates/*.html).

homepage = hub["homepage"]
c.JupyterHub.template_paths = [os.path.join(os.path.dirname(os.path.abspath(__file__)), "templates")]
c.JupyterHub.template_vars = {
    "stoa": {
        "org_name": homepage["org_name"],
        "org_url": http_url(homepage["org_url"]),
        "funded_by_name": homepage["funded_by_name"],
        "funded_by_url": http_url(homepage["funded_by_url"]),
        "logo_url": http_url(homepage["logo_url"]),
        # Sanitised by Stoa; the templates insert it as-is.
        "announcement_html": homepage["announcement_html"],
        "join_url": http_url(stoa["join_url"]),
    }
}
