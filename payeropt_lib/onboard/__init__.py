"""Onboarding a client's folder in one go (issue 16, docs/onboarding.md): every file told
apart (``identify``), looked at without storing anything (``dry_run``), or imported in
dependency order and summed up (``run``)."""
