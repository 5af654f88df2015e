"""The `[plan]` settings as a config file states them: the three statuses the roll-up, the
summary and the digests judge by are read as the plan's own words, or refused in one
sentence."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from ccrc_sync.config import PlanConfig, load_config
from ccrc_sync.errors import ConfigError


def _config(tmp_path: Path, plan: str) -> Path:
    path = tmp_path / "ccrc_sync.toml"
    path.write_text("[plan]\n" + plan, encoding="utf-8")
    return path


def test_the_three_statuses_take_the_spelling_of_the_statuses_list(tmp_path: Path) -> None:
    path = _config(
        tmp_path,
        'complete_status = "complete"\n'
        'planned_status = " planned "\n'
        'in_progress_status = "in  PROGRESS"\n',
    )
    plan = load_config(path, env={}).plan
    assert (plan.complete_status, plan.planned_status, plan.in_progress_status) == (
        "Complete",
        "Planned",
        "In Progress",
    )


def test_a_configured_list_of_statuses_names_its_own_three() -> None:
    plan = PlanConfig(
        statuses=("Not started", "Underway", "Done"),
        complete_status="done",
        planned_status="NOT STARTED",
        in_progress_status="underway",
    )
    assert (plan.complete_status, plan.planned_status, plan.in_progress_status) == (
        "Done",
        "Not started",
        "Underway",
    )


@pytest.mark.parametrize(
    ("setting", "value"),
    [
        ("complete_status", "Completed"),
        ("planned_status", "Not started"),
        ("in_progress_status", "Underway"),
    ],
)
def test_a_status_setting_outside_the_statuses_list_is_one_sentence(
    tmp_path: Path, setting: str, value: str
) -> None:
    path = _config(tmp_path, f'{setting} = "{value}"\n')
    with pytest.raises(ConfigError) as refused:
        load_config(path, env={})
    assert str(refused.value) == (
        f"The configuration in {path} is wrong: plan.{setting}: '{value}' is not one of "
        "plan.statuses (Planned, In Progress, Complete); use one of them."
    )


def test_the_statuses_are_judged_against_the_list_given_beside_them() -> None:
    with pytest.raises(ValidationError) as refused:
        PlanConfig(statuses=("Open", "Closed"), complete_status="Complete")
    assert [e["msg"] for e in refused.value.errors()] == [
        "Value error, 'Complete' is not one of plan.statuses (Open, Closed); use one of them"
    ]
