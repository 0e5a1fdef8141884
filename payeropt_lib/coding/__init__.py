"""Compliant coding suggestions (issue 14, docs/coding.md): what the documentation of an
encounter supports against what was billed, in both directions.

Today: ``em`` (office and outpatient E/M levels by MDM or total time, and the prolonged
service add-ons). Pure functions over store frames; no store access.
May import: ``remittances`` and every stage below it.
"""
