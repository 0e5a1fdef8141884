"""Aggregates a practice manager reads: never a claim, never a patient.

Owns small-cell suppression and the under-payment aggregates (``metrics``), payer
performance (``performance``), payer mix (``mix``), denials (``denials``), reimbursement
trends (``reimbursement``), contract renewals (``renewals``) and the summary (``summary``).
Frames in, frames out; no store access.
May import: every stage below it (``remittances`` and down).
"""
