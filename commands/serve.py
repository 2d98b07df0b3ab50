"""``optiform serve [--host 127.0.0.1] [--port 8000]``: the HTTP API (FastAPI + uvicorn)."""

from __future__ import annotations

import typer

LEVELS = ("critical", "error", "warning", "info", "debug", "trace")  # uvicorn's


def register(app: typer.Typer) -> None:
    @app.command("serve")
    def serve(
        host: str = typer.Option("127.0.0.1", help="Address to bind; beyond loopback a token "
                                 "(OPTIFORM_SERVER_TOKEN) is required."),
        port: int = typer.Option(8000, min=0, max=65535, help="Port to listen on."),
        log_level: str = typer.Option("info", help="uvicorn log level: " + ", ".join(LEVELS)
                                      + "."),
    ) -> None:
        """Serve the HTTP API: POST /v1/solve, chat threads with server-sent events, /docs."""
        from rich.console import Console

        from optiform.commands.failure import fail
        from optiform.config import load_settings
        from optiform.errors import OptiformError

        err = Console(stderr=True, emoji=False)
        if log_level.lower() not in LEVELS:
            raise typer.BadParameter(f"{log_level!r} is not a log level; use one of: "
                                     f"{', '.join(LEVELS)}", param_hint="--log-level")
        log_level = log_level.lower()
        try:
            from optiform.agent.deps import guidance_text
            from optiform.server import serve as run_server
            from optiform.server_support import check_bind
        except ImportError as exc:
            err.print(f"[red]error:[/] the HTTP API needs {exc.name}\n  hint: pip install "
                      "'optiform[server]'")
            raise typer.Exit(2) from None
        try:
            settings = load_settings()
            check_bind(host, settings)
            guidance_text(settings)  # a guidance file it cannot read: now, not per request
            _ = settings.data_dir  # its chat store is there: one that is a file, now too
            err.print(f"optiform API on http://{host}:{port} (docs: /docs, backend: "
                      f"{settings.effective_backend}); Ctrl-C stops it", highlight=False)
            run_server(host, port, settings=settings, log_level=log_level)
        except OptiformError as exc:
            raise fail(exc) from None
