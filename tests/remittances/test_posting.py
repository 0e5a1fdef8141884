"""Posting 835s end to end: a named scenario for each rule of interface §3.

The 835s are written here segment by segment (not with the library's writer), so these
tests also check the parser against hand-made files. The practice is tests/data/good:
MCR pays 100 % of Medicare 01112-05 (lesser of charges), ACME HMO a fixed fee schedule
(99213 $95.00 until 2025-07-01, then $98.00), ACME PPO 125 % of Medicare (not lesser-of),
MCD a fixed schedule.
"""

from __future__ import annotations

import pandas as pd
import pytest
from sqlalchemy import select

from payeropt_lib import errors, store
from payeropt_lib.errors import X12Error
from payeropt_lib.inputs import onboarding
from payeropt_lib.pricing import expected
from payeropt_lib.remittances import posting, remitted, tasks, worklists
from payeropt_lib.store import audit, tables
from tests.conftest import GOOD, OWNER, org_snapshot
from tests.remittances.x835 import (
    ACME,
    FEB_99213_AS_CONTRACTED,
    FEB_99213_NO_LCN,
    FEB_99213_UNDERPAID,
    JUL_73562,
    JUL_99213_EARLIER_RATE,
    MCD,
    MCR,
    PPO_20610_ONE_UNIT_PAID,
    PPO_73562_TWO_UNITS,
    PPO_99214_25,
    SEP_99213,
    clp,
    era835,
    reversal_of,
    svc,
)


@pytest.fixture
def post(engine, loaded, tmp_path):
    """Post 835 bytes for the loaded practice; returns the PostResult."""
    counter = iter(range(1000))

    def _post(content: bytes, name: str | None = None):
        path = tmp_path / (name or f"remit{next(counter)}.835")
        path.write_bytes(content)
        return posting.post_file(engine, loaded, path, OWNER)

    return _post


def findings_of(engine, org_id) -> pd.DataFrame:
    return store.read_frame(engine, tables.findings, org_id)


def test_underpaid_at_an_earlier_periods_rate_opens_a_task(engine, loaded, post):
    content = era835(ACME, [clp("CLM1009", [JUL_99213_EARLIER_RATE, JUL_73562])])
    result = post(content)
    assert (result.underpaid, result.tasks_opened) == (1, 1)
    found = findings_of(engine, loaded)
    row = found.iloc[0]
    assert (row.claim_id, row.line_number, row.kind, row.cause) == (
        "CLM1009",
        1,
        "underpaid",
        "earlier_rate",
    )
    assert (row.expected_cents, row.allowed_cents, row.variance_cents) == (9800, 9500, -300)
    assert "2025-07-01" in row.evidence
    listed = worklists.findings(engine, loaded, "underpaid")[worklists.UNDERPAYMENT_COLUMNS]
    assert listed.iloc[0].tolist()[:10] == [
        "CLM1009",
        1,
        "ACME",
        "99213",
        "",
        "2025-07-09",
        1,
        "98.00",
        "95.00",
        "-3.00",
    ]
    task = tasks.list_tasks(engine, loaded).iloc[0]
    assert (task.claim_id, task.payer_id, task.amount_cents, task.state) == (
        "CLM1009",
        "ACME",
        300,
        "open",
    )
    assert task.deadline - task.remit_date == pd.Timedelta(days=90)


def test_sequestration_and_patient_share_are_part_of_allowed(engine, loaded, post):
    """MCR: allowed $109.15 = paid $85.57 + PR-2 $21.83 + CO-253 $1.75; no AMT*B6."""
    day = "20251021"
    visit_cas = [("PR", "2", 2183), ("CO", "253", 175), ("CO", "45", 4085)]
    knee_cas = [("PR", "2", 1548), ("CO", "253", 124), ("CO", "45", 22259)]
    visit = svc("99213", 15000, 8557, mods="25", dos=day, lcn="LCN101201", cas=visit_cas)
    knee = svc("20610", 30000, 6069, mods="RT", dos=day, lcn="LCN101202", cas=knee_cas)
    result = post(era835(MCR, [clp("CLM1012", [visit, knee])]))
    assert (result.underpaid, result.overpaid, result.unbalanced) == (0, 0, 0)
    lines = store.read_frame(engine, tables.remit_lines, loaded)
    assert lines["allowed_cents"].tolist() == [10915, 7741]
    assert lines["sequestration_cents"].tolist() == [175, 124]
    assert findings_of(engine, loaded).empty


def test_mppr_applied_to_the_primary_procedure(engine, loaded, post):
    """20610 is the day's only indicator-2 procedure: it should be paid in full."""
    visit = svc("99214", 25000, 15235, mods="25", cas=[("CO", "45", 9765)], lcn="LCN100101")
    knee_cas = [("CO", "59", 3870), ("CO", "45", 22259)]
    knee = svc("20610", 30000, 3871, mods="RT:59", cas=knee_cas, lcn="LCN100102")
    post(era835(MCR, [clp("CLM1001", [visit, knee])]))
    found = findings_of(engine, loaded)
    assert found[["line_number", "cause", "expected_cents", "allowed_cents"]].values.tolist() == [
        [2, "mppr_on_primary", 7741, 3871]
    ]


def test_units_ignored_and_percent_of_medicare(engine, loaded, post):
    """ACME PPO 125 %: 20610 × 2 = 2 × $96.76; 73562 × 2 paid at 112.5 % of Medicare."""
    post(
        era835(
            ACME, [clp("CLM1003", [PPO_99214_25, PPO_20610_ONE_UNIT_PAID, PPO_73562_TWO_UNITS])]
        )
    )
    found = findings_of(engine, loaded).set_index("procedure_code")
    assert found.loc["20610", "cause"] == "units_ignored"
    assert found.loc["20610", "expected_cents"] == 19352
    assert found.loc["73562", "cause"] == "percent_of_medicare"
    assert "112.5% of Medicare" in found.loc["73562", "evidence"]
    assert "99214" not in found.index  # $190.44 = 125 % of $152.35, half up


def test_the_underpayments_csv_names_a_components_modifier(engine, loaded, post, tmp_path):
    """Issue 11.6: 73562-26 (MCR 100 % of Medicare $10.15) paid $9.00 reads as the
    professional component in the reason and in the CSV's ``modifiers`` column, after
    ``procedure_code``."""
    from tests.test_cli import OWNER_ENV, payeropt

    pc = svc("73562", 6000, 900, mods="26", dos="20250408", cas=[("CO", "45", 5100)])
    post(era835(MCR, [clp("CLM1006", [{**pc, "segs": [*pc["segs"], "REF*6R*LCN100601"]}])]))
    out = tmp_path / "under.csv"
    db = str(engine.url.render_as_string(hide_password=False))
    done = payeropt("underpayments", loaded, "--csv", str(out), db=db, env=OWNER_ENV)
    assert done.code == 0, done.err
    csv = pd.read_csv(out, dtype=str, keep_default_na=False)
    assert csv.columns.tolist() == worklists.UNDERPAYMENT_COLUMNS
    row = csv.iloc[0]
    assert (row.procedure_code, row.modifiers, row.expected_allowed) == ("73562", "26", "10.15")
    assert row.reason == (
        "below_contract: allowed $9.00 for 73562-26 is $1.15 below expected $10.15"
    )


def test_denied_and_bundled_lines_are_denials_not_underpayments(engine, loaded, post):
    day = "20250512"
    visit = svc(
        "99214", 25000, 13500, mods="25", dos=day, cas=[("CO", "45", 11500)], lcn="LCN100701"
    )
    bundled = svc(
        "20610", 30000, 0, mods="LT", dos=day, cas=[("CO", "97", 30000)], lcn="LCN100702",
        remarks=["N390"],
    )  # fmt: skip
    result = post(era835(ACME, [clp("CLM1007", [visit, bundled])]))
    refused = svc("99213", 15000, 0, dos="20250814", cas=[("CO", "16", 15000)], remarks=["MA130"])
    result2 = post(era835(MCD, [clp("CLM1010", [refused])], trace="MCD1", isa_control="000000201"))
    assert (result.bundled, result.denied, result.underpaid) == (1, 0, 0)
    assert (result2.denied, result2.underpaid) == (1, 0)
    denials = worklists.denial_list(engine, loaded).set_index("claim_id")
    assert denials.loc["CLM1007", "class"] == "bundled"
    assert denials.loc["CLM1007", "carc"] == "97"
    assert denials.loc["CLM1010", ["class", "carc", "rarcs"]].tolist() == ["denied", "16", "MA130"]
    assert findings_of(engine, loaded).empty


def test_paid_above_charge_with_negative_co45_is_an_overpayment(engine, loaded, post):
    result = post(
        era835(
            MCD,
            [
                clp(
                    "CLM1004",
                    [
                        svc("99213", 15000, 16000, dos="20250305", cas=[("CO", "45", -1000)]),
                        svc("73562", 12000, 3000, dos="20250305", cas=[("CO", "45", 9000)]),
                    ],
                )
            ],
            trace="MCD2",
            isa_control="000000202",
        )
    )
    assert (result.overpaid, result.underpaid, result.tasks_opened) == (1, 0, 0)
    over = worklists.findings(engine, loaded, "overpaid")
    assert over[
        ["claim_id", "line_number", "expected_allowed", "actual_allowed", "variance"]
    ].values.tolist() == [["CLM1004", 1, "62.50", "160.00", "97.50"]]
    assert over["reason"].iloc[0].startswith("above_charge")


def test_reversal_and_correction_recover_the_task(engine, loaded, post):
    first = post(
        era835(
            ACME, [clp("CLM1002", [FEB_99213_UNDERPAID])], trace="EFT10", isa_control="000000301"
        )
    )
    assert (first.underpaid, first.tasks_opened) == (1, 1)
    second = post(
        era835(
            ACME,
            [
                clp(
                    "CLM1002",
                    [
                        svc(
                            "99213",
                            -15000,
                            -9000,
                            dos="20250203",
                            cas=[("CO", "45", -6000)],
                            lcn="LCN100201",
                        )
                    ],
                    status="22",
                ),
                clp("CLM1002", [FEB_99213_AS_CONTRACTED]),
            ],
            trace="EFT11",
            isa_control="000000302",
        )
    )
    assert (second.reversals, second.underpaid, second.tasks_recovered) == (1, 0, 1)
    assert worklists.findings(engine, loaded, "underpaid").empty  # the reversed one is void
    done = tasks.list_tasks(engine, loaded, tasks.STATES).iloc[0]
    assert (done.state, done.recovered_cents) == ("recovered", 500)
    claims = store.read_frame(engine, tables.remit_claims, loaded).sort_values("remit_id")
    assert claims["reversed_by_remit_id"].notna().tolist() == [True, False, False]


def test_several_reversals_in_one_835_each_cancel_their_claim(engine, loaded, post):
    """Issue 11.1: every reversal of an 835 cancels its claim's earlier posting, and the
    corrected claims close every task; none is left for money already paid."""
    first = post(
        era835(
            ACME,
            [clp("CLM1002", [FEB_99213_UNDERPAID]), clp("CLM1009", [JUL_99213_EARLIER_RATE])],
            trace="EFT12",
            isa_control="000000303",
        )
    )
    assert (first.underpaid, first.tasks_opened) == (2, 2)
    corrected_jul = svc(
        "99213", 15000, 9800, dos="20250709", cas=[("CO", "45", 5200)], lcn="LCN100901"
    )
    second = post(
        era835(
            ACME,
            [
                clp("CLM1002", [reversal_of(FEB_99213_UNDERPAID)], status="22"),
                clp("CLM1009", [reversal_of(JUL_99213_EARLIER_RATE)], status="22"),
                clp("CLM1002", [FEB_99213_AS_CONTRACTED]),
                clp("CLM1009", [corrected_jul]),
            ],
            trace="EFT13",
            isa_control="000000304",
        )
    )
    assert (second.reversals, second.underpaid, second.tasks_recovered) == (2, 0, 2)
    assert worklists.findings(engine, loaded, "underpaid").empty
    assert tasks.list_tasks(engine, loaded, tasks.OPEN_STATES).empty
    claims = store.read_frame(engine, tables.remit_claims, loaded)
    first_claims = claims[claims["remit_id"].eq(claims["remit_id"].min())]
    assert first_claims["reversed_by_remit_id"].notna().all() and len(first_claims) == 2


def test_the_same_payment_twice_changes_nothing(engine, loaded, post):
    content = era835(ACME, [clp("CLM1011", [SEP_99213])], trace="EFT20", isa_control="000000401")
    post(content)
    before = org_snapshot(engine, loaded)
    again = post(content)
    assert again.already_posted
    resent = post(content.replace(b"*250301*1200*", b"*250302*0800*"))  # re-sent, same ISA13/TRN
    assert resent.already_posted and resent.duplicates == 1
    assert org_snapshot(engine, loaded) == before


def test_same_payment_key_with_a_different_payment_is_refused_naming_the_earlier_file(
    engine, loaded, post
):
    first = era835(ACME, [clp("CLM1011", [SEP_99213])], trace="EFT21", isa_control="000000402")
    post(first, "acme-march.835")
    before = org_snapshot(engine, loaded)
    # Same sender, ISA13, TRN02 and payer, another payment: it used to be skipped as
    # "already posted", with no file record and no audit entry.
    other = era835(
        ACME,
        [clp("CLM1009", [JUL_99213_EARLIER_RATE, JUL_73562])],
        trace="EFT21",
        isa_control="000000402",
    )
    with pytest.raises(errors.PaymentKeyConflict) as caught:
        post(other, "acme-april.835")
    message = str(caught.value)
    assert message.startswith(
        "acme-april.835: segment 3 (ST): payment key PAYERSND|000000402|EFT21|"
    )
    assert " was posted from acme-march.835 on " in message
    assert message.endswith(
        "with BPR02 136.44; this file says 140.00: one sender, ISA13, TRN02 and payer must be "
        "one payment; nothing was posted"
    )
    # The same total, another claim: named by the first CLP element that differs.
    renamed = first.replace(b"CLP*CLM1011*", b"CLP*CLM1012*")
    with pytest.raises(
        errors.PaymentKeyConflict, match="with CLP01 of claim 1 CLM1011; this file says CLM1012"
    ):
        post(renamed)
    assert org_snapshot(engine, loaded) == before
    # The same payment again, in the same or another layout, stays "already posted".
    assert post(first).already_posted
    assert post(first.replace(b"~\n", b"~")).already_posted
    assert org_snapshot(engine, loaded) == before


def test_a_key_sent_twice_in_one_file_with_different_payments_is_refused(engine, loaded, post):
    one = era835(ACME, [clp("CLM1011", [SEP_99213])], trace="EFT22", isa_control="000000403")
    two = era835(
        ACME, [clp("CLM1002", [FEB_99213_AS_CONTRACTED])], trace="EFT22", isa_control="000000403"
    )
    before = org_snapshot(engine, loaded)
    with pytest.raises(errors.PaymentKeyConflict) as caught:
        post(one + two, "twice.835")
    assert str(caught.value).startswith(
        "twice.835: segment 22 (ST): payment key PAYERSND|000000403|EFT22|"
    )
    assert "was sent at segment 3 of this file with BPR02 136.44; this file says 95.00" in str(
        caught.value
    )
    assert org_snapshot(engine, loaded) == before
    # The same interchange twice in one file is one payment, posted once.
    result = post(one + one)
    assert (result.transactions, result.duplicates, result.already_posted) == (2, 1, False)


def test_an_envelope_without_a_transaction_is_refused_not_already_posted(engine, loaded, post):
    isa = era835(ACME, [clp("CLM1011", [SEP_99213])]).split(b"~\n")[0].decode()
    empty = "~\n".join(
        [
            isa,
            "GS*HP*PAYERSND*PRACTICE*20250301*1200*1*X*005010X221A1",
            "GE*0*1",
            "IEA*1*000000101",
            "",
        ]
    ).encode()
    before = org_snapshot(engine, loaded)
    for _ in range(2):  # and again: it never becomes "already posted"
        with pytest.raises(X12Error) as caught:
            post(empty, "empty.835")
        assert str(caught.value) == (
            "empty.835: segment 1 (ISA): no transaction in empty.835: its envelope holds no "
            "transaction set (ST..SE), so there is no payment to post; nothing was posted"
        )
    assert org_snapshot(engine, loaded) == before


def test_unknown_payer_and_unmatched_claim_and_line_are_kept_and_reported(engine, loaded, post):
    result = post(
        era835(
            ("MYSTERY PAYER", "5550001111"),
            [clp("CLM1002", [FEB_99213_NO_LCN])],
            trace="EFT30",
            isa_control="000000501",
        )
    )
    assert result.unknown_payers == 1
    result2 = post(
        era835(
            ACME,
            [
                clp(
                    "CLM1002",
                    [
                        FEB_99213_AS_CONTRACTED,
                        svc("36415", 2000, 300, dos="20250203", cas=[("CO", "45", 1700)]),
                    ],
                ),
                clp("CLM9999", [FEB_99213_NO_LCN]),
            ],
            trace="EFT31",
            isa_control="000000502",
        )
    )
    assert (result2.unmatched_claims, result2.unmatched_lines) == (1, 1)
    problems = worklists.problems(
        engine, loaded, ("unmatched_claim", "unmatched_line", "unknown_payer")
    )
    assert sorted(problems["kind"].tolist()) == [
        "unknown_payer",
        "unmatched_claim",
        "unmatched_line",
    ]
    assert store.count_rows(engine, tables.remit_lines, loaded) == 4  # nothing dropped


def test_unbalanced_transaction_is_posted_and_reported(engine, loaded, post):
    content = era835(
        ACME,
        [clp("CLM1011", [svc("99213", 15000, 13644, dos="20250902", cas=[("CO", "45", 1356)])])],
        trace="EFT40",
        isa_control="000000601",
    )
    broken = content.replace(b"BPR*I*136.44*", b"BPR*I*136.40*")
    result = post(broken)
    assert result.unbalanced == 1 and result.lines == 1
    listed = worklists.problems(engine, loaded, ("unbalanced",))
    assert listed["level"].tolist() == ["transaction"]


def test_not_x12_is_refused_and_stores_nothing(engine, loaded, post):
    before = org_snapshot(engine, loaded)
    with pytest.raises(X12Error) as refused:
        post(b"this is not an 835")
    assert str(refused.value) == (
        "remit0.835: segment 1 (thi): the file does not start with an ISA interchange "
        "header; nothing was posted"
    )
    assert org_snapshot(engine, loaded) == before


def test_task_states_are_audited(engine, loaded, post):
    post(
        era835(
            ACME,
            [clp("CLM1009", [JUL_99213_EARLIER_RATE])],
            trace="EFT50",
            isa_control="000000701",
        )
    )
    task_id = int(tasks.list_tasks(engine, loaded).iloc[0].task_id)
    tasks.change_state(engine, loaded, task_id, "appealed", OWNER, note="faxed")
    with pytest.raises(errors.BadTransition):
        tasks.change_state(engine, loaded, task_id, "open", OWNER)
    tasks.change_state(engine, loaded, task_id, "recovered", OWNER, amount_cents=300)
    entries = audit.search(engine, loaded, action="tasks.update")
    assert len(entries) == 2 and audit.verify(engine, loaded).ok
    with engine.connect() as conn:
        events = (
            conn.execute(
                select(tables.task_events.c.to_state)
                .where(tables.task_events.c.org_id == loaded)
                .order_by(tables.task_events.c.event_seq)
            )
            .scalars()
            .all()
        )
    assert events == ["open", "appealed", "recovered"]


def test_recovery_reads_every_chunk_of_claims(engine, loaded, post, monkeypatch):
    """Tasks of claims past the first IN (...) chunk are found and recovered too."""
    monkeypatch.setattr(store.database, "IN_CHUNK", 1)
    first = post(
        era835(
            ACME,
            [clp("CLM1011", [SEP_99213]), clp("CLM1002", [FEB_99213_UNDERPAID])],
            trace="EFT60",
            isa_control="000000801",
        )
    )
    assert first.tasks_opened == 1
    later = post(
        era835(
            ACME,
            [
                clp("CLM1011", [SEP_99213], payer_claim="PCN2"),
                clp("CLM1002", [FEB_99213_AS_CONTRACTED], payer_claim="PCN2"),
            ],
            trace="EFT61",
            isa_control="000000802",
        )
    )
    assert later.tasks_recovered == 1
    done = tasks.list_tasks(engine, loaded, tasks.STATES).iloc[0]
    assert (done.claim_id, done.state, done.recovered_cents) == ("CLM1002", "recovered", 500)


def _three_claims() -> bytes:
    """ACME: a PPO claim (MPPR, units, 125 % of Medicare), an HMO claim paid at the rate
    before 2025-07-01, and an HMO claim paid as contracted."""
    ppo = clp("CLM1003", [PPO_99214_25, PPO_20610_ONE_UNIT_PAID, PPO_73562_TWO_UNITS])
    earlier = clp("CLM1009", [JUL_99213_EARLIER_RATE, JUL_73562])
    clean = clp(  # HMO $95.00 before 2025-07-01: paid as contracted, no finding
        "CLM1002", [FEB_99213_AS_CONTRACTED]
    )
    return era835(ACME, [ppo, earlier, clean])


def test_findings_explain_and_price_as_if_every_line_were_priced_with_them(engine, loaded, post):
    """Posting explains only the claims that hold a finding (whole, for MPPR) and prices the
    earlier period only for claims with an under-paid line; each finding must read exactly
    what one engine call over the whole file, with explanations, gives its line."""
    post(_three_claims())
    found = findings_of(engine, loaded)
    assert set(found["claim_id"]) == {"CLM1003", "CLM1009"}
    assert "earlier_rate" in set(found["cause"])

    charges = store.read_frame(engine, tables.charges, loaded)
    order = {"CLM1003": 0, "CLM1009": 1, "CLM1002": 2}  # file order = posting's line keys
    lines = (
        charges[charges["claim_id"].isin(order)]
        .assign(claim_order=lambda d: d["claim_id"].map(order))
        .sort_values(["claim_order", "line_number"])
        .reset_index(drop=True)
    )
    everything = expected.expected_allowed(
        expected.engine_lines(lines, lines["claim_id"], payer="primary_payer_id"),
        store.read_frame(engine, tables.contracts, loaded),
        store.read_frame(engine, tables.fee_schedules, loaded),
        store.read_frame(engine, tables.medicare_fees, loaded),
        explain=True,
    ).assign(line_number=lines["line_number"])
    both = found.merge(everything, on=["claim_id", "line_number"], suffixes=("", "_all"))
    assert len(both) == len(found)
    assert both["explanation"].tolist() == both["explanation_all"].tolist()
    assert both["expected_cents"].tolist() == both["expected_cents_all"].astype(int).tolist()


def test_pages_show_the_expected_amount_posting_found(engine, loaded, post):
    """One expected amount per line: the pages' remitted lines (``remitted.adjudicated``,
    priced at report time) hold exactly what posting stored on each finding, MPPR and
    units included."""
    post(_three_claims())
    found = findings_of(engine, loaded)
    frames = {
        name: store.read_frame(engine, getattr(tables, name), loaded)
        for name in (
            "remit_lines",
            "remit_claims",
            "remittances",
            "charges",
            "findings",
            "denials",
            "contracts",
            "fee_schedules",
            "medicare_fees",
        )
    }
    lines = remitted.adjudicated(**frames)
    both = found.merge(lines, on=["claim_id", "line_number"], suffixes=("", "_page"))
    assert len(both) == len(found) == 3
    assert both["expected_cents_page"].astype(int).tolist() == both["expected_cents"].tolist()
    assert both["outcome"].tolist() == both["kind"].tolist()


def test_fast_reads_and_inserts_store_what_the_store_helpers_do(engine, loaded, post):
    """store.read_frame / read_in return what SQLAlchemy's own result rows hold (types, ''
    vs NULL, odd strings); store.insert_rows and store.bulk_insert store what SQLAlchemy's
    INSERT does."""
    post(era835(ACME, [clp("CLM1009", [JUL_99213_EARLIER_RATE])]))
    odd = ["NULL", "NA", "nan", "N/A", "", "a,b", 'q"x', "line\nbreak", " pad ", "é"]
    aliases = pd.DataFrame({"org_id": loaded, "alias": [f"{v}|{i}" for i, v in enumerate(odd)]})
    with engine.begin() as conn:
        store.bulk_insert(conn, tables.payer_aliases, aliases.assign(payer_id=odd))
    with engine.connect() as conn:
        for table in tables.metadata.sorted_tables:
            if "org_id" in table.c:
                pd.testing.assert_frame_equal(
                    store.read_frame(conn, table, loaded), _core_frame(conn, table, loaded)
                )
        ids = ["CLM1009", "CLM1001", "NOPE"]
        got = store.read_in(conn, tables.charges, loaded, "claim_id", ids)
        want = _core_frame(conn, tables.charges, loaded)
        want = want[want["claim_id"].isin(ids)]
        key = ["claim_id", "line_number"]
        pd.testing.assert_frame_equal(
            got.sort_values(key).reset_index(drop=True),
            want.sort_values(key).reset_index(drop=True),
        )
        lines = store.read_frame(conn, tables.remit_lines, loaded)
        claims = store.read_frame(conn, tables.remit_claims, loaded)
    # Three copies: posting's insert, the store's bulk insert, and SQLAlchemy Core's own
    # INSERT of row dicts (the reference: no bulk path of ours involved).
    ours, bulk, core = 1_000_000, 2_000_000, 3_000_000  # remit_id offsets of the copies
    with engine.begin() as conn:
        for table, frame in ((tables.remit_lines, lines), (tables.remit_claims, claims)):
            store.insert_rows(conn, table, frame.assign(remit_id=frame["remit_id"] + ours))
            store.bulk_insert(conn, table, frame.assign(remit_id=frame["remit_id"] + bulk))
            conn.execute(table.insert(), _core_rows(frame, table, core))
    with engine.connect() as conn:
        for table, frame in ((tables.remit_lines, lines), (tables.remit_claims, claims)):
            stored = store.read_frame(conn, table, loaded)

            def copy(offset, stored=stored, frame=frame):
                rows = stored[stored["remit_id"].isin(frame["remit_id"] + offset)]
                return rows.drop(columns="remit_id").reset_index(drop=True)

            assert len(copy(ours)) == len(frame) > 0
            pd.testing.assert_frame_equal(copy(ours), copy(core))
            pd.testing.assert_frame_equal(copy(bulk), copy(core))


def _core_frame(conn, table, org_id: str) -> pd.DataFrame:
    """An org's rows read through SQLAlchemy's own result processing, in the store's types
    (the reference the store's column-wise reads must match)."""
    rows = conn.execute(select(table).where(table.c.org_id == org_id)).all()
    frame = pd.DataFrame.from_records(rows, columns=[c.name for c in table.c], coerce_float=False)
    out = {}
    for column in table.c:
        values, kind = frame[column.name], column.type.__class__.__name__
        if kind == "Date":
            out[column.name] = pd.to_datetime(values).astype("datetime64[ns]")
        elif kind in ("Integer", "BigInteger"):
            out[column.name] = values.astype("Int64" if column.nullable else "int64")
        elif kind == "Boolean":
            out[column.name] = values.astype(bool)
        else:
            out[column.name] = values.astype("str").where(values.notna(), pd.NA)
    return pd.DataFrame(out, columns=list(frame.columns))


def _core_rows(frame: pd.DataFrame, table, offset: int) -> list[dict]:
    """A store frame as the row dicts SQLAlchemy Core binds: None for NA, dates as dates."""
    rows = frame.assign(remit_id=frame["remit_id"] + offset)
    records = rows.astype(object).where(rows.notna(), None).to_dict("records")
    dates = [c.name for c in table.c if c.type.__class__.__name__ == "Date"]
    for record in records:
        for name in dates:
            if record[name] is not None:
                record[name] = record[name].date()
    return records


def _knee_injections_both_sides(engine, org, tmp_path, claim: str) -> None:
    """The good practice's terms and one charge: 20610-RT and 20610-LT (MCR, 2025-01-15,
    $300.00 each), line control numbers LCN9xxx01 and LCN9xxx02 after ``claim``."""
    folder = tmp_path / "practice"
    folder.mkdir()
    for name in ("contracts.csv", "fee_schedules.csv", "medicare_fees.csv"):
        (folder / name).write_bytes((GOOD / name).read_bytes())
    lcn = "LCN" + claim.removeprefix("CLM")
    (folder / "charges.csv").write_text(
        "claim_id,line_number,line_control_number,patient_id,date_of_service,procedure_code,"
        "modifiers,units,charge_amount,primary_payer_id,place_of_service\n"
        f"{claim},1,{lcn}01,PAT9,2025-01-15,20610,RT,1,300.00,MCR,11\n"
        f"{claim},2,{lcn}02,PAT9,2025-01-15,20610,LT,1,300.00,MCR,11\n"
    )
    onboarding.load_folder(engine, org, folder, OWNER)


@pytest.mark.parametrize(("reason", "outcome"), [("97", "bundled"), ("50", "denied")])
def test_a_bundled_or_denied_line_takes_no_multiple_procedure_rank(
    engine, org, tmp_path, reason, outcome
):
    """Issue 11.3 (interface §3): the first 20610 of the day is bundled or denied, so the
    second, the only one paid, is the primary procedure: expected at 100 % ($77.41), not 50 %
    (once an over-payment of $38.70)."""
    _knee_injections_both_sides(engine, org, tmp_path, "CLM9002")
    lines = [
        svc("20610", 30000, 0, mods="RT", cas=[("CO", reason, 30000)], lcn="LCN900201"),
        svc("20610", 30000, 7741, mods="LT", cas=[("CO", "45", 22259)], lcn="LCN900202"),
    ]
    path = tmp_path / "ranks.835"
    path.write_bytes(era835(MCR, [clp("CLM9002", lines)]))
    result = posting.post_file(engine, org, path, OWNER)
    assert (result.overpaid, result.underpaid) == (0, 0)
    assert store.read_frame(engine, tables.denials, org)["denial_class"].tolist() == [outcome]
    assert findings_of(engine, org).empty
    pages = remitted.adjudicated(
        *(
            store.read_frame(engine, t, org)
            for t in (
                tables.remit_lines,
                tables.remit_claims,
                tables.remittances,
                tables.charges,
                tables.findings,
                tables.denials,
                tables.contracts,
                tables.fee_schedules,
                tables.medicare_fees,
            )
        )
    ).sort_values("line_number")
    assert pages["outcome"].tolist() == [outcome, "ok"]
    assert pages["expected_cents"].tolist()[1] == 7741 and pages["full_price"].tolist()[1]


def test_a_finding_on_a_reduced_procedure_is_explained_with_its_whole_claim(engine, org, tmp_path):
    """Only line 2 (the second 20610 of the day, MPPR 50 %) is under-paid; its explanation
    must rank it among the whole claim's procedures, not price it alone."""
    _knee_injections_both_sides(engine, org, tmp_path, "CLM9001")
    lines = [
        svc("20610", 30000, 7741, mods="RT", cas=[("CO", "45", 22259)], lcn="LCN900101"),
        svc("20610", 30000, 1935, mods="LT", cas=[("CO", "45", 28065)], lcn="LCN900102"),
    ]
    path = tmp_path / "mppr.835"
    path.write_bytes(era835(MCR, [clp("CLM9001", lines)]))
    posting.post_file(engine, org, path, OWNER)
    found = findings_of(engine, org)
    assert found[["line_number", "expected_cents", "allowed_cents"]].values.tolist() == [
        [2, 3871, 1935]
    ]

    charges = store.read_frame(engine, tables.charges, org)
    rates = [
        store.read_frame(engine, t, org)
        for t in (tables.contracts, tables.fee_schedules, tables.medicare_fees)
    ]
    engine_in = expected.engine_lines(
        charges.assign(product_line=""), charges["claim_id"], payer="primary_payer_id"
    )
    whole = expected.expected_allowed(engine_in, *rates)["explanation"].tolist()
    alone = expected.expected_allowed(engine_in.iloc[1:], *rates)["explanation"].tolist()
    assert whole[1] != alone[0]  # the rank matters to the sentence
    assert found["explanation"].tolist() == [whole[1]]
