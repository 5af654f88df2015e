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
    """Keep the CCRC action plan in step between the Excel workbook and the Google Sheet.

    Run `ccrc-sync COMMAND --help` for what each command does, an example and its exit
    codes. Settings come from config/ccrc_sync.toml (or --config PATH on each command).

    \b
    Example:
      ccrc-sync validate var/plan.xlsx
      ccrc-sync sync --dry-run

    \b
    Exit codes (every command):
      0    all well
      1    it ran, but something needs a person
      2    it could not run (bad input, settings, or a service it could not reach)
      130  interrupted (Ctrl-C)
    """
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
@click.option("--verbose", "-v", is_flag=True, help="Also show each finding's code.")
def validate(
    workbook: Path | None,
    config_path: Path | None,
    fmt: str,
    fix_path: Path | None,
    verbose: bool,
) -> int:
    """Check the action-plan workbook and say what is wrong, where, and how to fix it.

    Reads WORKBOOK (default: the workbook named in the settings) without changing it, and
    lists each finding with its cell, what is wrong and what to do: errors first (values
    the sync will not carry until they are corrected), then warnings and notes. The last
    line says how many findings --fix would correct. With --fix, a corrected copy is
    written to a new file (canonical spellings, spaces trimmed, text dates made dates);
    the workbook itself is never changed. --format json prints every finding with its
    code, for scripts.

    \b
    Example:
      ccrc-sync validate var/plan.xlsx
      ccrc-sync validate var/plan.xlsx --fix var/plan-fixed.xlsx

    \b
    Exit codes:
      0  no errors (warnings allowed)
      1  errors found
      2  the workbook could not be read, or a bad option
    """
    from ccrc_sync.validate import render_text, run_validate

    config = _config(config_path)
    result = run_validate(workbook or config.workbook.path, config, fix=fix_path)
    click.echo(result.to_json() if fmt == "json" else render_text(result, verbose=verbose))
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
) -> int:
    """Bring the workbook and the Google Sheet into step, without losing anyone's edit.

    Each cell is compared across the workbook, the Google Sheet and the value both last
    agreed on. An edit on one side is copied to the other; the same cell edited
    differently on both sides is a conflict, left for a person and listed, with what to
    do, on the Sync Issues tab of both sides. The Summary, Sync Issues and Change Log tabs
    are regenerated on both sides, and a report is written to the reports folder.
    --dry-run shows what would change and writes nothing anywhere. --email sends the
    report and says whether it went.

    \b
    Example:
      ccrc-sync sync --dry-run
      ccrc-sync sync --email

    \b
    Exit codes:
      0  in sync: nothing needs a person
      1  ran, but conflicts, errors or held-back changes need a person
      2  could not run (settings, an unreadable workbook, the Google Sheet unreachable)
    """
    from ccrc_sync.outcome import failure
    from ccrc_sync.plan import Options
    from ccrc_sync.report import render_outcome
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
    click.echo(outcome.to_json() if fmt == "json" else render_outcome(outcome))
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
def report(config_path: Path | None, email: bool, out: Path | None) -> int:
    """Show, save or re-send the last run's report.

    Without options, prints the last run's report as text: the conflicts and errors that
    need a person first, then what changed, the summary and the trend. --out saves it as
    an HTML page (or JSON, when the file name ends in .json); --email sends it again to
    the configured recipients.

    \b
    Example:
      ccrc-sync report
      ccrc-sync report --out last-run.html

    \b
    Exit codes:
      0  shown, saved or sent
      2  there is no report yet, or it could not be saved or sent
    """
    from ccrc_sync.delivery import last_report

    config = _config(config_path)
    click.echo(last_report(config, email=email, out=out))
    return EXIT_OK


@cli.command()
@config_option
@click.option("--verbose", "-v", is_flag=True, help="Log more detail (also `ccrc-sync -v serve`).")
def serve(config_path: Path | None, verbose: bool) -> int:
    """Run the sync every night (and in office hours if configured) until stopped.

    Runs at [schedule] time in [schedule] timezone (default 02:00 Europe/London, right
    across the clock changes), catches up once at start-up when a night was missed,
    emails the report as [email] when says, and alerts by email after
    failure_alert_after failures in a row. Stops cleanly on SIGTERM or Ctrl-C, letting a
    run in progress finish.

    \b
    Example:
      ccrc-sync serve --config /etc/ccrc-sync/ccrc_sync.toml

    \b
    Exit codes:
      0  stopped on SIGTERM or Ctrl-C
      2  could not start (settings, log file)
    """
    from ccrc_sync.service import serve as run_service

    ctx = click.get_current_context()
    verbose = verbose or ctx.obj.get("verbose", False)
    return run_service(_config(config_path), verbose=verbose)


@cli.command()
@config_option
@format_option
def status(config_path: Path | None, fmt: str) -> int:
    """Say whether the nightly sync is healthy, how many conflicts are open, and when it
    last ran and runs next.

    Reads the run history only; it never writes anything. Unhealthy means: no run yet,
    the last run failed, or a scheduled run is overdue. Use it as a health check for
    monitoring (--format json for scripts).

    \b
    Example:
      ccrc-sync status

    \b
    Exit codes:
      0  healthy
      1  no run yet, the last run failed, or a run is overdue
      2  the settings or the run history could not be read
    """
    from datetime import UTC, datetime

    from ccrc_sync.report.status_text import render_status
    from ccrc_sync.status import status as get_status

    result = get_status(_config(config_path), datetime.now(UTC))
    click.echo(result.to_json() if fmt == "json" else render_status(result))
    return EXIT_OK if result.healthy else EXIT_FLAGGED


@cli.command()
@config_option
@format_option
@click.option("--dry-run", is_flag=True, help="Send nothing; list what each owner would get.")
def digest(config_path: Path | None, fmt: str, dry_run: bool) -> int:
    """Email each owner one digest of their own recommendations and parts.

    Each digest lists the owner's items that are overdue, due within [digest]
    due_within_days, changed since their last digest, or in conflict, each with its status,
    target date and a link to its row in the Google Sheet. Owners are matched to addresses
    by [owners] in the config, or by an Owners tab (Name, Email) in the workbook, which
    wins. Nobody is sent an empty digest; an owner with no address is listed.

    \b
    Example:
      ccrc-sync digest --dry-run

    \b
    Exit codes:
      0  every digest due was sent (or, with --dry-run, would be)
      1  some owner had no (valid) address, or theirs could not be sent
      2  could not run
    """
    from datetime import UTC, datetime

    from ccrc_sync.digest import run_digest

    result = run_digest(_config(config_path), now=datetime.now(UTC), dry_run=dry_run)
    click.echo(result.to_json() if fmt == "json" else result.render_text())
    return result.exit_code


@cli.command()
@config_option
@click.option(
    "--out",
    type=click.Path(path_type=Path, dir_okay=False),
    default=None,
    help="The file to write (default: the reports folder, dated).",
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["md", "html", "docx"]),
    default=None,
    help="md, html or docx (default: from --out's suffix, else md).",
)
def publish(config_path: Path | None, out: Path | None, fmt: str | None) -> int:
    """Regenerate the public summary of the response from the live plan.

    Writes the document in the shape of the published response: the title with today's
    date, the narrative from templates/summary.md with its count sentence filled from the
    plan, then "Summary of Action Plan" with the Key Recommendations table and one table per
    section (Rec No., Recommendation, Action, Status). Lettered parts are shown inside their
    recommendation. Defects in the plan's own text are reported, never silently mended.

    \b
    Example:
      ccrc-sync publish --format docx --out summary.docx

    \b
    Exit codes:
      0  written
      2  could not run (nothing written)
    """
    from ccrc_sync.publish import guess_format, publish_document

    done = publish_document(_config(config_path), out=out, fmt=fmt or guess_format(out))
    click.echo(f"Wrote {done.path}.")
    if done.findings:
        click.echo(
            f"{len(done.findings)} finding(s) in the plan's text were left as they are; "
            "see `ccrc-sync validate`."
        )
    return EXIT_OK


@cli.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", default=8765, show_default=True, help="Port (0 picks a free one).")
@click.option(
    "--data",
    type=click.Path(path_type=Path, dir_okay=False),
    default=None,
    help="Keep the emulated spreadsheets in this JSON file between runs.",
)
def emulator(host: str, port: int, data: Path | None) -> int:
    """Run the local Google Sheets API emulator (for the demo and tests).

    Serves the parts of the Google Sheets API v4 that ccrc-sync uses, on your own machine,
    so the sync can be tried without a Google account. The first line printed is
    `listening on http://HOST:PORT`; point the sync at it with SHEETS_EMULATOR_HOST.
    --data keeps the emulated spreadsheets in a JSON file between runs.

    \b
    Example:
      ccrc-sync emulator --port 8765 --data var/sheets-emulator.json

    \b
    Exit codes:
      0  stopped on SIGTERM or Ctrl-C
      2  could not listen on that address or port
    """
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
