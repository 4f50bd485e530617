"""``screener serve``: the browser app over a project (thin over ``screener.web``)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from screener.cli._app import app, console, console_err


@app.command("serve")
def serve_cmd(
    review: Annotated[Path, typer.Argument(help="Project folder.")],
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8765,
    host: Annotated[str, typer.Option(help="Address to bind (default: this machine only). A team server on "
                                      "another address belongs behind a TLS proxy.")] = "127.0.0.1",
) -> None:
    """Screen in the browser: reviewers log in with the password set by 'screener reviewers add --password-stdin'."""
    from screener.errors import ConfigError
    from screener.web import require_extra

    require_extra()
    if not 0 < port < 65536:
        raise ConfigError(f"--port {port}: use a port between 1 and 65535")
    import uvicorn

    from screener.project.store import Store
    from screener.web.accounts import accounts
    from screener.web.app import LOOPBACK, create_app

    with Store.open(review) as store:
        if not accounts(store):
            raise ConfigError(f"no reviewer of {review} can log in yet: set a password with "
                              f"'screener reviewers add {review} NAME --role owner --password-stdin' "
                              f"(or 'screener reviewers password {review} NAME --password-stdin')")
    if host not in LOOPBACK:
        console_err.print(f"warning: serving on {host}, reachable from other machines; passwords and cookies "
                          "travel in clear text unless a TLS proxy is in front", highlight=False, soft_wrap=True)
    web = create_app(review, host=host)
    shown = f"[{host}]" if ":" in host else host
    console.print(f"screener: open http://{shown}:{port}/ (Ctrl-C stops)", highlight=False, soft_wrap=True)
    uvicorn.run(web, host=host, port=port, log_level="warning")
