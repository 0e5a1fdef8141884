"""Every real 835 in shared/data/era either posts or is refused with a named segment, and
the balancing verdict of posting agrees with shared/data/SOURCES.md."""

from __future__ import annotations

import re

import pytest

from payeropt_lib.errors import X12Error
from payeropt_lib.remittances import posting, worklists
from tests.conftest import OWNER, SHARED, require_shared

# Files SOURCES.md calls well-formed that posting still refuses, and why.
REFUSED_ALTHOUGH_WELL_FORMED = {
    # Its 835 sets share the file with 278 and 837 sets: not a remittance file.
    "pyx12__mult_isa.txt": "ST",
    # BPR16 (payment date) is 20002316: there is no 23rd month. SOURCES' checker did not
    # read element content.
    "lfh-x12__managed-care.835": "BPR",
    # GS08 says "5010", no implementation guide; the file also has a CLP with no amounts.
    "oopfactory__Example1.txt": "GS",
}


def verdicts() -> dict[str, tuple[bool, bool]]:
    """file name → (well-formed, balances) from the SOURCES.md table."""
    if not (SHARED / "SOURCES.md").exists():
        return {}
    out = {}
    for line in (SHARED / "SOURCES.md").read_text().splitlines():
        match = re.match(r"\| `era/([^`/]+)` \|", line)
        if match:
            cells = [c.strip() for c in line.strip("|").split("|")]
            out[match.group(1)] = (cells[-2].startswith("yes"), cells[-1].startswith("yes"))
    return out


VERDICTS = verdicts()


def test_sources_table_was_read():
    require_shared()
    assert len(VERDICTS) >= 30


@pytest.mark.parametrize("name", sorted(VERDICTS), ids=sorted(VERDICTS))
@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_real_file_posts_or_is_refused_with_a_segment(engine, loaded, name):
    require_shared()
    well_formed, balances = VERDICTS[name]
    path = SHARED / "era" / name
    refuse = not well_formed or name in REFUSED_ALTHOUGH_WELL_FORMED
    if refuse:
        with pytest.raises(X12Error) as caught:
            posting.post_file(engine, loaded, path, OWNER)
        assert caught.value.segment_number >= 1 and caught.value.segment_id
        assert str(caught.value).startswith(f"{name}: segment ")
        if name in REFUSED_ALTHOUGH_WELL_FORMED:
            assert caught.value.segment_id == REFUSED_ALTHOUGH_WELL_FORMED[name]
        return
    result = posting.post_file(engine, loaded, path, OWNER)
    assert not result.already_posted
    unbalanced = worklists.problems(engine, loaded, ("unbalanced",))
    assert (len(unbalanced) == 0) == balances, unbalanced.to_string()
    # None of these claims are the practice's: kept and reported, never dropped.
    assert result.claims > 0 and result.unmatched_claims == result.claims
    again = posting.post_file(engine, loaded, path, OWNER)
    assert again.already_posted
