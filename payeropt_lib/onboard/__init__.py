"""Onboarding a client's folder in one go (issue 16, docs/onboarding.md): every file told
apart (``identify``), looked at without storing anything (``folder.look``, the dry run),
or imported in dependency order and summed up (``folder.onboard``).
May import: every stage below it (inputs, profiles and remittances' posting, the store).
"""
