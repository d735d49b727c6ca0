"""interop25: what round 24 left (label matchers compared in order, a Backstage Group in another namespace
written again, names made of accented team names), and real files of the projects read."""

from __future__ import annotations

from servicebook.catalog import model
from servicebook.interop.same_query import difference, normalised


def test_a_selector_s_label_matchers_are_the_same_query_in_any_order() -> None:
    # `check --against` said a Pyrra or OpenSLO file writing {code=~"5..",job="api"} measured another query than
    # the catalog's {job="api",code=~"5.."}: PromQL ands a selector's matchers, their order is no difference
    promised = model.Measurement(
        errors='http_requests_total{job="api", code=~"5.."}', total='http_requests_total{job="api"}'
    )
    measured = model.Measurement(
        errors='sum(rate(http_requests_total{code=~"5..",job="api",}[{{ .window }}]))',
        total='http_requests_total{job="api"}',
    )
    assert difference(promised, measured, sloth=False) is None
    assert normalised('x{b="2",a="1"}') == normalised('x{ a = "1", b = "2" }') == 'x{a="1",b="2"}'
    # another value, or another operator, is still another query; a string's braces are its own
    assert difference(
        promised, model.Measurement(errors='x{code=~"4..",job="api"}', total='x{job="api"}'), sloth=False
    )
    assert normalised('x{a!="1",b="2"}') != normalised('x{a="1",b="2"}')
    assert normalised('x{a="{c=\\"2\\",b=\\"1\\"}"}') == 'x{a="{c=\\"2\\",b=\\"1\\"}"}'
