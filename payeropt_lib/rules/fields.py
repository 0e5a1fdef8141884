"""What a rule's conditions may read, per kind of rule (interface section 4).

A claim line has the charges.csv columns (``payer_id`` is its primary payer),
``payer_class`` from the payer's contract and ``days_to_filing``; an appointment the
appointments.csv columns, ``payer_class`` and ``lead_days``; an encounter the
encounters.csv columns and its office E/M line's fields. Numbers compare as numbers, every
other field as text; list fields take ``has`` / ``lacks`` / ``prefix``.
"""

from __future__ import annotations

CLAIM_LINE = frozenset(
    {
        "claim_id", "line_number", "line_control_number", "patient_id", "date_of_service",
        "procedure_code", "modifiers", "units", "charge_amount", "payer_id",
        "primary_payer_id", "product_line", "secondary_payer_id", "place_of_service",
        "rendering_npi", "diagnosis_codes", "submitted_date", "payer_class", "days_to_filing",
    }
)  # fmt: skip
APPOINTMENT = frozenset(
    {
        "appointment_id", "date", "patient_id", "payer_id", "product_line", "visit_type",
        "planned_procedure_codes", "payer_class", "lead_days",
    }
)  # fmt: skip
ENCOUNTER = frozenset(
    {"encounter_type", "total_time_minutes", "mdm_level", "documented_findings", "note_text"}
    | CLAIM_LINE
)
BY_KIND = {"claim_line": CLAIM_LINE, "appointment": APPOINTMENT, "encounter": ENCOUNTER}

# Numbers compare as numbers. total_time_minutes too (decided, docs/rules.md: minutes as
# text would put 100 before 40).
NUMBERS = frozenset(
    {"units", "charge_amount", "days_to_filing", "lead_days", "total_time_minutes"}
)
LISTS = frozenset({"modifiers", "diagnosis_codes", "planned_procedure_codes",
                   "documented_findings"})  # fmt: skip
# What names a payer or its kind: a visit's length never depends on them (guardrail a).
PAYER = frozenset(
    {"payer_id", "primary_payer_id", "secondary_payer_id", "product_line", "payer_class"}
)
# Money a checklist item or a patient's text must never carry (guardrail c).
MONEY = frozenset({"charge_amount"})
