"""Posting 835 remittances and what they reveal: under-payments, denials, follow-up tasks.

Owns posting (``posting``), classifying lines and their likely causes
(``underpayments``), follow-up tasks (``tasks``), staff worklists (``worklists``) and the
remitted lines that count, as every analytics page reads them (``remitted``).
May import: ``errors``, ``config``, ``store``, ``reference``, ``inputs``, ``pricing``.
"""
