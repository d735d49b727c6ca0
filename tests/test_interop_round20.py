"""interop20: what round 19 left (a Service no SLO names, `op` on a ratio's objective, OpenSLO's draft
`openslo/v2alpha1`, AOE's ring ids as its build compares them, Backstage names kept), and files users
really keep; each pushed through import → build → check --against → export → re-import."""

from __future__ import annotations

from pathlib import Path

import yaml

from tests.test_interop_round15 import _pasted, _place
from tests.test_interop_round16 import _monitoring
from tests.test_interop_round19 import ORDINARY

INTEROP = Path(__file__).parent / "interop" / "fixtures"


def _file(tmp_path: Path, text: str, name: str = "slos.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


# --- OpenSLO: a Service that no SLO names ------------------------------------------------------------

PAYMENTS = "---\napiVersion: openslo/v1\nkind: Service\nmetadata:\n  name: payments\n  labels:\n    team: team-b\n"


def test_a_service_no_slo_names_gives_its_owner_only_to_the_offering_of_its_name_and_says_so(run, tmp_path) -> None:
    # `--offering payments` put the skipped Service's team-b into the fragment as the owner, while the
    # report said the Service was skipped and nothing of its owner
    text = ORDINARY + PAYMENTS
    file = _file(tmp_path, text)
    service = _place(text, "kind: Service\nmetadata:\n  name: ")
    plain = run("import", "openslo", file)
    assert plain.exit_code == 0, plain.output
    assert "owner" not in yaml.safe_load(plain.stdout)["offerings"][0]
    assert f"{file}:{service}: warning: skipped Service 'payments'" in (
        plain.stderr
    )
    assert "team-b" not in plain.stderr
    taken = run("import", "openslo", "--offering", "payments", file)
    assert taken.exit_code == 0, taken.output
    assert yaml.safe_load(taken.stdout)["offerings"][0]["owner"] == "team-b"
    assert (
        f"{file}:{service}: warning: took Service 'payments' for the "
        "offering payments: no SLO in the files read names it as its service, and the fragment's offering has its name"
    ) in taken.stderr
    assert f"{file}:{_place(text, 'team: ')}: warning: guessed the offering's owner team-b from the label team" in (
        taken.stderr
    )
    assert "skipped Service" not in taken.stderr
    # the SLO's own annotation names the offering as well as --offering does
    annotated = ORDINARY.replace(
        "  name: availability\n", "  name: availability\n  annotations:\n    servicebook.dev/slo: payments/availability\n"
    )
    named = run("import", "openslo", _file(tmp_path, annotated + PAYMENTS, "annotated.yaml"))
    assert yaml.safe_load(named.stdout)["offerings"][0]["owner"] == "team-b"
    assert "took Service 'payments'" in named.stderr
