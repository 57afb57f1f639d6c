"""`printstation-web`: serve the clerk's page over HTTPS on the office LAN."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from zoneinfo import ZoneInfo

import uvicorn

from controller.config_file.errors import ConfigError
from controller.web.app import build_app
from controller.web.settings import load_page_config
from controller.web.tls import own_certificate

DEFAULT_CONFIG = "/etc/printstation/station.toml"
EXIT_CONFIG = 3


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="printstation-web", description=__doc__)
    parser.add_argument("--config", default=DEFAULT_CONFIG, help="the station's config (TOML)")
    parser.add_argument("--host", default="0.0.0.0", help="address to listen on")
    parser.add_argument("--port", type=int, default=8443)
    parser.add_argument("--cert", type=Path, help="certificate (PEM); default: one made here")
    parser.add_argument("--key", type=Path, help="the certificate's key (PEM)")
    parser.add_argument("--cert-dir", type=Path, help="where a certificate made here is kept")
    args = parser.parse_args(argv)
    try:
        config = load_page_config(args.config)
    except ConfigError as exc:
        for error in exc.errors:
            sys.stderr.write(f"printstation-web: config error: {error}\n")
        return EXIT_CONFIG
    if (args.cert is None) != (args.key is None):
        parser.error("--cert and --key go together")
    if args.cert is None:
        args.cert, args.key = own_certificate(args.cert_dir or config.station.directory)
    app = build_app(config.station.control_socket, ZoneInfo(config.duty.timezone))
    uvicorn.run(
        app,
        host=args.host,
        port=args.port,
        ssl_certfile=str(args.cert),
        ssl_keyfile=str(args.key),
        workers=1,
        access_log=False,
        # The page is HTTP/1.1 only, on asyncio: naming them spares uvicorn's look for uvloop and
        # httptools and its loading of a WebSocket library (wsproto, installed beside it): 0.7 MB.
        loop="asyncio",
        http="h11",
        ws="none",
    )
    return 0
