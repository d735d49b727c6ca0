"""The catalog's domain model: frozen dataclasses that every later stage reads and none mutates.

This module is also the catalog *format*: each field's type says how its YAML value is read and
its `doc` says what it means. `schema.py` turns these same definitions into the published JSON
Schema and the README reference, and `validate.py` into the checks, so the three cannot drift.
It imports nothing of ours but catalog/basics.py (where a build came from, which imports nothing
of ours either: apart so that a rebuild with nothing to do need not import the model).
"""

from __future__ import annotations

import datetime as dt
import enum
import hashlib
import os
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Annotated, Any, overload

from servicebook.catalog.basics import BuildInfo

FORMAT_VERSION = 1
"""The catalog format this version of servicebook writes and reads natively."""


class Kind(enum.Enum):
    """How a scalar written as YAML text is read; used as `Annotated` metadata on fields."""

    LINE = "line"  # one line of plain text
    TEXT = "text"  # prose, may span lines
    ID = "id"  # lower-case slug that becomes part of a URL
    URL = "url"  # https://, http:// or mailto: only
    EMAIL = "email"
    PERCENT = "percent"  # 1 <= x < 100 (below 1 is a fraction typed for a percent), kept exact as a Decimal
    SLICE_PERCENT = "slice-percent"  # 0 < x <= 100, kept exact as a Decimal
    WINDOW = "window"  # "28d", "30d" (rolling) or "calendar-week", "calendar-month" …
    DURATION = "duration"  # "15m", "4h", "2d": stored as minutes
    CLOCK = "clock"  # "09:00"
    TIMEZONE = "timezone"  # IANA name, e.g. "Europe/Zurich"
    DAYS = "days"  # "mon-fri", "mon-sun", "mon,wed,fri"
    VERSION = "version"  # the catalog's own release name, e.g. "2026.11" or "3.2.0"


@dataclass(frozen=True, slots=True)
class Ref:
    """`Annotated` metadata: the value must name an existing entity of `target`."""

    target: str  # "offering", "tool", "page", "category", "tool-or-offering", "severity"


def doc(text: str, *, key: str | None = None, example: Any = None) -> dict[str, Any]:
    """Field metadata: the reference text, the YAML key when it differs, an example value."""
    meta: dict[str, Any] = {"doc": text}
    if key is not None:
        meta["key"] = key
    if example is not None:
        meta["example"] = example
    return meta


Line = Annotated[str, Kind.LINE]
Text = Annotated[str, Kind.TEXT]
Id = Annotated[str, Kind.ID]
Url = Annotated[str, Kind.URL]


class Lifecycle(enum.Enum):
    """Where an offering stands; the order is the ladder."""

    BETA = "beta"
    GA = "ga"
    DEPRECATED = "deprecated"
    RETIRED = "retired"


class ToolStatus(enum.Enum):
    """How far the team stands behind a tool; the order is the ladder, strongest first."""

    SUPPORTED = "supported"
    BEST_EFFORT = "best-effort"
    DEPRECATED = "deprecated"
    UNSUPPORTED = "unsupported"


class Audience(enum.Enum):
    BUSINESS = "business"
    DEVELOPERS = "developers"


class Tier(enum.Enum):
    """Criticality: tier 1 is what the business cannot run without."""

    TIER_1 = "1"
    TIER_2 = "2"
    TIER_3 = "3"


class Budgeting(enum.Enum):
    """OpenSLO's budgetingMethod."""

    OCCURRENCES = "occurrences"
    TIMESLICES = "timeslices"
    RATIO_TIMESLICES = "ratio-timeslices"  # OpenSLO's RatioTimeslices: the mean of each slice's share


class Forge(enum.Enum):
    """Where the catalog's repository is hosted, for links to commits and files."""

    GITHUB = "github"
    GITLAB = "gitlab"
    GITEA = "gitea"  # and Forgejo (Codeberg)
    BITBUCKET = "bitbucket"


class ChannelKind(enum.Enum):
    CHAT = "chat"
    EMAIL = "email"
    TICKET = "ticket"
    PHONE = "phone"
    PAGER = "pager"
    WEB = "web"


class Coverage(enum.Enum):
    """When a response target applies."""

    BUSINESS_HOURS = "business-hours"
    ALWAYS = "24x7"


@dataclass(frozen=True, slots=True)
class Link:
    title: Line = field(metadata=doc("What the link leads to."))
    url: Url = field(metadata=doc("https://, http:// or mailto: address."))


@dataclass(frozen=True, slots=True)
class Site:
    title: Line = field(metadata=doc("Shown in every page title and the header."))
    repository: Url | None = field(
        default=None,
        metadata=doc(
            "Web address of the git repository that holds this catalog; enables commit and 'edit this page' "
            "links (spelled as `forge` says).",
            example="https://github.com/acme/platform-catalog",
        ),
    )
    forge: Forge | None = field(
        default=None,
        metadata=doc(
            "Which forge hosts `repository`, for the spelling of its commit, file and edit links; guessed from "
            "the host name when absent (gitlab, bitbucket; gitea for gitea/forgejo/codeberg hosts; else github).",
            example="gitlab",
        ),
    )
    branch: Line = field(default="main", metadata=doc("Branch used for 'edit this page' links (default: main)."))
    base_url: Url | None = field(
        default=None,
        metadata=doc(
            "Where the site is published; needed for sitemap.xml and the Atom feed, and for 404.html under a path."
        ),
    )
    release_tags: Line = field(
        default="v*",
        metadata=doc("Git tags that mark releases of the catalog (a glob); see docs/versions-and-releases.md."),
    )
    measurements_stale_after: Annotated[int, Kind.DURATION] = field(
        default=2 * 24 * 60,
        metadata=doc(
            "How old the latest snapshot under measurements/ may be, at the build's date, before the site says "
            "its figures are stale (default 2d: a daily `servicebook measure` and a day's grace).",
            example="7d",
        ),
    )


@dataclass(frozen=True, slots=True)
class Contact:
    name: Line = field(metadata=doc("A person, role or team alias."))
    role: Line | None = field(default=None, metadata=doc("What to contact them for."))
    email: Annotated[str, Kind.EMAIL] | None = field(default=None, metadata=doc("E-mail address."))
    url: Url | None = field(default=None, metadata=doc("Chat channel or profile address."))


@dataclass(frozen=True, slots=True)
class Customer:
    name: Line = field(metadata=doc("Who the team serves, e.g. 'The business', 'Product teams'."))
    needs: Text = field(metadata=doc("What they need from the team, in their words."))


@dataclass(frozen=True, slots=True)
class TradeOff:
    favour: Line = field(metadata=doc("What the team deliberately optimises for.", example="Stability"))
    over: Line = field(metadata=doc("What it gives up in exchange.", example="Flexibility"))
    why: Text = field(metadata=doc("Why this is the right call for these customers."))
    beneficiary: Line | None = field(
        default=None, metadata=doc("Who benefits.", key="for", example="A regulated business")
    )


@dataclass(frozen=True, slots=True)
class Team:
    name: Line = field(metadata=doc("The team's name."))
    mission: Text = field(metadata=doc("One or two sentences: why the team exists."))
    contacts: tuple[Contact, ...] = field(default=(), metadata=doc("How to reach the team."))
    customers: tuple[Customer, ...] = field(default=(), metadata=doc("Who the team serves."))
    tradeoffs: tuple[TradeOff, ...] = field(
        default=(), metadata=doc("The deliberate trade-offs the team makes, most important first.")
    )


@dataclass(frozen=True, slots=True)
class Hours:
    days: Annotated[str, Kind.DAYS] = field(metadata=doc("Week days covered.", example="mon-fri"))
    start: Annotated[str, Kind.CLOCK] = field(metadata=doc("Start time, 24 h clock.", example="08:00"))
    end: Annotated[str, Kind.CLOCK] = field(metadata=doc("End time, 24 h clock.", example="18:00"))
    timezone: Annotated[str, Kind.TIMEZONE] = field(
        metadata=doc("IANA time zone of start and end.", example="Europe/Zurich")
    )


@dataclass(frozen=True, slots=True)
class Channel:
    kind: ChannelKind = field(metadata=doc("What sort of channel this is."))
    name: Line = field(metadata=doc("Its name as people say it, e.g. '#platform-help'."))
    url: Url | None = field(default=None, metadata=doc("Where it is."))
    use_for: Line | None = field(default=None, metadata=doc("What to use this channel for."))


@dataclass(frozen=True, slots=True)
class Severity:
    id: Id = field(metadata=doc("Short id used in response targets, e.g. sev1."))
    name: Line = field(metadata=doc("Human name, e.g. 'Critical'."))
    description: Text = field(metadata=doc("When an issue has this severity."))
    response: Annotated[int, Kind.DURATION] = field(
        metadata=doc("Time to first response, e.g. 15m, 4h, 2d.", example="30m")
    )
    coverage: Coverage = field(
        default=Coverage.BUSINESS_HOURS,
        metadata=doc("Whether the response clock runs during business hours or 24x7."),
    )


@dataclass(frozen=True, slots=True)
class OnCall:
    summary: Text = field(metadata=doc("Who is on call, when, and for what."))
    how: Text = field(metadata=doc("How to page the on-call engineer."))


@dataclass(frozen=True, slots=True)
class Support:
    """Team-wide support; an offering may override any part of it."""

    hours: Hours = field(metadata=doc("Business hours."))
    channels: tuple[Channel, ...] = field(metadata=doc("Where to ask for help, preferred first."))
    severities: tuple[Severity, ...] = field(metadata=doc("Severities with response targets."))
    oncall: OnCall | None = field(default=None, metadata=doc("Out-of-hours on-call, if any."))
    escalation: tuple[Text, ...] = field(default=(), metadata=doc("Escalation steps, in order."))


@dataclass(frozen=True, slots=True)
class SupportOverride:
    """The parts of support an offering does differently; unset parts come from the team."""

    hours: Hours | None = field(default=None, metadata=doc("Business hours for this offering."))
    channels: tuple[Channel, ...] | None = field(default=None, metadata=doc("Channels."))
    severities: tuple[Severity, ...] | None = field(default=None, metadata=doc("Severities."))
    oncall: OnCall | None = field(default=None, metadata=doc("On-call for this offering."))
    escalation: tuple[Text, ...] | None = field(default=None, metadata=doc("Escalation steps."))


@dataclass(frozen=True, slots=True)
class WholeSupport(SupportOverride):
    """An offering's support that takes no part from the catalog's team-wide support: a member
    team's offering on an organisation site, whose team-wide support is the organisation's
    (federation/merge.py). Every part is its own team's; an on-call of None is none. No catalog
    writes it."""


@dataclass(frozen=True, slots=True)
class Measurement:
    """How the monitoring counts an SLO's events: Prometheus queries in the shapes Sloth and Pyrra
    use, so a team can paste what it already has. Exactly one shape: errors and total, good and
    total, error_ratio, or bool_gauge. A query is either a selector of a counter (Pyrra's
    `metric`: `http_requests_total{job="api",code=~"5.."}`) or a full PromQL expression in which
    `{{.window}}` stands for the range to evaluate over (Sloth's queries)."""

    errors: Text | None = field(
        default=None, metadata=doc("Bad events (Sloth's errorQuery, Pyrra's ratio.errors.metric); with total.")
    )
    good: Text | None = field(
        default=None,
        metadata=doc("Good events (Pyrra's latency.success.metric, OpenSLO's ratioMetric.good); with total."),
    )
    total: Text | None = field(
        default=None, metadata=doc("All valid events (Sloth's totalQuery, Pyrra's total.metric).")
    )
    error_ratio: Text | None = field(
        default=None, metadata=doc("The share of bad events over {{.window}} (Sloth's raw.errorRatioQuery).")
    )
    bool_gauge: Text | None = field(
        default=None, metadata=doc("A gauge that is 1 while the service is good and 0 while it is not (Pyrra).")
    )


@dataclass(frozen=True, slots=True)
class SLO:
    id: Id = field(metadata=doc("Unique within the offering.", example="availability"))
    name: Line = field(metadata=doc("Short human name.", example="Pipeline availability"))
    sli: Text = field(
        metadata=doc(
            "What is measured: the indicator, good events over valid events.",
            example="Share of pipeline runs that start within 60 s of being queued",
        )
    )
    objective: Annotated[Decimal, Kind.PERCENT] = field(
        metadata=doc("Objective in percent (OpenSLO's target × 100).", example="99.9")
    )
    window: Annotated[str, Kind.WINDOW] = field(
        metadata=doc(
            "Rolling window such as 28d or 30d, or calendar-week, calendar-month, calendar-quarter or "
            "calendar-year (OpenSLO's timeWindow).",
            example="30d",
        )
    )
    budgeting: Budgeting = field(
        default=Budgeting.OCCURRENCES,
        metadata=doc(
            "OpenSLO's budgetingMethod: occurrences (the share of the window's good events), timeslices (the "
            "share of good time slices) or ratio-timeslices (the mean of each time slice's share of good events).",
        ),
    )
    timeslice_target: Annotated[Decimal, Kind.SLICE_PERCENT] | None = field(
        default=None,
        metadata=doc(
            "With budgeting: timeslices (required then, refused otherwise): the share of good events, in "
            "percent up to 100, that makes a time slice good (OpenSLO's timeSliceTarget × 100).",
            example="95",
        ),
    )
    timeslice_window: Annotated[int, Kind.DURATION] | None = field(
        default=None,
        metadata=doc(
            "With budgeting: timeslices or ratio-timeslices (required then, refused otherwise): the length of "
            "a time slice, e.g. 1m or 5m (OpenSLO's timeSliceWindow).",
            example="1m",
        ),
    )
    timezone: Annotated[str, Kind.TIMEZONE] | None = field(
        default=None,
        metadata=doc(
            "For a calendar window only: the IANA time zone its weeks (from Monday), months, quarters or "
            "years start in, at midnight (OpenSLO's calendar timeZone); default: the time zone of the "
            "offering's support hours.",
            example="Europe/Zurich",
        ),
    )
    measurement: Measurement | None = field(
        default=None, metadata=doc("How Prometheus measures it (optional); `servicebook measure` reads it.")
    )


@dataclass(frozen=True, slots=True)
class Request:
    how: Text = field(metadata=doc("How to get the offering, in one or two sentences."))
    url: Url | None = field(default=None, metadata=doc("Form, template or portal address."))


@dataclass(frozen=True, slots=True)
class Offering:
    id: Id = field(metadata=doc("Unique slug; the page lives at offerings/<id>/.", example="ci"))
    name: Line = field(metadata=doc("Human name.", example="CI pipelines"))
    summary: Text = field(metadata=doc("One sentence a developer reads in the index."))
    owner: Line = field(metadata=doc("The person or sub-team accountable for it."))
    tier: Tier = field(metadata=doc("Criticality, 1 (highest) to 3."))
    lifecycle: Lifecycle = field(metadata=doc("Where it stands: beta, ga, deprecated, retired."))
    audience: tuple[Audience, ...] = field(metadata=doc("Who it is for: business, developers."))
    request: Request = field(metadata=doc("How to request it."))
    description: Text | None = field(default=None, metadata=doc("Longer description."))
    depends_on: tuple[Annotated[str, Ref("offering")], ...] = field(
        default=(), metadata=doc("Other offerings this one relies on.")
    )
    slos: tuple[SLO, ...] = field(default=(), metadata=doc("Service level objectives."))
    support: SupportOverride | None = field(
        default=None,
        metadata=doc(
            "Where support differs from the team-wide support. Each field given replaces the team's "
            "whole value: channels: [x] lists only x, so repeat the team's channels you keep."
        ),
    )
    tools: tuple[Annotated[str, Ref("tool")], ...] = field(
        default=(), metadata=doc("Tool decisions that apply to this offering.")
    )
    policies: tuple[Annotated[str, Ref("page")], ...] = field(default=(), metadata=doc("Policy pages that govern it."))
    links: tuple[Link, ...] = field(default=(), metadata=doc("Documentation, dashboards, repos."))
    replaced_by: Annotated[str, Ref("offering")] | None = field(
        default=None,
        metadata=doc("For a deprecated or retired offering: the offering to move to.", example="artifact-registry"),
    )
    sunset: dt.date | None = field(
        default=None,
        metadata=doc(
            "For a deprecated offering: the date it will be retired (YYYY-MM-DD); a passed date is a warning, "
            "and so is a deprecated offering with neither sunset nor replaced_by."
        ),
    )
    renamed_from: tuple[Id, ...] = field(
        default=(),
        metadata=doc("Ids it had before; their old pages send readers here.", example=["artifacts"]),
    )


@dataclass(frozen=True, slots=True)
class Category:
    id: Id = field(metadata=doc("Slug used by tools.", example="testing"))
    name: Line = field(metadata=doc("Human name.", example="Automated testing"))
    description: Text | None = field(default=None, metadata=doc("What belongs here."))


@dataclass(frozen=True, slots=True)
class Tool:
    id: Id = field(metadata=doc("Unique slug; the page lives at tools/<id>/.", example="jest"))
    name: Line = field(metadata=doc("Human name.", example="Jest"))
    category: Annotated[str, Ref("category")] = field(metadata=doc("Category id."))
    status: ToolStatus = field(metadata=doc("supported, best-effort, deprecated or unsupported (strongest first)."))
    reason: Text = field(metadata=doc("Why the team made this decision."))
    since: dt.date = field(metadata=doc("When the decision took effect (YYYY-MM-DD)."))
    alternative: Annotated[str, Ref("tool-or-offering")] | None = field(
        default=None,
        metadata=doc(
            "What to use instead: a supported or best-effort tool, or an offering. "
            "Required when the status is deprecated or unsupported. In a member team's catalog, another team's "
            "offering is <member>/<id> and its tool tool:<member>/<id> (docs/federating.md)."
        ),
    )
    review_by: dt.date | None = field(
        default=None,
        metadata=doc("When to revisit the decision; a passed date is a warning."),
    )
    migration: Annotated[str, Ref("page")] | None = field(
        default=None, metadata=doc("Policy page with a migration guide.")
    )
    url: Url | None = field(default=None, metadata=doc("The tool's own site."))
    renamed_from: tuple[Id, ...] = field(
        default=(),
        metadata=doc("Ids it had before; their old pages send readers here.", example=["jenkins-ci"]),
    )


class RadarFormat(enum.Enum):
    """Tech-radar data formats servicebook writes (docs/portals.md)."""

    BACKSTAGE = "backstage"  # the Backstage tech-radar plugin's JSON
    ZALANDO = "zalando"  # Zalando's tech-radar config.json
    AOE = "aoe"  # AOE's technology radar: Markdown files by release date


class BackstageEntity(enum.Enum):
    """The catalog's own Backstage entities beside its offerings' (docs/portals.md)."""

    GROUP = "group"  # the team's Group
    SYSTEM = "system"  # the catalog's System


@dataclass(frozen=True, slots=True)
class OwnerRef:
    owner: Line = field(metadata=doc("An offering's `owner`, exactly as written there.", example="Tobias Brunner"))
    ref: Line = field(
        metadata=doc(
            "The Backstage entity that owns it: [kind:][namespace/]name.", example="group:default/delivery-tooling"
        )
    )


@dataclass(frozen=True, slots=True)
class EntityName:
    offering: Annotated[str, Ref("offering")] = field(metadata=doc("An offering id.", example="my-service-v2"))
    name: Line = field(
        metadata=doc(
            "The name of its Backstage entity, where it is not the id: 1-63 letters and digits separated by "
            "'-', '_' or '.'.",
            example="My_Service.v2",
        )
    )


@dataclass(frozen=True, slots=True)
class BackstagePortal:
    """Publishes the catalog as Backstage entities (portals/backstage/catalog-info.yaml)."""

    owners: tuple[OwnerRef, ...] = field(
        default=(),
        metadata=doc(
            "The Backstage owner of each distinct offering owner; every one must be listed but the team's own "
            "name, which is the team's Group unless listed."
        ),
    )
    resources: tuple[Annotated[str, Ref("offering")], ...] = field(
        default=(),
        metadata=doc("Offerings exported as a Resource (infrastructure); the others are Components of type service."),
    )
    names: tuple[EntityName, ...] = field(
        default=(),
        metadata=doc(
            "Offerings whose Backstage entity has another name than the offering's id (an entity registered "
            "before, `My_Service.v2`): the export keeps it, so Backstage sees the same entity."
        ),
    )
    namespace: Id = field(default="default", metadata=doc("The entities' Backstage namespace."))
    group: Id | None = field(
        default=None, metadata=doc("The name of the team's Group entity (default: the team's name as an id).")
    )
    group_namespace: Id | None = field(
        default=None,
        metadata=doc(
            "The namespace of the team's Group where Backstage has it in another than the entities' (default: "
            "`namespace`): the export refers to it as group:<group_namespace>/<group>, and writes it there unless "
            "`existing` lists `group`."
        ),
    )
    system: Id | None = field(
        default=None, metadata=doc("The name of the catalog's System entity (default: the team's name as an id).")
    )
    existing: tuple[BackstageEntity, ...] = field(
        default=(),
        metadata=doc(
            "The team's Group (`group`) and the catalog's System (`system`) where Backstage has them from another "
            "file: the export refers to them and writes neither (a second entity of the same name clashes with "
            "the one registered, or replaces its members and children)."
        ),
    )


@dataclass(frozen=True, slots=True)
class RingFor:
    status: ToolStatus = field(metadata=doc("A tool status."))
    ring: Line = field(metadata=doc("The radar ring it is drawn in.", example="Adopt"))


@dataclass(frozen=True, slots=True)
class QuadrantFor:
    category: Annotated[str, Ref("category")] = field(metadata=doc("A tool category id."))
    quadrant: Line = field(metadata=doc("The radar quadrant its tools are drawn in.", example="Tools"))


@dataclass(frozen=True, slots=True)
class RadarPortal:
    """Publishes the tool decisions as tech-radar data (portals/techradar/)."""

    formats: tuple[RadarFormat, ...] = field(
        default=(), metadata=doc("Which radar formats the site publishes: backstage, zalando, aoe.")
    )
    rings: tuple[RingFor, ...] = field(
        default=(),
        metadata=doc(
            "Rings for your radar; statuses left out keep the default (supported: Adopt, best-effort: Trial, "
            "deprecated and unsupported: Hold)."
        ),
    )
    quadrants: tuple[QuadrantFor, ...] = field(
        default=(),
        metadata=doc(
            "Quadrants for the categories (a radar has four); without it each category is a quadrant of its own."
        ),
    )


@dataclass(frozen=True, slots=True)
class Portals:
    backstage: BackstagePortal | None = field(
        default=None, metadata=doc("Backstage entities: published with the site when present.")
    )
    techradar: RadarPortal | None = field(default=None, metadata=doc("Tech-radar data in the listed formats."))


@dataclass(frozen=True, slots=True)
class Member:
    """Another team's catalog that this organisation site gathers, at the commit `servicebook.lock`
    records (see docs/federating.md)."""

    id: Id = field(
        metadata=doc(
            "The team's short id; its offerings and tools are named <id>/<their id> on this site.",
            example="db-team",
        )
    )
    repository: Line = field(
        metadata=doc(
            "Where its catalog's git repository is: an https://, ssh:// or file:// address, user@host:path, "
            "or a folder relative to this catalog.yaml.",
            example="https://git.example.com/db-team/catalog.git",
        )
    )
    ref: Line = field(
        default="main",
        metadata=doc("The branch or tag `servicebook federate update` follows (default: main).", example="main"),
    )
    path: Line = field(
        default=".",
        metadata=doc(
            "The folder of its catalog.yaml inside the repository, relative and within it (default: the top).",
            example="catalog",
        ),
    )
    site: Url | None = field(
        default=None,
        metadata=doc(
            "Where the team publishes its own site, for links from this one.", example="https://db.example.com/"
        ),
    )


@dataclass(frozen=True, slots=True)
class Catalog:
    format: int = field(metadata=doc("Catalog format version; this release reads 1.", example=1))
    version: Annotated[str, Kind.VERSION] = field(
        metadata=doc("The catalog's own release, e.g. 2026.11 or 3.2.0.", example="2026.11")
    )
    site: Site = field(metadata=doc("Site settings."))
    team: Team = field(metadata=doc("The team behind the catalog."))
    support: Support = field(metadata=doc("Team-wide support."))
    categories: tuple[Category, ...] = field(default=(), metadata=doc("Tool categories."))
    offerings: tuple[Offering, ...] = field(default=(), metadata=doc("What the team provides."))
    tools: tuple[Tool, ...] = field(
        default=(), metadata=doc("Tool decisions, including what is explicitly not supported.")
    )
    portals: Portals | None = field(
        default=None,
        metadata=doc("Exports for developer portals and tech radars (docs/portals.md)."),
    )
    members: tuple[Member, ...] = field(
        default=(),
        metadata=doc(
            "Other teams' catalogs gathered into this one site, each at the commit servicebook.lock records "
            "(an organisation site; see docs/federating.md)."
        ),
    )
    organisation: Url | None = field(
        default=None,
        metadata=doc(
            "Where the organisation site this catalog is a member of is published. With it, this catalog and its "
            "pages may name another member team's offerings, tools and policy pages as <member>/<id> "
            "(offering:db-team/postgres): they link there, and the organisation site checks them "
            "(docs/federating.md).",
            example="https://catalog.example.com/",
        ),
    )


@dataclass(frozen=True, slots=True)
class PageMeta:
    """A policy page's front matter."""

    title: Line = field(metadata=doc("Page title."))
    summary: Text | None = field(default=None, metadata=doc("One sentence for indexes and search."))
    owner: Line | None = field(default=None, metadata=doc("Who maintains the policy."))
    order: int = field(default=100, metadata=doc("Sort key in the policies index (lower first)."))
    offerings: tuple[Annotated[str, Ref("offering")], ...] = field(
        default=(), metadata=doc("Offerings this policy applies to.")
    )
    tools: tuple[Annotated[str, Ref("tool")], ...] = field(
        default=(), metadata=doc("Tool decisions this policy explains.")
    )
    renamed_from: tuple[Line, ...] = field(
        default=(),
        metadata=doc(
            "Names it had before (its old file under content/ without .md); their old pages send readers here.",
            example=["change-process"],
        ),
    )


@dataclass(frozen=True, slots=True)
class Heading:
    level: int
    text: str
    anchor: str


class StoredHeadings(Sequence[Heading]):
    """A page's headings as a build's store keeps them, one text ("level|text|anchor|…",
    site/buildcache.py `encode_page`), made into `Heading`s when first asked for: a rebuild from
    the command line reads back every page it keeps and asks the headings of few (the page a
    changed page links to, the pages whose search records are written again), and reading them
    as JSON lists and making them was ~0.02 CPU s of ~0.14 at 5,000 pages (bench/README.md, cli14).
    Equal to, hashed and shown as the tuple of its headings.
    `shared` holds the headings made so far, by their parts, so that pages share them."""

    __slots__ = ("_made", "_shared", "_text")
    APART = "|"  # between the parts

    def __init__(self, text: str, shared: dict[Any, Heading]) -> None:
        self._text = text
        self._shared = shared
        self._made: tuple[Heading, ...] | None = None

    @property
    def made(self) -> tuple[Heading, ...]:
        made = self._made
        if made is None:
            parts = self._text.split(self.APART) if self._text else []
            one = self._shared
            found = []
            for each in zip(map(int, parts[0::3]), parts[1::3], parts[2::3], strict=True):
                heading = one.get(each)
                if heading is None:
                    heading = one[each] = Heading(*each)
                found.append(heading)
            made = self._made = tuple(found)
            self._text = ""  # (held no longer)
        return made

    def __len__(self) -> int:
        return len(self.made)

    @overload
    def __getitem__(self, index: int) -> Heading: ...

    @overload
    def __getitem__(self, index: slice) -> tuple[Heading, ...]: ...

    def __getitem__(self, index: int | slice) -> Heading | tuple[Heading, ...]:
        return self.made[index]

    def __iter__(self) -> Iterator[Heading]:
        return iter(self.made)

    def __eq__(self, other: object) -> bool:
        if isinstance(other, StoredHeadings):
            return self.made == other.made
        return self.made == other if isinstance(other, tuple) else NotImplemented

    def __hash__(self) -> int:
        return hash(self.made)

    def __repr__(self) -> str:
        return repr(self.made)


# How much of a page's plain text the model keeps: enough for a search excerpt, not the whole
# page (that would hold every page twice in memory on large sites).
TEXT_CHARS = 320


# Where the pages a build read back from its store and left their HTML in are, by number (model.Page
# `spooled`): each gives a page's HTML, by the page and its index there, checked against the
# page's `html_sha256`, or raises (site/buildcache.py StoredHtml; never other bytes).
STORED_HTML: dict[int, Callable[[Page, int], str]] = {}


@dataclass(frozen=True, slots=True)
class Page:
    """A policy page, its Markdown already rendered to safe HTML.

    A build holds thousands of pages from loading to writing, and only the render of a page and
    the search index read its HTML: the build keeps each page's HTML in a file of its own while
    it runs (site/load.py `BodySpool`), and the page says where (`spooled`), so what every page
    costs the build's process is its outline (title, headings, summary, hashes), not its text."""

    slug: str  # path under content/ without .md, e.g. "change-approval" or "security/scanning"
    source: str  # path relative to the site root, e.g. "content/change-approval.md"
    meta: PageMeta
    body: str  # its HTML; "" when `spooled`
    text: str  # the beginning of its plain text (TEXT_CHARS at most), for search excerpts
    headings: Sequence[Heading]  # a tuple, or StoredHeadings for a page read back from a build's store
    html_sha256: str  # of `html` in UTF-8: taken once, where it is rendered (catalog.json publishes it)
    # where its HTML is instead of `body`: (open file descriptor, offset, size in bytes), in this
    # process and the worker processes it forks; () when `body` holds it; (-n, i, 0) for a page
    # read back from the build's store whose HTML was left there: `STORED_HTML[n]` gives it. A
    # fourth number: the size of what the HTML links to and its ids, right after it in the file
    # (site/load.py PageResult `body_refs`)
    spooled: tuple[int, ...] = ()
    # where what the search index reads of its HTML is (its sections' words and its text
    # fragment, made once where the page was rendered: site/search/postings.py `page_parts`), in the same
    # file as `spooled`: (file descriptor, offset, size); () when not made (a page read back
    # from the store: the index reads its HTML instead)
    search_spooled: tuple[int, ...] = ()
    # the site's own pages (output paths: "offerings/ci/index.html") whose anchors its links name
    # (`offering:ci#slo-x`, `site:support#hours`): those ids are checked on the built site, so a
    # build that keeps this page checks its links again when one of those pages is made again
    fragment_targets: tuple[str, ...] = ()

    @property
    def html(self) -> str:
        """The page's HTML, read from where the build keeps it when it is not held here; an
        error (never other bytes) when that is gone or no longer holds it."""
        if not self.spooled:
            return self.body
        spooled = self.spooled
        fd, offset, size = spooled[0], spooled[1], spooled[2]
        if fd < 0:
            stored = STORED_HTML.get(-fd)
            if stored is None:
                raise OSError(f"the HTML of policy page {self.slug!r} is no longer where the build kept it")
            return stored(self, offset)
        data = os.pread(fd, size, offset)
        if len(data) != size or hashlib.sha256(data).hexdigest() != self.html_sha256:
            raise OSError(f"the HTML of policy page {self.slug!r} is no longer where the build kept it")
        return data.decode("utf-8")


@dataclass(frozen=True, slots=True)
class MemberTeam:
    """A member of an organisation site as built: who it is and the commit it was read at."""

    id: str
    name: str
    mission: str
    repository: str
    ref: str
    commit: str
    site: str | None  # the team's own published site
    offerings: tuple[str, ...]  # ids on the organisation site ("db-team/postgres")
    tools: tuple[str, ...]
    pages: tuple[str, ...] = ()  # its policy pages' slugs on the organisation site ("db-team/backups")


@dataclass(frozen=True, slots=True)
class Conflict:
    """Where members of an organisation disagree: a tool one supports and another does not, or
    one offering id that several claim."""

    kind: str  # "tool" or "offering"
    subject: str  # the tool's or offering's id as the teams spell it
    message: str  # what readers are told
    members: tuple[str, ...] = ()  # the ids of the members involved ("" is the organisation's own catalog)


@dataclass(frozen=True, slots=True)
class Federation:
    """An organisation site's members, as read at their locked commits, and their disagreements."""

    teams: tuple[MemberTeam, ...]
    conflicts: tuple[Conflict, ...]


@dataclass(frozen=True, slots=True)
class SiteContent:
    """Everything the render stage needs: the checked catalog, its pages and the build stamp."""

    catalog: Catalog
    pages: tuple[Page, ...]
    build: BuildInfo
    snapshots: tuple[Snapshot, ...] = ()  # measurements/, oldest first (none for a past release)
    federation: Federation | None = None  # an organisation site's members (their records are in `catalog`)


@dataclass(frozen=True, slots=True)
class MeasuredSLO:
    """What one run of `servicebook measure` found for one SLO: the counts and the share of its
    error budget left over [start, end], or why it could not be measured (`reason`)."""

    offering: str
    slo: str
    objective: Decimal  # as the catalog said when it was measured
    window: str
    start: dt.datetime
    end: dt.datetime
    reason: str | None  # None: measured
    attainment: float | None = None  # share of good events (or of good time), 0 to 1
    budget_consumed: float | None = None  # share of the error budget spent; above 1: overspent
    good: float | None = None
    total: float | None = None
    # "events", "samples", "query values", "slices", "slice shares" (good: the sum of the slices' shares of
    # good events, ratio-timeslices); None for an error ratio
    counted_as: str | None = None
    notes: tuple[str, ...] = ()  # counter resets, gaps: what the figures were measured around
    timezone: str | None = None  # a calendar window's: where its period began (None: rolling, or not recorded)
    # seconds of [start, end] in which the data behind the figures had samples, to within the gap
    # check's step; None: not checked (a window under two steps, or a snapshot written before it was said)
    covered: int | None = None

    @property
    def budget_remaining(self) -> float | None:
        return None if self.budget_consumed is None else 1 - self.budget_consumed


@dataclass(frozen=True, slots=True)
class Snapshot:
    """One file under measurements/: one run of `servicebook measure`."""

    path: str  # relative to the site root
    end: dt.datetime  # the time measured up to (UTC)
    server: str
    commit: str | None  # the catalog commit measured against
    dirty: bool
    results: tuple[MeasuredSLO, ...]
