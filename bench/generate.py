"""Generate a large, synthetic but realistic servicebook site for the benchmark.

The site is valid for the current catalog format: every reference resolves, every deprecated or
unsupported tool names a supported alternative, every deprecated offering its successor and sunset
date, and policy pages (~800 words each, with headings,
lists, tables, code and cross-links `offering:ID`, `tool:ID` and `other-page.md#anchor`) link only
to headings that exist. The same arguments always give the same bytes (seeded, no wall clock).

    python bench/generate.py --offerings 2000 --tools 5000 --pages 2000 --out bench/out/large
"""

from __future__ import annotations

import argparse
import random
import re
import shutil
from dataclasses import dataclass
from pathlib import Path

DOMAINS = [
    "Payments", "Ledger", "Cards", "E-banking", "Mortgages", "Trading", "Fraud", "Onboarding", "Statements",
    "Treasury", "Risk", "Compliance", "Branch", "Loans", "Savings", "Custody", "Pricing", "Reporting",
    "Identity", "Notifications", "Documents", "Messaging", "Analytics", "Archive", "Settlement",
]  # fmt: skip
KINDS = [
    ("database", "PostgreSQL databases run and patched by the platform"),
    ("queue", "a managed message queue with dead-letter handling"),
    ("cache", "an in-memory cache with replication across both data centres"),
    ("pipeline", "build and deployment pipelines on the standard templates"),
    ("runners", "autoscaled build runners with signed base images"),
    ("registry", "an artifact registry with retention and provenance"),
    ("gateway", "an API gateway with mutual TLS and rate limits"),
    ("environments", "preview and test environments created per merge request"),
    ("dashboards", "dashboards and alerts on the shared observability stack"),
    ("backups", "scheduled backups with quarterly restore tests"),
    ("secrets", "secrets storage with short-lived credentials"),
    ("search", "a managed search cluster with index lifecycle policies"),
    ("storage", "object storage with encryption and versioning"),
    ("scheduler", "a batch scheduler with calendars and retries"),
]
CATEGORIES = [
    ("ci", "Continuous integration"), ("testing", "Automated testing"), ("deployment", "Deployment and release"),
    ("iac", "Infrastructure as code"), ("languages", "Languages and runtimes"), ("observability", "Observability"),
    ("security", "Security scanning"), ("databases", "Databases"), ("messaging", "Messaging"),
    ("build", "Build tools"), ("containers", "Containers"), ("editors", "Editors and local tooling"),
]  # fmt: skip
TOOL_BASES = [
    "Jest", "Vitest", "Mocha", "Cypress", "Playwright", "Selenium", "JUnit", "TestNG", "pytest", "Gatling",
    "k6", "JMeter", "GitLab CI", "Jenkins", "GitHub Actions", "Travis CI", "Tekton", "Argo CD", "Flux",
    "Helm", "Kustomize", "Terraform", "OpenTofu", "Pulumi", "Ansible", "Puppet", "Chef", "Java", "Kotlin",
    "Python", "Node.js", "Go", "Rust", "Ruby", "PHP", "Prometheus", "Grafana", "Loki", "Tempo", "Jaeger",
    "Zipkin", "Trivy", "Grype", "Semgrep", "SonarQube", "Gitleaks", "PostgreSQL", "MySQL", "Oracle",
    "MongoDB", "Redis", "Kafka", "RabbitMQ", "ActiveMQ", "Maven", "Gradle", "npm", "pnpm", "Yarn", "Bazel",
    "Docker", "Podman", "Buildah", "Kaniko", "containerd", "VS Code", "IntelliJ IDEA", "Eclipse",
]  # fmt: skip
OWNERS = ["Delivery Tooling", "Runtime Platform", "Observability", "Data Platform", "Security Engineering"]
PEOPLE = ["Aylin Demir", "Tobias Brunner", "Mirjam Keller", "Jonas Frei", "Lea Baumann", "Nina Rossi"]
SECTIONS = [
    "Scope", "Why this policy exists", "Rules", "Exceptions", "Roles and responsibilities", "How to request",
    "Rollback and recovery", "Evidence for audit", "Service levels", "Migration steps", "Checklist",
    "Frequently asked questions", "Review and ownership", "Costs", "Security considerations",
]  # fmt: skip
SUBJECTS = [
    "Every production change", "A team that owns a service", "The platform on-call engineer", "The change manager",
    "Each merge request pipeline", "A deprecated tool", "The owning sub-team", "An exception to this policy",
    "The nightly export", "A restore test", "Each release", "The error budget", "A new offering",
]  # fmt: skip
VERBS = [
    "must be recorded in", "is reviewed against", "needs an approval from", "is reported through",
    "should be planned with", "is measured by", "cannot bypass", "is tested against", "is documented in",
]  # fmt: skip
OBJECTS = [
    "the change management system", "the standard pipeline templates", "a second reviewer",
    "the quarterly access review", "the service desk queue", "the incident timeline", "the audit export",
    "the release calendar", "the monitoring dashboards", "the risk register", "the runbook of the service",
]  # fmt: skip
QUALIFIERS = [
    "before it reaches production", "within one business day", "at least once per quarter",
    "so that auditors can follow it without asking engineers", "unless a sev1 incident is declared",
    "and the result is kept for ten years", "during business hours in Zurich", "with a dated reason",
    "before the review date passes", "even for changes made by the platform team itself",
]  # fmt: skip


def slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


def anchor(title: str) -> str:
    """The anchor servicebook (and, for these ASCII titles, MkDocs and Hugo) gives a heading."""
    return slug(title)[:64].rstrip("-") or "section"


@dataclass(frozen=True)
class PagePlan:
    slug: str
    title: str
    sections: tuple[str, ...]


def sentence(rng: random.Random) -> str:
    return f"{rng.choice(SUBJECTS)} {rng.choice(VERBS)} {rng.choice(OBJECTS)} {rng.choice(QUALIFIERS)}."


def paragraph(rng: random.Random, n: int) -> str:
    return " ".join(sentence(rng) for _ in range(n))


def wrap(text: str, width: int = 100) -> str:
    lines, line = [], ""
    for word in text.split():
        if line and len(line) + 1 + len(word) > width:
            lines.append(line)
            line = word
        else:
            line = f"{line} {word}" if line else word
    return "\n".join([*lines, line])


def yq(text: str) -> str:
    """A YAML double-quoted scalar."""
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def catalog_yaml(
    rng: random.Random, offerings: int, tools: int, page_slugs: list[str]
) -> tuple[str, list[str], list[str]]:
    """The catalog's text, its offering ids and its tool ids."""
    out = [
        "# Synthetic catalog for servicebook's benchmark (bench/generate.py). Not a real team.",
        "format: 1",
        'version: "2026.11"',
        "site:",
        "  title: Synthetic Bank Platform Engineering",
        "  repository: https://git.example.org/platform/catalog",
        "team:",
        "  name: Platform Engineering",
        "  mission: >-",
        "    We run the paths that every change to the bank's software travels, from commit to a",
        "    monitored service in production.",
        "  tradeoffs:",
        "    - favour: Stability",
        "      over: Flexibility",
        "      why: A failed deployment in payments costs money and trust within minutes.",
        "support:",
        "  hours:",
        "    days: mon-fri",
        '    start: "08:00"',
        '    end: "18:00"',
        "    timezone: Europe/Zurich",
        "  channels:",
        "    - kind: chat",
        '      name: "#platform-help"',
        "      url: https://chat.example.org/platform-help",
        "  severities:",
        "    - id: sev1",
        "      name: Critical",
        "      description: Production is down for clients.",
        "      response: 15m",
        "      coverage: 24x7",
        "    - id: sev2",
        "      name: High",
        "      description: A team is blocked from releasing.",
        "      response: 4h",
        "  oncall:",
        "    summary: One platform engineer is on call outside business hours, for sev1 only.",
        '    how: Page "platform-oncall" in the paging tool.',
        "categories:",
    ]
    for cid, name in CATEGORIES:
        out += [f"  - id: {cid}", f"    name: {name}"]
    tool_ids = [f"{slug(rng.choice(TOOL_BASES))}-{i:05d}" for i in range(tools)]
    domains = [rng.choice(DOMAINS) for _ in range(offerings)]
    offering_ids = [f"{slug(d)}-{slug(KINDS[i % len(KINDS)][0])}-{i:05d}" for i, d in enumerate(domains)]
    supported = [t for i, t in enumerate(tool_ids) if i % 5 < 2]  # 40 % supported
    out.append("offerings:")
    for i, oid in enumerate(offering_ids):
        domain = domains[i]
        kind, what = KINDS[i % len(KINDS)]
        lifecycle = ["ga", "ga", "ga", "beta", "deprecated"][i % 5]
        out += [
            f"  - id: {oid}",
            f"    name: {domain} {kind} {i}",
            f"    summary: {yq(f'{domain} gets {what}.')}",
            f"    owner: {rng.choice(OWNERS)} ({rng.choice(PEOPLE)})",
            f'    tier: "{1 + i % 3}"',
            f"    lifecycle: {lifecycle}",
            *(
                [f"    replaced_by: {offering_ids[i - 4]}", "    sunset: 2031-06-30"]
                if lifecycle == "deprecated"
                else []
            ),
            "    audience: [developers]",
            "    request:",
            f"      how: {yq(f'Open a ticket in the PLAT queue naming your team and the {kind} you need.')}",
            f"    description: {yq(paragraph(rng, 3))}",
        ]
        deps = sorted({offering_ids[rng.randrange(i)] for _ in range(min(i, 3))}) if i else []
        if deps:
            out.append(f"    depends_on: [{', '.join(deps)}]")
        out += [
            "    slos:",
            "      - id: availability",
            f"        name: {domain} {kind} availability",
            "        sli: Share of 1-minute slices in which synthetic probes succeed from both data centres.",
            f"        objective: {rng.choice(['99', '99.5', '99.9', '99.95'])}",
            f"        window: {rng.choice(['28d', '30d', 'calendar-month'])}",
        ]
        out.append(f"    tools: [{', '.join(sorted({rng.choice(tool_ids) for _ in range(3)}))}]")
        if page_slugs:
            out.append(f"    policies: [{', '.join(sorted({rng.choice(page_slugs) for _ in range(2)}))}]")
        out += ["    links:", "      - title: Dashboard", f"        url: https://grafana.example.org/d/{oid}"]
    out.append("tools:")
    ga_offerings = [o for i, o in enumerate(offering_ids) if i % 5 < 3]
    for i, tid in enumerate(tool_ids):
        status = ["supported", "supported", "best-effort", "deprecated", "unsupported"][i % 5]
        base = next(b for b in TOOL_BASES if slug(b) == tid.rsplit("-", 1)[0])
        year = 2020 + i % 6
        out += [
            f"  - id: {tid}",
            f"    name: {base} ({i})",
            f"    category: {CATEGORIES[i % len(CATEGORIES)][0]}",
            f"    status: {status}",
            f"    reason: {yq(paragraph(rng, 2))}",
            f"    since: {year}-{1 + i % 12:02d}-{1 + i % 28:02d}",
            f"    review_by: {year + 10}-01-01",
            f"    url: https://tools.example.org/{tid}",
        ]
        if status in ("deprecated", "unsupported"):
            alt = rng.choice(supported) if (i % 2 or not ga_offerings) else rng.choice(ga_offerings)
            out.append(f"    alternative: {alt}")
            if page_slugs and i % 3 == 0:
                out.append(f"    migration: {rng.choice(page_slugs)}")
    return "\n".join(out) + "\n", offering_ids, tool_ids


def page_markdown(
    rng: random.Random, plan: PagePlan, plans: list[PagePlan], offering_ids: list[str], tool_ids: list[str]
) -> str:
    def link() -> str:
        kind = rng.randrange(3)
        if kind == 0:
            oid = rng.choice(offering_ids)
            return f"[{oid.rsplit('-', 1)[0].replace('-', ' ')}](offering:{oid})"
        if kind == 1:
            tid = rng.choice(tool_ids)
            return f"[{tid.rsplit('-', 1)[0]}](tool:{tid})"
        other = rng.choice(plans)
        section = rng.choice(other.sections)
        return f"[{section.lower()} in {other.title}]({other.slug}.md#{anchor(section)})"

    front = [
        "---",
        f"title: {yq(plan.title)}",
        f"summary: {yq(sentence(rng))}",
        f"owner: {rng.choice(PEOPLE)}, {rng.choice(OWNERS)}",
        f"order: {rng.randrange(1, 200)}",
        f"offerings: [{', '.join(sorted({rng.choice(offering_ids) for _ in range(2)}))}]",
        f"tools: [{', '.join(sorted({rng.choice(tool_ids) for _ in range(2)}))}]",
        "---",
        "",
    ]
    body = [wrap(paragraph(rng, 4) + f" See also {link()} and {link()}."), ""]
    for n, section in enumerate(plan.sections):
        body += [f"## {section}", "", wrap(paragraph(rng, 3) + f" This applies to {link()}."), ""]
        shape = (n + len(plan.slug)) % 4
        if shape == 0:
            body += [f"- {sentence(rng)} See {link()}." for _ in range(4)] + [""]
        elif shape == 1:
            body += ["| Case | Who decides | Target |", "| --- | --- | ---: |"]
            body += [f"| {rng.choice(SUBJECTS)} | {rng.choice(PEOPLE)} | {rng.randrange(1, 48)} h |" for _ in range(4)]
            body += [""]
        elif shape == 2:
            body += [
                "```yaml",
                "include:",
                "  - component: acme/pipeline-templates/standard@v4",
                "    inputs:",
                f"      service: {plan.slug}",
                f"      approvals: {1 + n % 2}",
                "```",
                "",
            ]
        else:
            body += [f"{k}. {sentence(rng)}" for k in range(1, 4)] + [""]
        body += ["### Details", "", wrap(paragraph(rng, 2) + f" Compare {link()}."), ""]
    return "\n".join(front + body)


def plan_pages(rng: random.Random, pages: int) -> list[PagePlan]:
    plans = []
    for i in range(pages):
        topic = f"{rng.choice(DOMAINS)} {rng.choice(KINDS)[0]}"
        sections = tuple(rng.sample(SECTIONS, 5))
        plans.append(PagePlan(f"policy-{i:05d}-{slug(topic)}", f"{topic.capitalize()} policy {i}", sections))
    return plans


def generate(out: Path, *, offerings: int, tools: int, pages: int, seed: int = 1) -> None:
    """Write a site into `out` (replacing it): catalog.yaml and content/*.md."""
    if out.exists():
        shutil.rmtree(out)
    (out / "content").mkdir(parents=True)
    rng = random.Random(seed)
    plans = plan_pages(rng, pages)
    catalog, offering_ids, tool_ids = catalog_yaml(rng, offerings, tools, [p.slug for p in plans])
    (out / "catalog.yaml").write_text(catalog)
    for plan in plans:
        (out / "content" / f"{plan.slug}.md").write_text(page_markdown(rng, plan, plans, offering_ids, tool_ids))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--offerings", type=int, default=2000)
    parser.add_argument("--tools", type=int, default=5000)
    parser.add_argument("--pages", type=int, default=2000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--out", type=Path, default=Path(__file__).parent / "out" / "large")
    args = parser.parse_args()
    generate(args.out, offerings=args.offerings, tools=args.tools, pages=args.pages, seed=args.seed)
    print(f"wrote {args.out}: {args.offerings} offerings, {args.tools} tools, {args.pages} pages")


if __name__ == "__main__":
    main()
