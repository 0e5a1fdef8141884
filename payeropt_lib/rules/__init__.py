"""Payer rules the practice owns (issue 13): rule files, their guardrails, and (to come)
the repository, its review and the checks before a claim goes out and before a visit.

Today: ``definitions`` reads rule files (JSON, one rule or a list) against
``rule.schema.json`` and the fields each kind of rule may read (``fields``), and
``guardrails`` refuses what the product never does (docs/rules.md).
May import: ``pricing`` and every stage below it.
"""
