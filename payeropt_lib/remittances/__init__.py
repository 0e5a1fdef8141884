"""Posting 835 remittances and what they reveal: under-payments, denials, follow-up tasks.

Owns matching payments, payers and lines (``matching``), allowed amounts, classification
and likely causes (``underpayments``), the pure evaluation of an 835 against the contracts
(``evaluation``), the follow-up task life cycle (``tasks``), posting as one transaction
around them (``posting``), staff worklists (``worklists``) and the remitted lines that
count, as every analytics page reads them (``remitted``).
May import: the kernel (``errors``, ``config``, ``formats``, ``money``,
``periods``), ``store``, ``reference``, ``inputs``, ``pricing``.
"""
