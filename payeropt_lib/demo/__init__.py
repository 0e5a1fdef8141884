"""The synthetic demo practice: its files in the interface's formats and its payers' 835s.

Owns generating the practice's exports (``files``, from ``dates``, ``contracts``,
``claims``, ``records`` and ``postings``, the postings following the 835s), its
remittances with planted under-payments and quirks (``remittances``), and the demo end to
end (``practice``). Every record is invented.
May import: every stage below it.
"""
