"""The synthetic demo practice: its files in the interface's formats and its payers' 835s.

Owns generating the practice's exports (``files``, from ``dates``, ``contracts``,
``claims``, ``records`` and ``postings``, the postings following the 835s), its
remittances with planted under-payments and quirks (``remittances``), the folder a client
would send made from its files (``client``: 837P claims, practice-system exports), and
the demo end to end (``practice``: that folder onboarded). Every record is invented.
May import: every stage below it.
"""
