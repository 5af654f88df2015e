"""The command line. It parses arguments, calls one library function, prints the result,
and maps exceptions to exit codes. It never imports openpyxl or gspread.

Exit codes: 0 all well; 1 ran, but something needs a person (errors, conflicts, an
unhealthy status); 2 could not run (bad arguments, config, unreadable input, unreachable
service), with one clear line on stderr; 130 interrupted.
"""

from __future__ import annotations

import logging
import sys
from pathlib import Path

import click

from ccrc_sync import __version__
from ccrc_sync.config import Config, load_config
from ccrc_sync.errors import CcrcSyncError

log = logging.getLogger("ccrc_sync")

EXIT_OK, EXIT_FLAGGED, EXIT_FAILED, EXIT_INTERRUPTED = 0, 1, 2, 130

config_option = click.option(
    "--config",
    "config_path",
    type=click.Path(path_type=Path, dir_okay=False),
    default=None,
    help="Config file (default: $CCRC_SYNC_CONFIG, else config/ccrc_sync.toml).",
)
format_option = click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", "json"]),
    default="text",
    show_default=True,
    help="Output format.",
)


def _config(config_path: Path | None) -> Config:
    return load_config(config_path)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="ccrc-sync")
@click.option("--verbose", "-v", is_flag=True, help="Log more detail to stderr.")
@click.pass_context
def cli(ctx: click.Context, verbose: bool) -> None:
    """Keep the CCRC action plan honest across the Excel workbook and the Google Sheet."""
    ctx.obj = {"verbose": verbose}
    logging.basicConfig(
        level=logging.DEBUG if verbose else logging.WARNING,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )


@cli.command()
@click.argument("workbook", required=False, type=click.Path(path_type=Path, dir_okay=False))
@config_option
@format_option
@click.option(
    "--fix",
    "fix_path",
    type=click.Path(path_type=Path, dir_okay=False),
    default=None,
    help="Write a copy with the safe fixes applied to this new file (the input is never changed).",
)
def validate(workbook: Path | None, config_path: Path | None, fmt: str, fix_path: Path | None):
    """Check the action-plan workbook and say what is wrong, where, and how to fix it."""
    from ccrc_sync.validate import render_text, run_validate

    config = _config(config_path)
    result = run_validate(workbook or config.workbook.path, config, fix=fix_path)
    click.echo(result.to_json() if fmt == "json" else render_text(result))
    return EXIT_OK if result.ok else EXIT_FLAGGED


@cli.command()
@config_option
@format_option
@click.option("--dry-run", is_flag=True, help="Show what would change; write nothing anywhere.")
@click.option("--email", is_flag=True, default=None, help="Email the run's report.")
@click.option(
    "--rebase",
    is_flag=True,
    help="Start again without the last agreed version (after losing the state folder): "
    "every difference between the sides is listed as a conflict; nothing is filled in.",
)
@click.option(
    "--accept-restore",
    is_flag=True,
    help="The workbook is an older copy brought back on purpose: carry its values.",
)
@click.option(
    "--accept-clears",
    "accept_clears",
    multiple=True,
    metavar="COLUMN",
    help="A column emptied as a whole on one side was meant to be cleared (repeatable).",
)
def sync(
    config_path: Path | None,
    fmt: str,
    dry_run: bool,
    email: bool | None,
    rebase: bool,
    accept_restore: bool,
    accept_clears: tuple[str, ...],
):
    """Reconcile the workbook with the Google Sheet, three-way against the last agreed version."""
    from ccrc_sync.outcome import failure, render_text
    from ccrc_sync.plan import Options
    from ccrc_sync.schema import match_header
    from ccrc_sync.sync import RunRequest, run_sync

    columns = frozenset(match_header(c) or c for c in accept_clears)
    request = RunRequest(
        dry_run=dry_run,
        email=email or None,
        options=Options(rebase=rebase, accept_restore=accept_restore, accept_clears=columns),
    )
    try:
        config = _config(config_path)
        outcome = run_sync(config, request)
    except CcrcSyncError as exc:
        if fmt == "json":  # a caller parsing the output still gets "status": "failed"
            click.echo(
                failure(str(exc), run_id=getattr(exc, "run_id", ""), dry_run=dry_run).to_json()
            )
        raise
    click.echo(outcome.to_json() if fmt == "json" else render_text(outcome))
    return outcome.exit_code


@cli.command()
@config_option
@click.option("--email", is_flag=True, help="Send the last run's report by email again.")
@click.option(
    "--out",
    type=click.Path(path_type=Path, dir_okay=False),
    default=None,
    help="Write the report as HTML to this file (.json for JSON).",
)
def report(config_path: Path | None, email: bool, out: Path | None):
    """Render or re-send the last run's report."""
    from ccrc_sync.delivery import last_report

    config = _config(config_path)
    click.echo(last_report(config, email=email, out=out))
    return EXIT_OK


@cli.command()
@config_option
@click.option("--verbose", "-v", is_flag=True, help="Log more detail (also `ccrc-sync -v serve`).")
def serve(config_path: Path | None, verbose: bool):
    """Run the sync every night (and in office hours if configured) until stopped."""
    from ccrc_sync.service import serve as run_service

    ctx = click.get_current_context()
    verbose = verbose or ctx.obj.get("verbose", False)
    return run_service(_config(config_path), verbose=verbose)


@cli.command()
@config_option
@format_option
def status(config_path: Path | None, fmt: str):
    """Say when the sync last ran, how it went, and when it runs next."""
    from datetime import UTC, datetime

    from ccrc_sync.service import render_text
    from ccrc_sync.service import status as get_status

    result = get_status(_config(config_path), datetime.now(UTC))
    click.echo(result.to_json() if fmt == "json" else render_text(result))
    return EXIT_OK if result.healthy else EXIT_FLAGGED


@cli.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", default=8765, show_default=True, help="Port (0 picks a free one).")
@click.option(
    "--data",
    type=click.Path(path_type=Path, dir_okay=False),
    default=None,
    help="Keep the emulated spreadsheets in this JSON file between runs.",
)
def emulator(host: str, port: int, data: Path | None):
    """Run the local Google Sheets API emulator (for the demo and tests)."""
    from ccrc_sync.emulator import serve as serve_emulator

    try:
        return serve_emulator(host, port, data)
    except OSError as exc:
        raise CcrcSyncError(
            f"The emulator could not listen on {host}:{port} ({exc.strerror or exc}); "
            "choose another --port, or 0 for any free one."
        ) from None


def _config_argument(argv: list[str] | None) -> Path | None:
    """The --config a command line named, for the error boundary (best effort)."""
    args = list(sys.argv[1:] if argv is None else argv)
    for index, arg in enumerate(args):
        if arg == "--config" and index + 1 < len(args):
            return Path(args[index + 1])
        if arg.startswith("--config="):
            return Path(arg.split("=", 1)[1])
    return None


def main(argv: list[str] | None = None) -> int:
    """Entry point: the one place exceptions become exit codes."""
    try:
        result = cli.main(args=argv, prog_name="ccrc-sync", standalone_mode=False)
    except click.exceptions.Exit as exc:
        return exc.exit_code
    except click.UsageError as exc:
        exc.show()
        return EXIT_FAILED
    except click.ClickException as exc:
        exc.show()
        return EXIT_FAILED
    except (KeyboardInterrupt, click.exceptions.Abort):
        click.echo("Interrupted.", err=True)
        return EXIT_INTERRUPTED
    except CcrcSyncError as exc:
        click.echo(f"ccrc-sync: {exc}", err=True)
        return EXIT_FAILED
    except Exception as exc:  # a bug: one sentence for the user, the traceback in a file
        from ccrc_sync.crash import record

        log.debug("unexpected error", exc_info=True)
        where = record(exc, _config_argument(argv))
        trace = f"; the details are in {where}" if where else ""
        click.echo(
            f"ccrc-sync: an unexpected error stopped the run ({type(exc).__name__}: {exc}). "
            f"Nothing further was written{trace}. Please report this with that file.",
            err=True,
        )
        return EXIT_FAILED
    return result if isinstance(result, int) else EXIT_OK
