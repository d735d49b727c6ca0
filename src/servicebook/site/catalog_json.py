"""catalog.json: the published, machine-readable catalog (documented in the README).

Stable field names, derived numbers included (error budgets in seconds, effective support), and
an OpenSLO-style view of each SLO so other tools need not re-implement our arithmetic.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import enum
from decimal import Decimal
from typing import Any

from servicebook import routes
from servicebook.catalog import model
from servicebook.catalog.slo import effective_support, error_budget
from servicebook.interop import openslo
from servicebook.measure.snapshot import figures
from servicebook.site.measured import measured_views

DOCUMENT_VERSION = 1


def plain(value: Any) -> Any:
    """Model values → JSON values: dataclasses to objects (YAML key names, a part not given left
    out, but for a WholeSupport's: null or []), enums to their values."""
    cls = value.__class__
    if cls in _AS_THEY_ARE:  # most values: checked first, as this runs for every value of the catalog
        return value
    if cls is tuple:
        return [plain(v) for v in value]
    keys = _KEYS.get(cls)
    if keys is None and hasattr(cls, "__dataclass_fields__"):
        keys = _KEYS[cls] = tuple((f.name, f.metadata.get("key", f.name)) for f in dataclasses.fields(value))
    if keys is not None:
        if cls is model.WholeSupport:  # a member team's: no part comes from `support`, none is left out
            return {key: plain(getattr(value, name)) for name, key in keys}
        out = {}
        for name, key in keys:
            item = getattr(value, name)
            if item is None or item == ():
                continue
            out[key] = plain(item)
        return out
    if isinstance(value, tuple):
        return [plain(v) for v in value]
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


_AS_THEY_ARE = frozenset({str, int, float, bool, type(None)})
_KEYS: dict[type, tuple[tuple[str, str], ...]] = {}  # (attribute, key in the document) of a model class


def _slo(catalog: model.Catalog, names: openslo.Names, offering: model.Offering, slo: model.SLO) -> dict[str, Any]:
    budget = error_budget(slo)
    out = {**plain(slo), "error_budget_seconds": budget.seconds, "error_budget": budget.text}
    # The same documents `servicebook export openslo` writes (valid OpenSLO v1); a time-slice SLO
    # of a release from before the catalog said its slices has none.
    if openslo.exportable(slo):
        sli = openslo.sli_document(names, offering, slo)
        if sli is not None:
            out["openslo_sli"] = sli
        out["openslo"] = openslo.slo_document(catalog, names, offering, slo)
    return out


def catalog_document(site: model.SiteContent) -> dict[str, Any]:
    return {
        **document_head(site),
        **catalog_sections(site.catalog),
        "measurements": document_measurements(site),
        "pages": document_pages(site),
    }


def document_measurements(site: model.SiteContent) -> list[dict[str, Any]]:
    """What the snapshots under measurements/ say of each SLO of the catalog: the latest result
    (figures, or why there are none) and the history of its figures, oldest first."""
    views = measured_views(site.snapshots, site.build.date, site.catalog.site.measurements_stale_after)
    out = []
    for o in site.catalog.offerings:
        for s in o.slos:
            m = views.get((o.id, s.id))
            if m is None:
                continue
            r = m.result
            latest: dict[str, Any] = {
                "snapshot": m.snapshot,
                "start": _utc(r.start),
                "end": _utc(r.end),
                "objective": float(r.objective),
                "window": r.window,
                # a calendar window's zone, where its period began (None: a rolling window, or a
                # snapshot from before measure recorded it)
                "timezone": r.timezone,
                "stale": m.stale is not None,
                **figures(r),
                # figures from too little of the window to judge the objective (measure/budget.py)
                **({"too_little_data": m.too_little} if m.too_little is not None else {}),
            }
            history = [
                {"end": _utc(p.end), "attainment": p.attainment, "budget_remaining": p.budget_remaining}
                for p in m.history
            ]
            out.append({"offering": o.id, "slo": s.id, "latest": latest, "history": history})
    return out


def _utc(when: dt.datetime) -> str:
    return when.strftime("%Y-%m-%dT%H:%M:%SZ")


def document_head(site: model.SiteContent) -> dict[str, Any]:
    """The document's first keys: its version, the catalog's version and format, the build (and an
    organisation site's members)."""
    build = site.build
    head: dict[str, Any] = {
        "servicebook": DOCUMENT_VERSION,
        "catalog_version": site.catalog.version,
        "format": site.catalog.format,
        "build": {
            "commit": build.commit,
            "dirty": build.dirty,
            "date": build.date.isoformat() if build.date else None,
            "generator": build.generator,
        },
    }
    if site.federation is not None:  # an organisation site: each member and the commit it was read at
        head["members"] = [
            {
                "id": t.id,
                "name": t.name,
                "repository": t.repository,
                "ref": t.ref,
                "commit": t.commit,
                "site": t.site,
                "url": routes.team(t.id),
            }
            for t in site.federation.teams
        ]
    return head


def document_pages(site: model.SiteContent) -> list[dict[str, Any]]:
    """The policy pages, the document's last key."""
    return [document_page(p) for p in site.pages]


def document_page(p: model.Page) -> dict[str, Any]:
    """One policy page, as the document lists it; its old names (`renamed_from`) where it has
    any, as an offering's and a tool's old ids are listed where they have any."""
    page: dict[str, Any] = {"slug": p.slug, "title": p.meta.title, "summary": p.meta.summary, "source": p.source}
    if p.meta.renamed_from:
        page["renamed_from"] = list(p.meta.renamed_from)
    return {**page, "url": routes.policy(p.slug), "content_sha256": p.html_sha256}


def catalog_sections(catalog: model.Catalog) -> dict[str, Any]:
    """The parts of the document that depend on the catalog alone, in document order."""
    names = openslo.object_names(catalog)
    return {
        **catalog_settings(catalog),
        "offerings": [document_offering(catalog, names, o) for o in catalog.offerings],
        "tools": [document_tool(t) for t in catalog.tools],
    }


def catalog_settings(catalog: model.Catalog) -> dict[str, Any]:
    """The document's sections before the offerings: the catalog's top-level settings."""
    return {
        "site": plain(catalog.site),
        "team": plain(catalog.team),
        "support": plain(catalog.support),
        "categories": plain(catalog.categories),
    }


def document_offering(catalog: model.Catalog, names: openslo.Names, o: model.Offering) -> dict[str, Any]:
    """One offering, as the document lists it: made of the offering, the team's support (its
    effective support, its calendar windows' time zone) and `names` of its SLOs, nothing more
    of the catalog (outputs.CatalogLines keeps it by those)."""
    return {
        **plain(o),
        "url": routes.offering(o.id),
        "slos": [_slo(catalog, names, o, s) for s in o.slos],
        "effective_support": plain(effective_support(catalog.support, o.support)),
    }


def document_tool(t: model.Tool) -> dict[str, Any]:
    """One tool decision, as the document lists it: made of the tool alone."""
    return {**plain(t), "url": routes.tool(t.id)}
