"""Starts localstripe on 127.0.0.1:PORT with a store of its own.

localstripe's own command binds every interface and pickles its store to one fixed file in
the system's temporary folder after each write, reloading it at start: two test runs would
share their customers. This wrapper keeps the store in memory and listens on loopback only.

Usage: python localstripe_run.py PORT
"""

import sys

from aiohttp import web
from localstripe import resources
from localstripe.server import app

resources.Store.dump_to_disk = lambda self: None
resources.Store.try_load_from_disk = lambda self: None

web.run_app(app, host="127.0.0.1", port=int(sys.argv[1]), print=None)
