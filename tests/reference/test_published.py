"""CMS's published payment amounts as the oracle: the sample of CMS's own 2025 carrier
file (shared/data/cms/published, MAC 04412 locality 09, the January release) read exactly
as CMS writes it, and the amounts payeropt computes from the October RVU file equal to it
to the cent, but for the two codes CMS revised between the releases, which ``verify``
names with the PE RVU the published amount implies."""

from __future__ import annotations

from pathlib import Path

import pytest

from payeropt_lib.errors import InputFileError
from payeropt_lib.reference import medicare, published
from tests.conftest import require_shared

CF_2025 = 323465
SAMPLE = "cms/published/PFTX25A_04412_09_first100.txt"


@pytest.fixture(scope="module")
def release() -> dict:
    shared = require_shared()
    return {
        "published": published.read_published(shared / SAMPLE),
        "pprrvu": medicare.read_pprrvu(shared / "cms/PPRRVU2025_Oct.txt"),
        "gpci": medicare.read_gpci(shared / "cms/GPCI2025.txt"),
    }


def test_the_published_file_is_read_exactly(release) -> None:
    frame = release["published"]
    assert len(frame) == 100
    first = frame.iloc[0]
    assert (first["year"], first["locality_key"], first["procedure_code"]) == (
        "2025", "04412-09", "0446T",
    )  # fmt: skip
    # "0002983.39" and "0000054.74", exactly, in cents.
    assert (first["non_facility_cents"], first["facility_cents"]) == (298339, 5474)
    assert first["modifier"] == "" and first["status_code"] == "A"
    assert {"26", "TC"} <= set(frame["modifier"])


def test_computed_amounts_equal_the_published_ones_to_the_cent(release) -> None:
    differs = published.verify(
        release["published"], release["pprrvu"], release["gpci"], CF_2025, "RVU25D"
    )
    assert list(differs.columns) == published.DIFFERENCE_COLUMNS
    assert differs["procedure_code"].tolist() == ["0446T", "0448T"]
    # Facility equal, non-facility not: CMS revised the non-facility PE RVU of both.
    assert differs["published_facility"].tolist() == differs["computed_facility"].tolist()
    assert differs["published_non_facility"].tolist() == ["2983.39", "2827.13"]
    assert (
        differs["reason"]
        .str.startswith("non-facility PE RVU revised between the published release and RVU25D")
        .all()
    )
    # Every other line, 26 and TC rows included, is equal in both settings.
    equal = release["published"][~release["published"]["procedure_code"].isin(["0446T", "0448T"])]
    assert len(equal) == 98 and {"26", "TC"} <= set(equal["modifier"])


def test_a_wrong_conversion_factor_differs_everywhere(release) -> None:
    """The oracle can fail: a conversion factor a cent-fraction off moves every amount."""
    differs = published.verify(
        release["published"], release["pprrvu"], release["gpci"], CF_2025 + 100
    )
    priced = release["published"][release["published"]["non_facility_cents"] > 0]
    assert len(differs) >= len(priced) - 2
    assert differs["reason"].str.contains("both settings").any()


@pytest.mark.parametrize(
    ("change", "row", "field"),
    [
        (lambda t: t.replace('"0002983.39"', '"2983.39"', 1), 1, "non_facility"),
        (lambda t: t.replace('"0446T"', "0446T", 1), 1, "record"),
        (lambda t: t.replace('"04412"', '"4412"', 1), 1, "carrier"),
        (lambda t: t.replace("\r\r\n", "\n", 1), 1, "line end"),
        (lambda t: t.rstrip("\r\n"), 100, "line end"),
        (lambda t: t.replace('"A","2"', '"a","2"', 1), 1, "status_code"),
        (lambda t: t.replace('"2025"', '"2024"', 1), 2, "year"),  # one year per file
        (lambda t: t + t.split("\n", 1)[0] + "\n", 101, "procedure_code"),  # a line twice
        (lambda t: t + '"TRL- CPT ONLY"\r\r\n' + t.split("\n", 1)[0] + "\n", 102, "record"),
        (lambda t: t.replace('"0446T"', '"0446\u00e9"', 1), None, "file"),  # not ASCII
        (lambda t: "", None, "file"),
    ],
)
def test_a_file_not_in_cms_layout_is_refused_naming_line_and_field(
    tmp_path: Path, change, row: int, field: str
) -> None:
    text = (require_shared() / SAMPLE).read_bytes().decode("ascii")
    bad = tmp_path / "PFTX25A.TXT"
    bad.write_bytes(change(text).encode("utf-8"))
    with pytest.raises(InputFileError) as caught:
        published.read_published(bad)
    assert (caught.value.file, caught.value.row, caught.value.column) == (bad.name, row, field)


def test_a_code_the_computed_release_does_not_price_is_named(release) -> None:
    pprrvu = release["pprrvu"][release["pprrvu"]["procedure_code"].ne("0509T")]
    differs = published.verify(release["published"], pprrvu, release["gpci"], CF_2025)
    gone = differs[differs["procedure_code"].eq("0509T")]
    assert len(gone) > 0 and gone["computed_non_facility"].eq("").all()
    assert gone["reason"].str.startswith("not priced by").all()


def test_cms_trailer_lines_close_a_file(tmp_path: Path, release) -> None:
    """A whole CMS file ends with "TRL-" lines (the CPT copyright notice): read past."""
    text = (require_shared() / SAMPLE).read_bytes().decode("ascii")
    whole = tmp_path / "PFTX25A.TXT"
    notice = '"TRL- CPT CODES AND DESCRIPTIONS ONLY ARE COPYRIGHT 2025 AMA"\r\r\n'
    whole.write_bytes((text + notice * 4).encode("ascii"))
    assert published.read_published(whole).equals(release["published"])


def test_a_locality_the_release_does_not_hold_is_named(release) -> None:
    gpci = release["gpci"][release["gpci"]["locality"].ne("04412-09")]
    differs = published.verify(release["published"], release["pprrvu"], gpci, CF_2025, "RVU25D")
    assert len(differs) == 100
    assert differs["reason"].eq("locality not in RVU25D's GPCI file").all()


def test_a_difference_within_one_release_is_not_called_a_revision(release) -> None:
    differs = published.verify(
        release["published"], release["pprrvu"], release["gpci"], CF_2025, "RVU25A",
        same_release=True,
    )  # fmt: skip
    assert differs["reason"].str.contains("differs although the published file is from").all()
