"""Keeping payers honest by month of service (issue 15, docs/reconciliation.md).

Pure functions over store frames: ``ledger`` (every charge and every later posting of a
claim, 835 or practice system, put in its place: cash, adjustments by kind, balance, and
what nothing explains), ``receivables`` (Table 3, the receivable reconciliation by primary
payer), ``medicare_check`` (Table 1, Medicare's top codes against the published fee, and
Table 2, who paid the Medicare population), ``multipliers`` (each payer's effective
multiple of Medicare, inferred from what it allowed), ``payment_audit`` (the random audit
of visits that resolved to zero, with a report card per payer). ``record`` and
``audit_run`` (the payment audit's) are the thin wiring from the store.
May import: ``coding``, ``remittances`` and every stage below them.
"""
