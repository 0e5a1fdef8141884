"""Aggregates a practice manager reads: never a claim, never a patient.

Owns small-cell suppression (``privacy``), payer labels (``directory``), the under-payment
and follow-up aggregates (``recovery``), fee schedules side by side (``fee_comparisons``),
payer performance (``performance``), payer mix (``mix``), denials (``denials``), reimbursement
trends (``reimbursement``), contract renewals (``renewals``) and the summary (``summary``).
Frames in, frames out; no store access.
May import: every stage below it (``remittances`` and down).
"""
