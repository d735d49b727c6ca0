"""A synthetic catalog far larger than any real team's, to measure the search index against."""

from __future__ import annotations

from pathlib import Path

WORDS = [
    "build",
    "deploy",
    "test",
    "scan",
    "cache",
    "mirror",
    "backup",
    "restore",
    "secret",
    "vault",
    "metric",
    "trace",
    "log",
    "alert",
    "queue",
    "stream",
    "gateway",
    "proxy",
    "runner",
    "registry",
    "image",
    "cluster",
    "node",
    "volume",
    "snapshot",
    "certificate",
    "domain",
]


def write_large_catalog(root: Path, offerings: int = 1000, tools: int = 3000, pages: int = 100) -> dict[str, int]:
    """Write catalog.yaml and content/ under `root`; return what it holds."""
    categories = 12
    lines = [
        "format: 1",
        'version: "9.9"',
        "site:",
        "  title: Large platform",
        "team:",
        "  name: Large Platform Team",
        "  mission: Everything, at scale.",
        "support:",
        "  hours: {days: mon-fri, start: '08:00', end: '18:00', timezone: Europe/Zurich}",
        "  channels:",
        "    - {kind: chat, name: '#help'}",
        "  severities:",
        "    - {id: sev1, name: Critical, description: Down., response: 15m, coverage: 24x7}",
        "categories:",
    ]
    lines += [f"  - {{id: cat-{c}, name: Category {c}}}" for c in range(categories)]
    lines.append("offerings:")
    for i in range(offerings):
        w = WORDS[i % len(WORDS)]
        lines += [
            f"  - id: offering-{i}",
            f"    name: {w.title()} service {i}",
            f"    summary: Managed {w} for product teams, number {i}, with {WORDS[(i * 7) % len(WORDS)]} included.",
            "    owner: Team Large",
            f"    tier: '{1 + i % 3}'",
            f"    lifecycle: {('ga', 'beta', 'deprecated')[i % 3]}",
            "    audience: [developers]",
            "    request: {how: Open a ticket.}",
            "    slos:",
        ]
        lines += [
            f"      - {{id: slo-{s}, name: {w.title()} objective {s}, sli: Share of good {w} events, objective: 99.{s}, window: 30d}}"
            for s in range(1, 4)
        ]
    lines.append("tools:")
    for i in range(tools):
        w = WORDS[(i * 3) % len(WORDS)]
        unsupported = i % 5 == 4
        lines += [
            f"  - id: tool-{i}",
            f"    name: {w.title()}tool {i}",
            f"    category: cat-{i % categories}",
            f"    status: {'unsupported' if unsupported else 'supported'}",
            f"    reason: Decided after review {i} of {w} tooling across the bank.",
            "    since: 2026-01-01",
        ]
        if unsupported:
            lines.append(f"    alternative: tool-{i - 1}")
    (root / "catalog.yaml").write_text("\n".join(lines) + "\n")
    (root / "content").mkdir(exist_ok=True)
    for p in range(pages):
        body = "\n\n".join(
            f"## Section {s} about {WORDS[(p + s) % len(WORDS)]}\n\n" + "Words here. " * 40 for s in range(6)
        )
        (root / "content" / f"policy-{p}.md").write_text(
            f"---\ntitle: Policy {p}\nsummary: Rules number {p}.\n---\n\n{body}\n"
        )
    return {"offerings": offerings, "slos": offerings * 3, "tools": tools, "pages": pages}
