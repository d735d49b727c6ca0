"""Where the teams of an organisation disagree (federation/merge.py): pure functions of the model."""

from __future__ import annotations

import dataclasses
import datetime as dt

from servicebook.catalog import model
from servicebook.federation.merge import conflicts, merge

TEAM = model.Team(name="Platform", mission="m")
SUPPORT = model.Support(
    hours=model.Hours("mon-fri", "09:00", "17:00", "UTC"),
    channels=(model.Channel(model.ChannelKind.CHAT, "#help"),),
    severities=(model.Severity("sev1", "Critical", "Down.", 15),),
)


def catalog(name: str, tools: dict[str, model.ToolStatus], offerings: tuple[str, ...] = ()) -> model.Catalog:
    return model.Catalog(
        format=1,
        version="1",
        site=model.Site(title=name),
        team=dataclasses.replace(TEAM, name=name),
        support=SUPPORT,
        categories=(model.Category("ci", "CI"),),
        offerings=tuple(
            model.Offering(o, o.title(), "s", name, model.Tier.TIER_1, model.Lifecycle.GA, (), model.Request("ask"))
            for o in offerings
        ),
        tools=tuple(
            model.Tool(t, t.title(), "ci", status, "why", dt.date(2026, 1, 1), alternative="x" if status.value in
                       ("deprecated", "unsupported") else None)
            for t, status in tools.items()
        ),
    )  # fmt: skip


S, B, D, U = (model.ToolStatus.SUPPORTED, model.ToolStatus.BEST_EFFORT, model.ToolStatus.DEPRECATED,
              model.ToolStatus.UNSUPPORTED)  # fmt: skip


def test_a_tool_one_team_backs_and_another_turns_away_is_a_conflict() -> None:
    found = conflicts([
        ("", "Platform", catalog("Platform", {"kafka": B, "jest": D, "go": S})),
        ("db", "Database", catalog("Database", {"kafka": U, "jest": U, "go": S})),
    ])  # fmt: skip
    assert [(c.kind, c.subject, c.members) for c in found] == [("tool", "kafka", ("", "db"))]
    assert (
        found[0].message == "Kafka: Platform gives it best effort; Database lists it as unsupported (use db/x instead)"
    )


def test_a_conflict_says_which_teams_support_a_tool_and_which_give_it_best_effort() -> None:
    # newuser20: "Payments Team and Search Team support it" of a tool the search team gives best
    # effort (no response targets): a reader took both for full support
    found = conflicts([
        ("", "Platform", catalog("Platform", {"jenkins": U})),
        ("pay", "Payments", catalog("Payments", {"jenkins": S})),
        ("search", "Search", catalog("Search", {"jenkins": B})),
        ("ops", "Ops", catalog("Ops", {"jenkins": S})),
    ])  # fmt: skip
    assert [c.message for c in found] == [
        "Jenkins: Payments and Ops support it, Search gives it best effort; Platform lists it as unsupported (use x instead)"
    ]


def test_an_offering_id_two_teams_use_is_a_conflict_and_distinct_ids_are_not() -> None:
    found = conflicts([
        ("", "Platform", catalog("Platform", {}, ("ci", "dns"))),
        ("net", "Network", catalog("Network", {}, ("dns", "lb"))),
        ("db", "Database", catalog("Database", {}, ("dns", "postgres"))),
    ])  # fmt: skip
    assert [c.message for c in found] == ["offering id 'dns' is claimed by Platform, Network and Database"]


def test_teams_of_one_name_are_told_apart_by_member_in_a_conflict() -> None:
    # two teams scaffolded by `servicebook init` are both "Platform Team": "claimed by Platform Team
    # and Platform Team" would not say which teams disagree
    found = conflicts([
        ("", "Platform", catalog("Platform", {"kafka": S}, ("ci",))),
        ("app", "Platform", catalog("Platform", {"kafka": D}, ("ci",))),
        ("db", "Database", catalog("Database", {}, ("ci",))),
    ])  # fmt: skip
    assert [c.message for c in found] == [
        "Kafka: Platform (organisation) supports it; Platform (app) lists it as deprecated (use app/x instead)",
        "offering id 'ci' is claimed by Platform (organisation), Platform (app) and Database",
    ]


def test_merge_names_a_members_records_by_member_and_carries_its_support() -> None:
    member = model.Member(id="db", repository="../db")
    own = catalog("Database", {"pg": S}, ("postgres",))
    own = dataclasses.replace(own, offerings=(dataclasses.replace(own.offerings[0], tools=("pg",)),))
    merged, federation = merge(catalog("Platform", {}, ("ci",)), [(member, "0" * 40, own)])
    assert [o.id for o in merged.offerings] == ["ci", "db/postgres"]
    assert merged.offerings[1].tools == ("db/pg",)
    assert merged.offerings[1].support is not None and merged.offerings[1].support.channels == SUPPORT.channels
    assert [t.id for t in merged.tools] == ["db/pg"]
    assert federation.teams[0].offerings == ("db/postgres",) and federation.conflicts == ()
