"""Payer rules the practice owns (issue 13, docs/rules.md): rule files read against
``rule.schema.json``, the fields each kind of rule may read (``fields``) and the three
guardrails (``guardrails``); CMS's NCCI files (``ncci``); the repository of versions and
its review (``repository``); claim lines and appointments as frames of rule fields
(``subjects``), conditions as vectorized masks (``conditions``), the engine that applies
the approved rules (``engine``) and ``payeropt check`` (``check``).
May import: ``pricing`` and every stage below it.
"""
