"""Onboarding a client's folder in one go (issue 16, docs/onboarding.md): every file told
apart (``identify``), looked at without storing anything (``folder.look``: the dry run), or
imported in dependency order and summed up (``folder.onboard``).

May import: ``profiles`` (the mapping profiles that read exports and workbooks),
``remittances`` (posting the 835s), ``inputs``, ``store``, ``errors``. Nothing below
imports it; the CLI and the demo call it.
"""
