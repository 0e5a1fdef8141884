"""Compliant coding suggestions (issue 14, docs/coding.md): what the documentation of an
encounter supports against what was billed, in both directions.

Pure engines over store frames: ``em`` (office and outpatient E/M levels by MDM or total
time, and the prolonged-service add-ons), ``icd10`` (ICD-10-CM specificity by the code set
in force on the date of service, on ``hierarchy`` and ``code_sets``), ``modifiers`` (25
and 59/X{EPSU} added or removed against the approved pair rules); ``impact`` (a
suggestion's payment impact by the expected-amount engine); ``monitors`` (per clinician
and month). ``record`` is the thin wiring to the store and the audit trail.
May import: ``remittances`` and every stage below it.
"""
