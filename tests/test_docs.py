"""Every command explains itself and is documented in the README (as sqlite-utils checks)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from ccrc_sync.cli import cli

README = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")


@pytest.mark.parametrize("name", sorted(cli.commands))
def test_every_command_has_help_and_is_in_the_readme(name: str) -> None:
    result = CliRunner().invoke(cli, [name, "--help"])
    assert result.exit_code == 0
    assert cli.commands[name].help, f"{name} has no help text"
    assert f"ccrc-sync {name}" in README


@pytest.mark.parametrize("name", sorted(cli.commands))
def test_every_commands_help_has_its_whole_description_an_example_and_exit_codes(
    name: str,
) -> None:
    out = CliRunner().invoke(cli, [name, "--help"], terminal_width=100).output
    help_text = cli.commands[name].help or ""
    description = help_text.split("\b")[0]
    assert " ".join(description.split()) in " ".join(out.split()), "not cut short"
    example = out.split("Example:\n", 1)[1].split("\n\n", 1)[0]
    assert example.splitlines() and all(
        line.startswith(f"    ccrc-sync {name}") for line in example.splitlines()
    )
    codes = out.split("Exit codes:\n", 1)[1].split("\n\n", 1)[0].splitlines()
    assert codes and all(re.match(r"    \d+ +\S", line) for line in codes), codes
    assert any(line.strip().startswith("0 ") for line in codes)


def test_the_top_level_help_lists_the_exit_codes() -> None:
    out = CliRunner().invoke(cli, ["--help"]).output
    assert "Exit codes (every command):" in out and "130  interrupted" in out


def test_the_quickstart_is_exactly_the_two_commands() -> None:
    quickstart = README.split("## Quickstart", 1)[1].split("```", 2)[1]
    commands = [line.split("#")[0].strip() for line in quickstart.splitlines()[1:] if line.strip()]
    assert commands == ["make demo", "make test"]


def test_the_readme_table_of_codes_is_the_catalogue() -> None:
    from ccrc_sync.schema.codes import codes_table

    block = README.split("<!-- codes:start -->", 1)[1].split("<!-- codes:end -->", 1)[0]
    assert block.strip() == codes_table()
