"""The synthetic demo practice: its files in the interface's formats and its payers' 835s.

Owns generating the practice's exports (``practice``) and its remittances with planted
under-payments and quirks (``remittances``). Every record is invented.
May import: every stage below it.
"""
