"""Emailing a run report over SMTP.

The governance lead should know each morning, without opening anything, whether the plan
is healthy. The message carries a plain-text part and an HTML part (so every client shows
something readable) and the findings as an .xlsx. The password only ever comes from
`CCRC_SYNC_SMTP_PASSWORD` and never appears in a log line or an error message. Every
failure is one `MailError` sentence; keeping the report and retrying with the next run is
the caller's job.

Every message is marked `Auto-Submitted: auto-generated` (RFC 3834), so out-of-office
replies and mail rules treat it as the machine's, and the report's subject says what is new
since the report last emailed (the caller passes that one as `previous`).
"""

from __future__ import annotations

import logging
import os
import smtplib
import ssl
from collections.abc import Mapping, Sequence
from email.message import EmailMessage
from email.utils import formatdate, make_msgid

from ccrc_sync.config import EmailConfig, Security
from ccrc_sync.errors import MailError
from ccrc_sync.report import RunReport, findings_xlsx, render_html, render_text, subject

log = logging.getLogger(__name__)

PASSWORD_ENV = "CCRC_SYNC_SMTP_PASSWORD"


def _recipients(cfg: EmailConfig) -> list[str]:
    recipients = [r.strip() for r in cfg.recipients if r.strip()]
    if not recipients:
        raise MailError(
            "No email recipients are configured: set `recipients` in the [email] section "
            "of the config file, or CCRC_SYNC_EMAIL_TO (comma-separated)."
        )
    check_addresses(cfg)
    return recipients


def check_addresses(cfg: EmailConfig) -> None:
    """Refuse, in one sentence, an address that is not one address: a line break in it
    would let it add headers (`Bcc:`), and a missing @ is a typing slip. (Spaces are
    allowed: `Governance <gov@example.org>` is one address.)"""
    found = [("sender", "[email] sender or CCRC_SYNC_EMAIL_FROM", cfg.sender)]
    found += [("recipient", "[email] recipients or CCRC_SYNC_EMAIL_TO", r) for r in cfg.recipients]
    for role, where, address in found:
        text = address.strip()
        if text and (not text.isprintable() or "@" not in text):
            shown = text.encode("unicode_escape").decode("ascii")
            raise MailError(
                f"The email {role} '{shown}' (from {where}) is not a single address: it holds "
                "a line break or no @. Correct it; nothing was sent."
            )


def _envelope(subject_line: str, cfg: EmailConfig) -> EmailMessage:
    msg = EmailMessage()
    msg["Subject"] = " ".join(subject_line.split())  # one line, whatever the text held
    msg["From"] = cfg.sender
    msg["To"] = ", ".join(_recipients(cfg))
    msg["Date"] = formatdate(localtime=True)
    domain = cfg.sender.rpartition("@")[2] or None
    msg["Message-ID"] = make_msgid("ccrc-sync", domain=domain)
    msg["Auto-Submitted"] = "auto-generated"
    # Outlook and Exchange honour this one instead: no out-of-office replies to a robot.
    msg["X-Auto-Response-Suppress"] = "All"
    return msg


def build_message(
    r: RunReport, cfg: EmailConfig, previous: RunReport | None = None
) -> EmailMessage:
    """The report as multipart/alternative (text, HTML) with the findings .xlsx attached;
    the subject counts the conflicts that `previous` (the report last emailed) did not have."""
    msg = _envelope(subject(r, cfg.subject_prefix, previous), cfg)
    msg.set_content(render_text(r))
    msg.add_alternative(render_html(r), subtype="html")
    msg.add_attachment(
        findings_xlsx(r),
        maintype="application",
        subtype="vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        filename=f"ccrc-sync-findings-{_file_part(r.run_id)}.xlsx",
    )
    return msg


def _file_part(run_id: str) -> str:
    return "".join(ch if ch.isalnum() or ch in "-_." else "_" for ch in run_id) or "run"


def send_report(
    r: RunReport,
    cfg: EmailConfig,
    env: Mapping[str, str] | None = None,
    *,
    previous: RunReport | None = None,
) -> None:
    """Email the report to the configured recipients, or raise `MailError` saying why not."""
    _deliver(build_message(r, cfg, previous), cfg, env)
    log.info("Report %s emailed to %d recipient(s).", r.run_id, len(cfg.recipients))


def send_alert(
    subject: str, text: str, cfg: EmailConfig, env: Mapping[str, str] | None = None
) -> None:
    """A short plain-text message, e.g. when the nightly sync has failed several times."""
    msg = _envelope(subject, cfg)
    msg.set_content(text)
    _deliver(msg, cfg, env)
    log.info("Alert emailed to %d recipient(s).", len(cfg.recipients))


def send_message_to(
    recipients: Sequence[str],
    subject_line: str,
    text: str,
    html: str | None,
    cfg: EmailConfig,
    env: Mapping[str, str] | None = None,
) -> None:
    """A message to the named people rather than the configured recipients (an owner's
    digest), with the same envelope and SMTP delivery as the report; `MailError` if not."""
    msg = _envelope(subject_line, cfg.model_copy(update={"recipients": tuple(recipients)}))
    if "Auto-Submitted" not in msg:
        msg["Auto-Submitted"] = "auto-generated"  # RFC 3834: no out-of-office replies
    msg.set_content(text)
    if html is not None:
        msg.add_alternative(html, subtype="html")
    _deliver(msg, cfg, env)
    log.info("Message emailed to %d recipient(s).", len(recipients))


def _connect(cfg: EmailConfig) -> smtplib.SMTP:
    if cfg.security is Security.SSL:
        return smtplib.SMTP_SSL(
            cfg.smtp_host,
            cfg.smtp_port,
            timeout=cfg.timeout,
            context=ssl.create_default_context(),
        )
    server = smtplib.SMTP(cfg.smtp_host, cfg.smtp_port, timeout=cfg.timeout)
    if cfg.security is Security.STARTTLS:
        try:
            server.ehlo()
            server.starttls(context=ssl.create_default_context())
            server.ehlo()
        except BaseException:
            server.close()
            raise
    return server


def _deliver(msg: EmailMessage, cfg: EmailConfig, env: Mapping[str, str] | None) -> None:
    env = os.environ if env is None else env
    password = env.get(PASSWORD_ENV) or ""
    where = f"{cfg.smtp_host}:{cfg.smtp_port}"
    if cfg.user and not password:
        raise MailError(
            f"The SMTP user {cfg.user!r} is configured but {PASSWORD_ENV} is not set, "
            f"so the report could not be sent through {where}."
        )
    try:
        with _connect(cfg) as server:
            if cfg.user:
                server.login(cfg.user, password)
            refused = server.send_message(msg)
    except smtplib.SMTPAuthenticationError as exc:
        raise MailError(
            f"The SMTP server at {where} refused the login for user {cfg.user!r} "
            f"({exc.smtp_code}); check the user and {PASSWORD_ENV}."
        ) from None
    except smtplib.SMTPNotSupportedError:
        raise MailError(
            f"The SMTP server at {where} does not support "
            + ("STARTTLS" if cfg.security is Security.STARTTLS else "login")
            + "; check `security` and `user` in the [email] section."
        ) from None
    except smtplib.SMTPRecipientsRefused as exc:
        raise MailError(
            f"The SMTP server at {where} refused every recipient "
            f"({', '.join(sorted(exc.recipients))})."
        ) from None
    except smtplib.SMTPSenderRefused as exc:
        raise MailError(
            f"The SMTP server at {where} refused the sender {exc.sender!r} ({exc.smtp_code})."
        ) from None
    except smtplib.SMTPResponseException as exc:
        raise MailError(
            f"The SMTP server at {where} answered with an error ({exc.smtp_code}: "
            f"{_clean(exc.smtp_error, password)})."
        ) from None
    except smtplib.SMTPException as exc:
        raise MailError(
            f"Sending through the SMTP server at {where} failed: {_clean(exc, password)}."
        ) from None
    except ssl.SSLError as exc:
        raise MailError(
            f"The TLS connection to the SMTP server at {where} failed: "
            f"{_clean(exc.reason or exc, password)}; check `security` (none, starttls or ssl)."
        ) from None
    except TimeoutError:
        raise MailError(
            f"The SMTP server at {where} did not answer within {cfg.timeout:g} seconds."
        ) from None
    except OSError as exc:
        raise MailError(
            f"Could not connect to the SMTP server at {where}: "
            f"{_clean(exc.strerror or exc, password)}."
        ) from None
    if refused:
        log.warning("The SMTP server at %s refused some recipients: %s", where, ", ".join(refused))


def _clean(detail: object, password: str) -> str:
    """Server text for a message, with the password removed should a server ever echo it."""
    if isinstance(detail, bytes):
        detail = detail.decode("utf-8", "replace")
    text = " ".join(str(detail).split()).rstrip(".")
    return text.replace(password, "***") if password else text
